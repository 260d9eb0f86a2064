/**
 * Constants of the Noise Protocol Framework (revision 34) that this engine relies on.
 *
 * @module
 */

/** Largest Noise message, handshake or transport, in bytes. */
export const MAX_MESSAGE_BYTES = 65535;
/** Length in bytes of every AEAD tag (ChaChaPoly and AESGCM). */
export const TAG_BYTES = 16;
/** Length in bytes of a cipher key. */
export const KEY_BYTES = 32;
/** The nonce 2^64-1 is reserved (rekey); no message may use it. */
export const MAX_NONCE = 0xffff_ffff_ffff_ffffn;
/** Prefix of every protocol name. */
export const PROTOCOL_PREFIX = "Noise";

/**
 * argon2id parameters that stretch a password into a 32-byte PSK (poorman_handshake's
 * `derive_psk`, used by HiveMind v3 too).
 */
export const ARGON2ID = { iterations: 3, memoryKiB: 65536, parallelism: 1, hashLength: 32 } as const;
/** PSK salt without a node id (and without an explicit salt). */
export const PSK_FALLBACK_SALT = "poorman_handshake:noise:psk:v1";
/** The two patterns of poorman_handshake's `NoiseHandShake` (Python `XX_PSK2`, `KK_PSK0`). */
export const XX_PSK2 = "Noise_XXpsk2_25519_ChaChaPoly_SHA256";
/** KKpsk0: both static keys known in advance. */
export const KK_PSK0 = "Noise_KKpsk0_25519_ChaChaPoly_SHA256";
