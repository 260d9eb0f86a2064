/**
 * Wire constants of poorman_handshake's RSA path (and of the hybrid helper). Both
 * sides must agree on all of them; changing one changes the wire.
 *
 * @module
 */

/** Public exponent of every key we generate (the reference's `e`). */
export const PUBLIC_EXPONENT = 65537;
/** Modulus size in bits of a key generated without an explicit size. */
export const DEFAULT_KEY_BITS = 2048;
/**
 * Smallest modulus we generate (the reference's minimum), and the lowest `minKeyBits`
 * a caller may set to accept old peers. No key under it is ever imported.
 */
export const MIN_KEY_BITS = 1024;
/** Smallest modulus of a peer's public key accepted by default (`minKeyBits`). */
export const MIN_PEER_KEY_BITS = 2048;
/** Largest modulus we generate or import (OpenSSL's limit for public-key operations). */
export const MAX_KEY_BITS = 16384;
/** Smallest public exponent we import; it must also be odd and smaller than the modulus. */
export const MIN_PUBLIC_EXPONENT = 3;

/** OAEP hash (and MGF1 hash) of `encrypt_RSA` in the reference. */
export const OAEP_DEFAULT_HASH = "SHA-1";
/** The OAEP hashes we support, with their digest lengths in bytes. */
export const OAEP_HASH_BYTES = { "SHA-1": 20, "SHA-256": 32 } as const;
/** PSS message hash and MGF1 hash of `sign_RSA`. */
export const PSS_HASH = "SHA-256";
/** PSS salt length in bytes of `sign_RSA`. */
export const PSS_SALT_BYTES = 32;

/** Length in bytes of each side's random contribution to a handshake secret. */
export const SECRET_BYTES = 32;

/** Hybrid blob: bytes of the big-endian length of the RSA ciphertext at its front. */
export const HYBRID_LENGTH_PREFIX_BYTES = 2;
/** Hybrid blob: AES-256 key size in bytes. */
export const HYBRID_AES_KEY_BYTES = 32;
/** Hybrid blob: AES-GCM nonce size in bytes (16, not the usual 12). */
export const HYBRID_NONCE_BYTES = 16;
/** Hybrid blob: AES-GCM tag size in bytes. */
export const HYBRID_TAG_BYTES = 16;

/** PEM label of an SPKI public key (what `pubkey` holds). */
export const PEM_SPKI = "PUBLIC KEY";
/** PEM label of a PKCS#1 public key. */
export const PEM_PKCS1_PUBLIC = "RSA PUBLIC KEY";
/** PEM label of a PKCS#1 private key (what the reference's key files hold). */
export const PEM_PKCS1_PRIVATE = "RSA PRIVATE KEY";
/** PEM label of a PKCS#8 private key. */
export const PEM_PKCS8 = "PRIVATE KEY";
/** Characters per PEM body line, as Python writes them. */
export const PEM_LINE_LENGTH = 64;
