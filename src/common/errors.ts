/**
 * Every error this library throws is a {@link PoormanError} with a stable `code`.
 * Match on `code` (or `instanceof` a subclass), never on `message`: messages may be
 * reworded, codes never change.
 *
 * @module
 */

/** Stable error codes, one per subclass of PoormanError (a refinement such as NonceUnverifiableError keeps its parent's). */
export type PoormanErrorCode =
  | "ERR_INVALID_ARGUMENT"
  | "ERR_HANDSHAKE_STATE"
  | "ERR_HANDSHAKE_REJECTED"
  | "ERR_DECRYPTION_FAILED"
  | "ERR_KEY_FORMAT"
  | "ERR_KEY_MISMATCH"
  | "ERR_STORE_FULL"
  | "ERR_HTTP_STATUS"
  | "ERR_TIMEOUT"
  | "ERR_NETWORK"
  | "ERR_NONCE_EXHAUSTED"
  | "ERR_PROTOCOL"
  | "ERR_STORE_UNAVAILABLE"
  | "ERR_RESPONSE_TOO_LARGE"
  | "ERR_FILE"
  | "ERR_MISSING_DEPENDENCY"
  | "ERR_WEAK_PASSWORD"
  | "ERR_CHAIN";

/** Base class of every error thrown by poorman-handshake. */
export class PoormanError extends Error {
  /** Stable, machine-readable identifier of the error kind. */
  readonly code: PoormanErrorCode;

  /**
   * @param code - the stable code of this error kind
   * @param message - a human-readable explanation
   * @param options - standard `ErrorOptions` (for `cause`)
   */
  constructor(code: PoormanErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An argument has the wrong type, size or format. The message names the argument. */
export class InvalidArgumentError extends PoormanError {
  /** @param message - names the argument and what was expected */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_INVALID_ARGUMENT", message, options);
  }
}

/** A method was called out of order (for example receiving before generating). */
export class HandshakeStateError extends PoormanError {
  /** @param message - says which step is missing */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_HANDSHAKE_STATE", message, options);
  }
}

/**
 * The peer's handshake was refused: a bad signature, a wrong password, or our own
 * message reflected back at us. No secret is kept when this is thrown.
 */
export class HandshakeRejectedError extends PoormanError {
  /** @param message - says why the handshake was refused */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_HANDSHAKE_REJECTED", message, options);
  }
}

/**
 * Decryption failed. Deliberately uniform: the message never says whether the key,
 * the tag, the padding or the length was wrong, so it cannot serve as an oracle.
 */
export class DecryptionError extends PoormanError {
  constructor() {
    super("ERR_DECRYPTION_FAILED", "decryption failed");
  }
}

/** Key material could not be parsed or has the wrong type or size. */
export class KeyFormatError extends PoormanError {
  /** @param message - names the key and what was expected */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_KEY_FORMAT", message, options);
  }
}

/**
 * A well-formed key that this library refuses to use: an encrypted key, another
 * algorithm (EC, Ed25519, DSA), a certificate, or RSA parameters that are unsafe (e < 3,
 * even e, e >= n, a modulus too small or too large). A {@link KeyFormatError} (same code),
 * so code matching on `ERR_KEY_FORMAT` keeps working; `instanceof` tells the two apart,
 * which key-file loaders use: they replace a corrupt file, never an unsupported key.
 */
export class UnsupportedKeyError extends KeyFormatError {}

/** A peer presented a key different from the one pinned for it (trust on first use). */
export class KeyMismatchError extends PoormanError {
  /** @param message - names the peer and both fingerprints */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_KEY_MISMATCH", message, options);
  }
}

/** A bounded store (nonces, keys) is full of live entries; retry later. Servers answer 429. */
export class StoreFullError extends PoormanError {
  /** @param message - names the store */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_STORE_FULL", message, options);
  }
}

/** A peer answered an HTTP request with an error status. */
export class HttpStatusError extends PoormanError {
  /** The HTTP status code. */
  readonly status: number;
  /** The peer's `detail` (or body text), for display only. */
  readonly detail: string;

  /**
   * @param status - the HTTP status code
   * @param detail - the peer's explanation
   * @param url - the request URL, for the message
   */
  constructor(status: number, detail: string, url: string, options?: ErrorOptions) {
    super("ERR_HTTP_STATUS", `${url} answered ${status}: ${detail}`, options);
    this.status = status;
    this.detail = detail;
  }
}

/** A request did not complete in time (or could not connect). */
export class RequestTimeoutError extends PoormanError {
  /** @param message - names the request and the timeout */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_TIMEOUT", message, options);
  }
}

/** A request failed before any answer: connection refused, reset, DNS, TLS. */
export class NetworkError extends PoormanError {
  /** @param message - names the request */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_NETWORK", message, options);
  }
}

/**
 * A Noise cipher state used its last nonce (2^64-1 is reserved). The session must be
 * replaced by a new handshake; nothing more can be sent or received with this key.
 */
export class NonceExhaustedError extends PoormanError {
  /** @param message - names the cipher state */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_NONCE_EXHAUSTED", message, options);
  }
}

/**
 * The peer broke the framing rules of a session (unknown marker, chunk out of order,
 * message over the size cap). Fatal: the session cannot be used afterwards.
 */
export class ProtocolError extends PoormanError {
  /** @param message - says which rule was broken */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_PROTOCOL", message, options);
  }
}

