/**
 * AES-GCM (the hybrid blob's cipher) on `node:crypto` (OpenSSL): the same bytes as the
 * Web Crypto backend, computed synchronously on the calling thread. For the small
 * messages of the hybrid blob, Web Crypto's hop to the thread pool and back (and its
 * copies) cost more than the cipher itself.
 *
 * @module
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { joinedOutput, bytesView } from "../../common/node/buffers.js";
import { AES_GCM_TAG_BYTES, type AesGcmBackend } from "../aes-gcm.js";

const GCM_BY_KEY_BYTES: Readonly<Record<number, "aes-128-gcm" | "aes-192-gcm" | "aes-256-gcm">> = { 16: "aes-128-gcm", 24: "aes-192-gcm", 32: "aes-256-gcm" };

/** AES-GCM on `node:crypto` (16-byte tags; the key is used as given, not copied). */
export const NODE_AES_GCM: AesGcmBackend = {
  name: "node:crypto",
  encrypt(key, nonce, plaintext, aad) {
    const cipher = createCipheriv(GCM_BY_KEY_BYTES[key.length]!, key, nonce, { authTagLength: AES_GCM_TAG_BYTES });
    if (aad !== undefined) cipher.setAAD(aad);
    const ciphertext = joinedOutput(cipher.update(plaintext), cipher.final());
    return { ciphertext, tag: bytesView(cipher.getAuthTag()) };
  },
  decrypt(key, nonce, ciphertext, tag, aad) {
    const decipher = createDecipheriv(GCM_BY_KEY_BYTES[key.length]!, key, nonce, { authTagLength: AES_GCM_TAG_BYTES });
    decipher.setAuthTag(tag);
    if (aad !== undefined) decipher.setAAD(aad);
    return joinedOutput(decipher.update(ciphertext), decipher.final());
  },
};
