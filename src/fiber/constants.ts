/**
 * Fiber's wire in one module (Python `fiber` 2.x): paths, headers, sizes, the signed
 * message, and every answer text, Python's (`DETAIL`) and ours. Client and server both
 * import it, so a change of the wire is a change of this file. Both sides must agree on
 * all of it; changing one changes the wire.
 *
 * @module
 */

/** Path of the unauthenticated RSA public key endpoint (GET). */
export const PUBLIC_KEY_PATH = "/public-encryption-key";
/** Path of the symmetric key exchange endpoint (POST). */
export const EXCHANGE_PATH = "/exchange-symmetric-key";

/** Header carrying the validator's (client's) ss58 address. */
export const VALIDATOR_HOTKEY_HEADER = "validator-hotkey";
/** Header carrying the miner's (server's) ss58 address. */
export const MINER_HOTKEY_HEADER = "miner-hotkey";
/** Header carrying the 64-hex-digit id of the symmetric key. */
export const SYMMETRIC_KEY_UUID_HEADER = "symmetric-key-uuid";
/** Header carrying the nonce `"{time_ns}_{suffix}"`. */
export const NONCE_HEADER = "nonce";
/** Header carrying `"0x" + hex` of the sr25519 signature. */
export const SIGNATURE_HEADER = "signature";
/**
 * The four headers of a signed (Fiber 2 default protocol) request, in the declaration
 * order of Python's `verify_request`, which orders FastAPI's 422 list.
 */
export const SIGNED_REQUEST_HEADERS = [VALIDATOR_HOTKEY_HEADER, SIGNATURE_HEADER, MINER_HOTKEY_HEADER, NONCE_HEADER] as const;
/** The five headers every authenticated Fiber request carries, in Python's declaration order. */
export const REQUEST_HEADERS = [VALIDATOR_HOTKEY_HEADER, SIGNATURE_HEADER, MINER_HOTKEY_HEADER, NONCE_HEADER, SYMMETRIC_KEY_UUID_HEADER] as const;

/** JSON field of the exchange body holding the RSA-encrypted key (standard base64). */
export const ENCRYPTED_KEY_FIELD = "encrypted_symmetric_key";
/** JSON field the client adds to every encrypted object payload; the server removes it before `parse`. */
export const PAYLOAD_NONCE_FIELD = "nonce";

/** Hash of RSA-OAEP (and of MGF1) used to wrap the symmetric key. */
export const RSA_OAEP_HASH = "SHA-256";
/** Modulus size of the miner's RSA key. */
export const RSA_BITS = 2048;
/** Length in bytes of the symmetric (Fernet) key. */
export const SYMMETRIC_KEY_BYTES = 32;
/** Length in bytes of the random symmetric key uuid (sent as lowercase hex). */
export const SYMMETRIC_KEY_UUID_BYTES = 32;

/** Nonces are accepted within this distance of the server clock, in both directions. */
export const NONCE_WINDOW_MS = 120_000;
/**
 * Slack added to the nonce window for the age of an encrypted body's Fernet token (whole
 * seconds, made just before or after the nonce, plus transfer time).
 */
export const ENCRYPTED_BODY_TTL_MARGIN_MS = 10_000;
/** Length of the random alphanumeric nonce suffix. */
export const NONCE_SUFFIX_LENGTH = 10;
/** Symmetric keys expire this long after the exchange. */
export const SYMMETRIC_KEY_TTL_MS = 5 * 60 * 60 * 1000;
/** Default minimum stake (TAO) of the metagraph gate, as Fiber's `MIN_STAKE_THRESHOLD`. */
export const DEFAULT_MIN_STAKE = 1000;
/** Default client timeout of the handshake requests, as Fiber. */
export const HANDSHAKE_TIMEOUT_MS = 3000;

/** ss58 address format of the generic Substrate / Bittensor network. */
export const SS58_FORMAT = 42;
/** schnorrkel signing context of Substrate signatures. */
export const SIGNING_CONTEXT = "substrate";
/** Python's `Keypair.verify` also accepts a signature over the message wrapped in these. */
export const BYTES_WRAP_PREFIX = "<Bytes>";
/** Closing half of {@link BYTES_WRAP_PREFIX}. */
export const BYTES_WRAP_SUFFIX = "</Bytes>";

/** Fernet token version byte. */
export const FERNET_VERSION = 0x80;
/** Fernet refuses tokens dated further than this in the future (seconds). */
export const FERNET_MAX_CLOCK_SKEW_S = 60;