/**
 * A shared store (Redis) could not be reached or did not answer in time, or a store file
 * is held by another process. Nothing was recorded; servers answer 503 and the client may retry.
 */
export class StoreUnavailableError extends PoormanError {
  /** @param message - names the store and why */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_STORE_UNAVAILABLE", message, options);
  }
}

/**
 * A peer's answer was larger than the limit the client set (`maxResponseBytes`, or the
 * fixed limit of handshake answers); the download was aborted there.
 */
export class ResponseTooLargeError extends PoormanError {
  /** The limit that was exceeded, in bytes. */
  readonly limit: number;

  /**
   * @param message - names the request and the limit
   * @param limit - the limit in bytes
   */
  constructor(message: string, limit: number, options?: ErrorOptions) {
    super("ERR_RESPONSE_TOO_LARGE", message, options);
    this.limit = limit;
  }
}

/**
 * A nonce dated before the nonce store's records begin (the miner restarted, or its store
 * lost data) cannot be checked for a replay, so it is refused; it is not known to be a
 * replay. Servers answer 503: an honest validator retries with a fresh nonce.
 */
export class NonceUnverifiableError extends StoreUnavailableError {
  /** @param message - names the nonce store and since when it holds records */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * A file or folder could not be read or written. The message names the path, says what
 * was expected there and why it failed; the original Node error is the `cause`.
 */
export class FileError extends PoormanError {
  /** The file or folder concerned. */
  readonly path: string;
  /** Node's error code (`ENOENT`, `EACCES`, `EISDIR`, `ENOTDIR`, ...), when there was one. */
  readonly systemCode: string | undefined;

  /**
   * @param path - the file or folder
   * @param message - names the path, what was expected and why it failed
   * @param systemCode - Node's error code, if any
   * @param options - standard `ErrorOptions` (for `cause`)
   */
  constructor(path: string, message: string, systemCode?: string, options?: ErrorOptions) {
    super("ERR_FILE", message, options);
    this.path = path;
    this.systemCode = systemCode;
  }
}

/**
 * An optional peer dependency (`@redis/client` for the Redis stores, `commander` for the
 * `pmh` command line) is not installed. The message names the package to install.
 */
export class MissingDependencyError extends PoormanError {
  /** The npm package to install, e.g. `@redis/client`. */
  readonly packageName: string;

  /**
   * @param packageName - the npm package to install
   * @param message - says what needs it and how to install it
   */
  constructor(packageName: string, message: string, options?: ErrorOptions) {
    super("ERR_MISSING_DEPENDENCY", message, options);
    this.packageName = packageName;
  }
}

/**
 * A password is too guessable for the password handshake: zxcvbn estimates fewer bits
 * of guess resistance than required (`minBits`, 40 by default). Pass `minBits: 0` to
 * skip the check (only for a known high-entropy secret).
 */
export class WeakPasswordError extends PoormanError {
  /** The estimate, in bits (log2 of zxcvbn's guess count). */
  readonly bits: number;
  /** What was required. */
  readonly minBits: number;

  /**
   * @param message - the estimate, zxcvbn's hint and how to bypass
   * @param bits - the estimate
   * @param minBits - the requirement
   */
  constructor(message: string, bits: number, minBits: number) {
    super("ERR_WEAK_PASSWORD", message);
    this.bits = bits;
    this.minBits = minBits;
  }
}

/** Why a chain operation failed: see {@link ChainError}. */
export type ChainErrorReason =
  /** The runtime refused the transaction; `runtimeError` names its error (e.g. `ServingRateLimitExceeded`). */
  | "dispatch"
  /** The transaction pool refused it before any block (bad nonce, no funds for the fee, a bad signature). */
  | "invalid"
  /** `setWeights` checked the chain first: the weights rate limit has not passed yet. */
  | "rate-limit"
  /** The subnet has commit-reveal weights on, which `setWeights` does not implement. */
  | "commit-reveal"
  /** Not included (or no answer) within the timeout. */
  | "timeout"
  /** The chain's endpoint could not be reached, or the connection dropped. */
  | "unreachable"
  /** The chain answered something this library cannot read (not a subtensor runtime, a hostile node). */
  | "unexpected";

/**
 * A Bittensor chain operation failed (`poorman-handshake/fiber/chain`). `reason` says
 * what kind of failure; for a refusal by the runtime, `runtimeError` is the runtime's own
 * error name, as Fiber's Python logs it (`SettingWeightsTooFast`, `InvalidIpAddress`, ...)
 * and `pallet` its pallet (`SubtensorModule`).
 */
export class ChainError extends PoormanError {
  /** The kind of failure. */
  readonly reason: ChainErrorReason;
  /** The runtime's error name, for `reason: "dispatch"` (and `"invalid"` when known). */
  readonly runtimeError: string | undefined;
  /** The pallet of {@link ChainError.runtimeError}, e.g. `SubtensorModule`. */
  readonly pallet: string | undefined;

  /**
   * @param reason - the kind of failure
   * @param message - a human-readable explanation
   * @param details - the runtime's error name and pallet, and a `cause`
   */
  constructor(reason: ChainErrorReason, message: string, details: { runtimeError?: string | undefined; pallet?: string | undefined; cause?: unknown } = {}) {
    super("ERR_CHAIN", message, details.cause === undefined ? undefined : { cause: details.cause });
    this.reason = reason;
    this.runtimeError = details.runtimeError;
    this.pallet = details.pallet;
  }
}
