/**
 * Fernet on `node:crypto` (OpenSSL): the same bytes as the Web Crypto backend, computed
 * synchronously on the calling thread. For Fiber's small bodies, Web Crypto's hop to the
 * thread pool and back (and its copies) cost more than the cipher itself.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { bufferView, bytesView, joinedOutput } from "../../common/node/buffers.js";
import type { FernetBackend } from "../fernet.js";

/** The `=` padding of unpadded base64 by its length modulo 4 (1 never occurs). */
const PADDING = ["", "", "==", "="] as const;

/**
 * Padded URL-safe base64 decoded by Buffer, refusing what the portable check refuses (a
 * regular expression over the whole text, which costs as much as the HMAC at 1 MiB):
 * Buffer's decoder takes `+` and `/` too, so those are looked for; `=` may only end the
 * text, at most twice; and it skips any other character, so one is present exactly when
 * fewer bytes come out than the length and padding give.
 */
function decodeToken(text: string): Uint8Array | undefined {
  const length = text.length;
  if (length === 0 || length % 4 !== 0) return undefined;
  const padding = text.charCodeAt(length - 1) !== 0x3d ? 0 : text.charCodeAt(length - 2) !== 0x3d ? 1 : 2;
  const firstEquals = text.indexOf("=");
  if ((firstEquals !== -1 && firstEquals !== length - padding) || text.includes("+") || text.includes("/")) return undefined;
  const bytes = Buffer.from(text, "base64url");
  return bytes.length === ((length - padding) * 3) >> 2 ? bytesView(bytes) : undefined;
}

/**
 * Fernet on `node:crypto`: HMAC-SHA256 and AES-128-CBC with the keys held as secret
 * `KeyObject`s (OpenSSL's copy; the caller wipes the arrays it passed).
 */
export const NODE_FERNET: FernetBackend = {
  name: "node:crypto",
  // Buffer's base64url is native; Fernet tokens carry padding, which it neither writes nor needs.
  encodeToken(bytes) {
    const text = bufferView(bytes).toString("base64url");
    return text + PADDING[text.length % 4]!;
  },
  decodeToken,
  importKeys(signing, encryption) {
    const signingKey: KeyObject = createSecretKey(bufferView(signing));
    const encryptionKey: KeyObject = createSecretKey(bufferView(encryption));
    return {
      mac: (data) => bytesView(createHmac("sha256", signingKey).update(data).digest()),
      encrypt(iv, plaintext) {
        const cipher = createCipheriv("aes-128-cbc", encryptionKey, iv);
        return joinedOutput(cipher.update(plaintext), cipher.final());
      },
      decrypt(iv, ciphertext) {
        const decipher = createDecipheriv("aes-128-cbc", encryptionKey, iv);
        return joinedOutput(decipher.update(ciphertext), decipher.final());
      },
    };
  },
};
