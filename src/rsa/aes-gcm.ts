/**
 * AES-GCM on Web Crypto with the layout the Python side uses (`ciphertext`, `tag`
 * kept apart; 16-byte tag). Nonces of 12 to 128 bytes, which every Web Crypto
 * accepts (the hybrid blob and HiveMind use 16 bytes, not the usual 12).
 *
 * @module
 */
import { abytes, bufferSource, concatBytes } from "../bytes.js";
import { DecryptionError, InvalidArgumentError } from "../errors.js";

/** Tag length in bytes; the only one this helper produces and accepts. */
export const AES_GCM_TAG_BYTES = 16;
/** Shortest nonce accepted: Node's Web Crypto refuses nonces under 12 bytes. */
export const AES_GCM_MIN_NONCE_BYTES = 12;
/** Longest nonce accepted (OpenSSL refuses more than 256 bytes; we cap lower). */
export const AES_GCM_MAX_NONCE_BYTES = 128;

function checkParams(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array | undefined): void {
  abytes(key, "key", 16, 24, 32);
  abytes(nonce, "nonce");
  if (nonce.length < AES_GCM_MIN_NONCE_BYTES || nonce.length > AES_GCM_MAX_NONCE_BYTES) {
    throw new InvalidArgumentError(`nonce must be ${AES_GCM_MIN_NONCE_BYTES} to ${AES_GCM_MAX_NONCE_BYTES} bytes long, got ${nonce.length}`);
  }
  if (aad !== undefined) abytes(aad, "aad");
}

function params(nonce: Uint8Array, aad: Uint8Array | undefined): AesGcmParams {
  const base = { name: "AES-GCM", iv: bufferSource(nonce), tagLength: AES_GCM_TAG_BYTES * 8 };
  return aad === undefined ? base : { ...base, additionalData: bufferSource(aad) };
}

function importAesKey(key: Uint8Array, usage: "encrypt" | "decrypt"): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey("raw", bufferSource(key), "AES-GCM", false, [usage]);
}

/**
 * Encrypts with AES-GCM.
 * @param key - 16, 24 or 32 bytes
 * @param nonce - never reuse one with the same key; 16 bytes on poorman's wire
 * @param plaintext - any length
 * @param aad - associated data, authenticated but not encrypted
 * @returns the ciphertext (as long as the plaintext) and the 16-byte tag
 */
export async function aesGcmEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Promise<{ ciphertext: Uint8Array; tag: Uint8Array }> {
  checkParams(key, nonce, aad);
  abytes(plaintext, "plaintext");
  const sealed = new Uint8Array(await globalThis.crypto.subtle.encrypt(params(nonce, aad), await importAesKey(key, "encrypt"), bufferSource(plaintext)));
  const split = sealed.length - AES_GCM_TAG_BYTES;
  return { ciphertext: sealed.subarray(0, split), tag: sealed.subarray(split) };
}

/**
 * Decrypts and authenticates AES-GCM.
 * @param key - 16, 24 or 32 bytes
 * @param nonce - the encryption's nonce
 * @param ciphertext - the ciphertext without the tag
 * @param tag - the 16-byte tag
 * @param aad - the associated data given to encryption
 * @throws DecryptionError when anything does not authenticate (never which part)
 */
export async function aesGcmDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
  checkParams(key, nonce, aad);
  abytes(ciphertext, "ciphertext");
  abytes(tag, "tag");
  if (tag.length !== AES_GCM_TAG_BYTES) throw new DecryptionError();
  try {
    return new Uint8Array(await globalThis.crypto.subtle.decrypt(params(nonce, aad), await importAesKey(key, "decrypt"), concatBytes(ciphertext, tag)));
  } catch {
    throw new DecryptionError();
  }
}
