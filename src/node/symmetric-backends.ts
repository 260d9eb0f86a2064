/**
 * `node:crypto` (OpenSSL) backends for Fernet and AES-GCM: the same bytes as the Web
 * Crypto ones, computed synchronously on the calling thread. For the small messages of
 * Fiber and the hybrid blob, Web Crypto's hop to the thread pool and back (and its
 * copies) cost more than the cipher itself.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, type KeyObject } from "node:crypto";
import type { FernetBackend } from "../fiber/fernet.js";
import { AES_GCM_TAG_BYTES, type AesGcmBackend } from "../rsa/aes-gcm.js";

const view = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const asBytes = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
/** One Uint8Array of two cipher outputs (update and final). */
function joined(head: Buffer, tail: Buffer): Uint8Array {
  if (tail.length === 0) return asBytes(head);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/**
 * Fernet on `node:crypto`: HMAC-SHA256 and AES-128-CBC with the keys held as secret
 * `KeyObject`s (OpenSSL's copy; the caller wipes the arrays it passed).
 */
export const NODE_FERNET: FernetBackend = {
  name: "node:crypto",
  importKeys(signing, encryption) {
    const signingKey: KeyObject = createSecretKey(view(signing));
    const encryptionKey: KeyObject = createSecretKey(view(encryption));
    return {
      mac: (data) => asBytes(createHmac("sha256", signingKey).update(data).digest()),
      encrypt(iv, plaintext) {
        const cipher = createCipheriv("aes-128-cbc", encryptionKey, iv);
        return joined(cipher.update(plaintext), cipher.final());
      },
      decrypt(iv, ciphertext) {
        const decipher = createDecipheriv("aes-128-cbc", encryptionKey, iv);
        return joined(decipher.update(ciphertext), decipher.final());
      },
    };
  },
};

const GCM_BY_KEY_BYTES: Readonly<Record<number, "aes-128-gcm" | "aes-192-gcm" | "aes-256-gcm">> = { 16: "aes-128-gcm", 24: "aes-192-gcm", 32: "aes-256-gcm" };

/** AES-GCM on `node:crypto` (16-byte tags; the key is used as given, not copied). */
export const NODE_AES_GCM: AesGcmBackend = {
  name: "node:crypto",
  encrypt(key, nonce, plaintext, aad) {
    const cipher = createCipheriv(GCM_BY_KEY_BYTES[key.length]!, key, nonce, { authTagLength: AES_GCM_TAG_BYTES });
    if (aad !== undefined) cipher.setAAD(aad);
    const ciphertext = joined(cipher.update(plaintext), cipher.final());
    return { ciphertext, tag: asBytes(cipher.getAuthTag()) };
  },
  decrypt(key, nonce, ciphertext, tag, aad) {
    const decipher = createDecipheriv(GCM_BY_KEY_BYTES[key.length]!, key, nonce, { authTagLength: AES_GCM_TAG_BYTES });
    decipher.setAuthTag(tag);
    if (aad !== undefined) decipher.setAAD(aad);
    return joined(decipher.update(ciphertext), decipher.final());
  },
};
