/**
 * Every error this library throws is a {@link PoormanError} with a stable `code`.
 * Match on `code` (or `instanceof` a subclass), never on `message`: messages may be
 * reworded, codes never change.
 *
 * @module
 */

/** Stable error codes, one per subclass. */
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
  | "ERR_WEAK_PASSWORD";

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
 * A shared store (Redis) could not be reached or did not answer in time. Nothing was
 * recorded; servers answer 503 and the client may retry.
 */
export class StoreUnavailableError extends PoormanError {
  /** @param message - names the store and why */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_STORE_UNAVAILABLE", message, options);
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
