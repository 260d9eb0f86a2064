/**
 * AES-GCM with the layout the Python side uses (`ciphertext`, `tag` kept apart; 16-byte
 * tag). Nonces of 12 to 128 bytes, which every Web Crypto accepts (the hybrid blob and
 * HiveMind use 16 bytes, not the usual 12). The cipher itself comes from an
 * {@link AesGcmBackend}: Web Crypto by default, `node:crypto` once a Node entry point
 * installs it. Argument checks and the uniform decryption error live here, for both.
 *
 * @module
 */
import { abytes, bufferSource, concatBytes } from "../common/bytes.js";
import { DecryptionError, InvalidArgumentError } from "../common/errors.js";

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

/**
 * The AES-GCM primitive under {@link aesGcmEncrypt} and {@link aesGcmDecrypt}, called with
 * arguments already checked (16-byte tags; 12 to 128-byte nonces; 16, 24 or 32-byte keys).
 */
export interface AesGcmBackend {
  /** A short name, for diagnostics. */
  readonly name: string;
  /** Encrypts: the ciphertext (as long as the plaintext) and the 16-byte tag. */
  encrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array | undefined): { ciphertext: Uint8Array; tag: Uint8Array } | Promise<{ ciphertext: Uint8Array; tag: Uint8Array }>;
  /** Decrypts and authenticates; throws (anything) when the tag does not verify. */
  decrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array | undefined): Uint8Array | Promise<Uint8Array>;
}

function params(nonce: Uint8Array, aad: Uint8Array | undefined): AesGcmParams {
  const base = { name: "AES-GCM", iv: bufferSource(nonce), tagLength: AES_GCM_TAG_BYTES * 8 };
  return aad === undefined ? base : { ...base, additionalData: bufferSource(aad) };
}

function importAesKey(key: Uint8Array, usage: "encrypt" | "decrypt"): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey("raw", bufferSource(key), "AES-GCM", false, [usage]);
}

/** The portable backend: Web Crypto, with a non-extractable key imported per call. */
export const WEB_CRYPTO_AES_GCM: AesGcmBackend = {
  name: "Web Crypto",
  async encrypt(key, nonce, plaintext, aad) {
    const sealed = new Uint8Array(await globalThis.crypto.subtle.encrypt(params(nonce, aad), await importAesKey(key, "encrypt"), bufferSource(plaintext)));
    const split = sealed.length - AES_GCM_TAG_BYTES;
    return { ciphertext: sealed.subarray(0, split), tag: sealed.subarray(split) };
  },
  async decrypt(key, nonce, ciphertext, tag, aad) {
    // Web Crypto wants `ciphertext || tag`.
    return new Uint8Array(await globalThis.crypto.subtle.decrypt(params(nonce, aad), await importAesKey(key, "decrypt"), concatBytes(ciphertext, tag)));
  },
};

let defaultBackend: AesGcmBackend = WEB_CRYPTO_AES_GCM;

/** The backend {@link aesGcmEncrypt} and {@link aesGcmDecrypt} use. */
export function aesGcmBackend(): AesGcmBackend {
  return defaultBackend;
}

/** Replaces the AES-GCM backend (the Node entry points install `node:crypto`'s). */
export function setAesGcmBackend(backend: AesGcmBackend): void {
  if (backend === null || typeof backend !== "object" || typeof backend.encrypt !== "function" || typeof backend.decrypt !== "function") {
    throw new InvalidArgumentError("backend must be an AesGcmBackend (an object with encrypt and decrypt)");
  }
  defaultBackend = backend;
}

/**
 * Encrypts with AES-GCM.
 * @param key - 16, 24 or 32 bytes
 * @param nonce - never reuse one with the same key; 16 bytes on poorman's wire
 * @param plaintext - any length
 * @param aad - associated data, authenticated but not encrypted
 * @param backend - the primitive; the installed default ({@link aesGcmBackend}) when omitted
 * @returns the ciphertext (as long as the plaintext) and the 16-byte tag
 */
export async function aesGcmEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array, backend: AesGcmBackend = defaultBackend): Promise<{ ciphertext: Uint8Array; tag: Uint8Array }> {
  checkParams(key, nonce, aad);
  abytes(plaintext, "plaintext");
  return backend.encrypt(key, nonce, plaintext, aad);
}

/**
 * Decrypts and authenticates AES-GCM.
 * @param key - 16, 24 or 32 bytes
 * @param nonce - the encryption's nonce
 * @param ciphertext - the ciphertext without the tag
 * @param tag - the 16-byte tag
 * @param aad - the associated data given to encryption
 * @param backend - the primitive; the installed default ({@link aesGcmBackend}) when omitted
 * @throws DecryptionError when anything does not authenticate (never which part)
 */
export async function aesGcmDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad?: Uint8Array, backend: AesGcmBackend = defaultBackend): Promise<Uint8Array> {
  checkParams(key, nonce, aad);
  abytes(ciphertext, "ciphertext");
  abytes(tag, "tag");
  if (tag.length !== AES_GCM_TAG_BYTES) throw new DecryptionError();
  try {
    return await backend.decrypt(key, nonce, ciphertext, tag, aad);
  } catch {
    throw new DecryptionError();
  }
}