/** Python's `detail` texts, byte for byte (note the trailing space of the stake text). */
export const DETAIL = {
  hotkeyNotInMetagraph: "Hotkey not found in metagraph",
  insufficientStake: (stake: string) => `Insufficient stake of ${stake} `,
  invalidNonce: "Oi, that nonce is not valid!",
  invalidSignature: "Oi, invalid signature, you're not who you said you were!",
  cannotDecryptKey: "Oi, I can't decrypt that symmetric key, sorry",
  noSymmetricKey: "No symmetric key found for that hotkey and uuid",
  exchangeOk: "Symmetric key exchanged successfully",
  /**
   * The 401 of a request whose `miner-hotkey` is not the miner's own (Fiber 2.1.1+, signed
   * mode; we answer it in both modes, before the nonce is checked).
   */
  invalidMinerHotkey: "Oi, invalid miner hotkey - that's not me!",
  /** FastAPI's 400 for a JSON body that cannot be decoded as text (e.g. not UTF-8). */
  bodyParseError: "There was an error parsing the body",
} as const;

/** Content type of signed request bodies and of the headers Python's client sends. */
export const JSON_CONTENT_TYPE = "application/json";
/** Content type of encrypted bodies, also sent (without a body) by an encrypted GET (Fiber 2.4.0+). */
export const OCTET_STREAM_CONTENT_TYPE = "application/octet-stream";
/**
 * The characters that end a line of a streamed answer: Python's `str.splitlines` set,
 * which httpx's `aiter_lines` (>= 0.24) uses; `\r\n` counts as one.
 */
export const LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029";

/**
 * The signed message of a Fiber request: `nonce:miner_hotkey:symmetric_key_uuid` in the
 * encrypted protocol (exchange, POST and GET), `nonce:miner_hotkey:sha256hex(body)` for a
 * signed POST.
 */
export function signingMessage(nonce: string, minerHotkey: string, symmetricKeyUuid: string): string {
  return `${nonce}:${minerHotkey}:${symmetricKeyUuid}`;
}

/**
 * The signed message of a signed-mode GET (Fiber 2.4.0+, `construct_header_signing_message`
 * with no payload hash): `nonce:miner_hotkey`, with no third part and no trailing colon.
 */
export function signedGetMessage(nonce: string, minerHotkey: string): string {
  return `${nonce}:${minerHotkey}`;
}

// Answer texts of our own (where Python has none, or where our stricter checks refuse first).
/**
 * The 401 detail when `miner-hotkey` names another miner (a relayed request).
 * @deprecated Fiber 2.1.1 has its own text for it, which we now answer: use
 * `DETAIL.invalidMinerHotkey` (the same value).
 */
export const WRONG_MINER_DETAIL: string = DETAIL.invalidMinerHotkey;
/** The 400 detail of a malformed `symmetric-key-uuid`. */
export const BAD_UUID_DETAIL = "symmetric-key-uuid must be 1 to 128 letters, digits, '-' or '_'";
/** The 429 detail when the nonce store is full. */
export const BUSY_DETAIL = "Too many requests, try again later";
/** 503 detail when the bodies in flight hold the whole `maxBufferedBytes` budget. */
export const BODIES_BUSY_DETAIL = "Service Unavailable: too many request bodies in flight; retry shortly";
/** 503 detail when answers waiting for their readers hold the whole answer budget of `serve`. */
export const ANSWERS_BUSY_DETAIL = "Service Unavailable: too many answers are waiting for their readers; retry shortly";
/** 408 detail of a body that did not arrive in time. */
export const SLOW_BODY_DETAIL = "Request Timeout: the request body did not arrive in time";
/** The 403 detail of `allowlist` (`authorize.ts`). */
export const NOT_ALLOWED_DETAIL = "Hotkey not in allowlist";
/** 400 detail of an `encrypted_symmetric_key` that is not base64. */
export const BAD_BASE64_DETAIL = `${ENCRYPTED_KEY_FIELD} must be padded standard base64`;
/** 400 detail of an encrypted body that does not decrypt with the stored key. */
export const BAD_TOKEN_DETAIL = "Oi, I can't decrypt that payload with that symmetric key";
/** 503 detail when a shared store (Redis) cannot be reached: nothing was recorded, retry. */
export const STORE_UNAVAILABLE_DETAIL = "Service Unavailable: the miner's key and nonce store cannot be reached; nothing was recorded, retry shortly";
/**
 * 503 detail of a nonce dated before the nonce store's records begin (the miner restarted,
 * or its store lost data): it cannot be checked for a replay; a fresh nonce passes.
 */
export const NONCE_UNVERIFIABLE_DETAIL = "Service Unavailable: the miner restarted or its nonce store lost data after this nonce was minted, so it cannot be checked; retry with a fresh nonce";
