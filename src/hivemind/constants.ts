/**
 * Wire constants of HiveMind session crypto: protocol v3 (Noise) and the legacy
 * transport. Both sides must agree on all of them; changing one changes the wire.
 *
 * @module
 */

/** Protocol version that speaks Noise. */
export const PROTOCOL_VERSION = 3;
/** Noise patterns, in the hub's preference order. */
export const PATTERNS = ["KKpsk0", "XXpsk2"] as const;
/** A HiveMind v3 Noise pattern. */
export type HiveMindPattern = (typeof PATTERNS)[number];
/** Noise suites (`DH_cipher_hash`), in preference order. */
export const SUITES = ["25519_ChaChaPoly_SHA256", "25519_AESGCM_SHA256"] as const;
/** A HiveMind v3 Noise suite. */
export type HiveMindSuite = (typeof SUITES)[number];

/** argon2id parameters of the PSK, and its salt without a node_id (shared with `poorman-handshake/noise`). */
export { ARGON2ID, PSK_FALLBACK_SALT } from "../noise/constants.js";
/** PBKDF2 iterations of the PSK variant when `noise.kdf.iterations` is absent. */
export const PBKDF2_DEFAULT_ITERATIONS = 100_000;
/** Largest PBKDF2 iteration count a client accepts from a hub (DoS bound). */
export const PBKDF2_MAX_ITERATIONS = 10_000_000;
/**
 * Most pinned client keys a hub tries for one KKpsk0 first message (DoS bound: an
 * unauthenticated m1 costs one X25519 per pin, plus one).
 */
export const MAX_KK_CANDIDATES = 64;

/** Largest JSON text the handshake parser reads (handshake payloads are a few KiB). */
export const JSON_MAX_CHARS = 1024 * 1024;
/** Deepest nesting of arrays and objects the handshake parser reads. */
export const JSON_MAX_DEPTH = 64;
/** Longest integer token the parser reads: Python's `json.loads` refuses longer ones. */
export const JSON_MAX_INT_DIGITS = 4300;

/** Transport markers (first plaintext byte of a frame). */
export const MARKER = {
  json: 0x00,
  binary: 0x01,
  firstJsonChunk: 0x02,
  firstBinaryChunk: 0x03,
  middleChunk: 0x04,
  lastChunk: 0x05,
} as const;
/** Largest body carried by one frame (the marker is not counted). */
export const CHUNK_BYTES = 65000;
/** Largest reassembled multi-frame body. */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

/** Defaults of the hub's HANDSHAKE payload (as in the reference vectors). */
export const HUB_HANDSHAKE_DEFAULTS = {
  handshake: true,
  min_protocol_version: 2,
  max_protocol_version: PROTOCOL_VERSION,
  binarize: false,
  preshared_key: false,
  password: true,
  crypto_required: true,
  encodings: ["JSON-HEX"],
  ciphers: ["AES-GCM"],
} as const;

/** Legacy transport ciphers: nonce length in bytes. */
export const LEGACY_NONCE_BYTES = { "AES-GCM": 16, "CHACHA20-POLY1305": 12 } as const;
/** A legacy transport cipher name. */
export type LegacyCipher = keyof typeof LEGACY_NONCE_BYTES;
/** Tag length of both legacy ciphers. */
export const LEGACY_TAG_BYTES = 16;
/** Legacy JSON-frame encodings, in Python's enum order. */
export const LEGACY_ENCODINGS = ["JSON-B91", "JSON-Z85B", "JSON-Z85P", "JSON-B64", "JSON-URLSAFE-B64", "JSON-B32", "JSON-HEX"] as const;
/** A legacy JSON-frame encoding. */
export type LegacyEncoding = (typeof LEGACY_ENCODINGS)[number];

/** HiveMessage types (`msg_type`), as hivemind_bus_client spells them. */
export const MESSAGE_TYPES = [
  "shake", "bus", "shared_bus", "intercom", "broadcast", "propagate", "escalate", "hello",
  "query", "cascade", "ping", "rendezvous", "3rdparty", "bin",
] as const;
/** A HiveMessage type. */
export type HiveMessageType = (typeof MESSAGE_TYPES)[number];
/** Query argument of the authorization: base64 of UTF-8 `useragent:access_key`. */
export const AUTHORIZATION_PARAM = "authorization";
/** Our default useragent. */
export const DEFAULT_USERAGENT = "poorman-handshake";
/** The session id a non-admin client may never use (hivemind-core disconnects it). */
export const DEFAULT_SESSION_ID = "default";
/** Bus type of hivemind-core's answer to a message its policy refused. */
export const POLICY_DENIED_TYPE = "hive.policy.denied";
/** Default time a node waits for the connection, the handshake and its HELLO. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** WebSocket close codes used by our hub and node. */
export const CLOSE = {
  normal: 1000,
  /** Policy violation: refused authorization, handshake, frame or HELLO (ours says why). */
  policy: 1008,
  /** Try again later: too many failed handshakes from this key or address. */
  tryAgainLater: 1013,
} as const;
/** Longest close reason a WebSocket allows (123 bytes of UTF-8). */
export const MAX_CLOSE_REASON_BYTES = 123;
