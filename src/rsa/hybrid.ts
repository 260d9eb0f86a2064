/**
 * `hybrid_encrypt_RSA` of the newer reference releases: RSA-OAEP-SHA1 wraps a fresh
 * AES-256 key, AES-GCM (16-byte nonce, no associated data) encrypts the data.
 *
 *     uint16_be(len(rsa_ct)) || rsa_ct || nonce(16) || tag(16) || aes_ct
 *
 * @module
 */
import { concatBytes, randomBytes, utf8, abytes, wipe } from "../common/bytes.js";
import { DecryptionError } from "../common/errors.js";
import { aesGcmDecrypt, aesGcmEncrypt } from "./aes-gcm.js";
import { HYBRID_AES_KEY_BYTES, HYBRID_LENGTH_PREFIX_BYTES, HYBRID_NONCE_BYTES, HYBRID_TAG_BYTES } from "./constants.js";
import { importRSAKey, modulusBytes, type RSAKeyInput } from "./keys.js";
import { decryptRSA, encryptRSA } from "./primitives.js";
import type { RSAPeerKeyOptions } from "./validate.js";

/**
 * Encrypts data of any length for the holder of `publicKey`, as the reference's
 * `hybrid_encrypt_RSA`.
 * @param publicKey - the recipient's RSA key
 * @param plaintext - bytes, or a string encoded as UTF-8
 * @param options - `minKeyBits` for the recipient's key (2048 by default)
 * @returns the blob `uint16_be(len) || rsa_ct || nonce || tag || aes_ct`
 * @throws KeyFormatError when `publicKey` is refused (see {@link importRSAKey})
 */
export async function hybridEncryptRSA(publicKey: RSAKeyInput, plaintext: Uint8Array | string, options?: RSAPeerKeyOptions): Promise<Uint8Array> {
  const data = typeof plaintext === "string" ? utf8(plaintext) : abytes(plaintext, "plaintext");
  const aesKey = randomBytes(HYBRID_AES_KEY_BYTES);
  const nonce = randomBytes(HYBRID_NONCE_BYTES);
  try {
    const [rsaCt, { ciphertext, tag }] = await Promise.all([encryptRSA(publicKey, aesKey, options?.minKeyBits === undefined ? undefined : { minKeyBits: options.minKeyBits }), aesGcmEncrypt(aesKey, nonce, data)]);
    return concatBytes(Uint8Array.of(rsaCt.length >> 8, rsaCt.length & 0xff), rsaCt, nonce, tag, ciphertext);
  } finally {
    wipe(aesKey);
  }
}

/**
 * Decrypts a blob of {@link hybridEncryptRSA} (or of Python's `hybrid_encrypt_RSA`).
 * @param privateKey - our RSA private key
 * @param blob - the whole blob
 * @throws DecryptionError for every failure (wrong key, any changed byte, truncation),
 *   with the same message and the same work whichever part failed
 * @throws KeyFormatError when `privateKey` is not a usable private key
 */
export async function hybridDecryptRSA(privateKey: RSAKeyInput, blob: Uint8Array): Promise<Uint8Array> {
  abytes(blob, "blob");
  const k = modulusBytes(await importRSAKey(privateKey, "decrypt", undefined, "privateKey"));
  const rsaEnd = HYBRID_LENGTH_PREFIX_BYTES + k;
  const nonceEnd = rsaEnd + HYBRID_NONCE_BYTES;
  const tagEnd = nonceEnd + HYBRID_TAG_BYTES;
  if (blob.length < tagEnd || ((blob[0]! << 8) | blob[1]!) !== k) throw new DecryptionError();
  let aesKey = await decryptRSA(privateKey, blob.subarray(HYBRID_LENGTH_PREFIX_BYTES, rsaEnd)).catch(() => undefined);
  // On an RSA failure, still run AES-GCM (with a random key) so both failures cost the same.
  const rsaFailed = aesKey?.length !== HYBRID_AES_KEY_BYTES;
  if (rsaFailed) aesKey = randomBytes(HYBRID_AES_KEY_BYTES);
  try {
    const plaintext = await aesGcmDecrypt(aesKey!, blob.subarray(rsaEnd, nonceEnd), blob.subarray(tagEnd), blob.subarray(nonceEnd, tagEnd));
    if (rsaFailed) throw new DecryptionError();
    return plaintext;
  } finally {
    wipe(aesKey);
  }
}
