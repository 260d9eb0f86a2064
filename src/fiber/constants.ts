/**
 * Wire constants of Bittensor's Fiber handshake (Python `fiber` 2.x). Both sides must
 * agree on all of them; changing one changes the wire.
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
  /** FastAPI's 400 for a JSON body that cannot be decoded as text (e.g. not UTF-8). */
  bodyParseError: "There was an error parsing the body",
} as const;

/** Content type of signed request bodies and of the headers Python's client sends. */
export const JSON_CONTENT_TYPE = "application/json";
/**
 * The characters that end a line of a streamed answer: Python's `str.splitlines` set,
 * which httpx's `aiter_lines` (>= 0.24) uses; `\r\n` counts as one.
 */
export const LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029";
