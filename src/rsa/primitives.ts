/**
 * The reference's RSA primitives (`asymmetric/utils.py`) on Web Crypto: RSA-OAEP
 * encryption (SHA-1 by default) and RSA-PSS signatures (SHA-256, salt 32).
 *
 * @module
 */
import { abytes, bufferSource, utf8, type ArrayBufferBytes } from "../bytes.js";
import { DecryptionError, InvalidArgumentError } from "../errors.js";
import { OAEP_DEFAULT_HASH, OAEP_HASH_BYTES, PSS_SALT_BYTES } from "./constants.js";
import { checkOAEPHash, importRSAKey, modulusBytes, type OAEPHash, type RSAKeyInput } from "./keys.js";

/** Options of {@link encryptRSA} and {@link decryptRSA}; both sides must use the same. */
export interface OAEPOptions {
  /** OAEP hash and MGF1 hash: `"SHA-1"` (default, the reference's) or `"SHA-256"` (Fiber's). */
  hash?: OAEPHash | undefined;
  /** OAEP label; empty by default. */
  label?: Uint8Array | undefined;
}

function oaepParams(options: OAEPOptions | undefined): { hash: OAEPHash; params: RsaOaepParams } {
  if (options === null || (options !== undefined && typeof options !== "object")) {
    throw new InvalidArgumentError("options must be an object");
  }
  const hash = checkOAEPHash(options?.hash ?? OAEP_DEFAULT_HASH, "options.hash");
  const label = options?.label === undefined ? undefined : bufferSource(abytes(options.label, "options.label"));
  return { hash, params: label === undefined ? { name: "RSA-OAEP" } : { name: "RSA-OAEP", label } };
}

/** UTF-8 encodes a string; passes bytes through; anything else is an argument error. */
function messageBytes(data: unknown, name: string): ArrayBufferBytes {
  return typeof data === "string" ? utf8(data) : bufferSource(abytes(data, name));
}

/**
 * RSA-OAEP encryption, as the reference's `encrypt_RSA` (SHA-1 and MGF1-SHA-1, empty
 * label) unless options say otherwise.
 * @param publicKey - the recipient's key (a private key's public half is used)
 * @param data - bytes, or a string encoded as UTF-8; at most `k - 2·hLen - 2` bytes
 *   (214 for RSA-2048 with SHA-1)
 * @returns the ciphertext, as long as the modulus
 */
export async function encryptRSA(publicKey: RSAKeyInput, data: Uint8Array | string, options?: OAEPOptions): Promise<Uint8Array> {
  const { hash, params } = oaepParams(options);
  const plaintext = messageBytes(data, "data");
  const key = await importRSAKey(publicKey, "encrypt", hash, "publicKey");
  const max = modulusBytes(key) - 2 * OAEP_HASH_BYTES[hash] - 2;
  if (plaintext.length > max) {
    throw new InvalidArgumentError(`data must be at most ${max} bytes for this key and OAEP-${hash}, got ${plaintext.length}`);
  }
  return new Uint8Array(await globalThis.crypto.subtle.encrypt(params, key, plaintext));
}

/**
 * RSA-OAEP decryption, as the reference's `decrypt_RSA`.
 * @param privateKey - our private key
 * @param ciphertext - exactly as long as the modulus
 * @throws DecryptionError on any failure of the ciphertext (wrong key, wrong length,
 *   bad padding, wrong label), without saying which
 * @throws KeyFormatError when `privateKey` is not a usable private key
 */
export async function decryptRSA(privateKey: RSAKeyInput, ciphertext: Uint8Array, options?: OAEPOptions): Promise<Uint8Array> {
  const { hash, params } = oaepParams(options);
  abytes(ciphertext, "ciphertext");
  const key = await importRSAKey(privateKey, "decrypt", hash, "privateKey");
  if (ciphertext.length !== modulusBytes(key)) throw new DecryptionError();
  try {
    return new Uint8Array(await globalThis.crypto.subtle.decrypt(params, key, bufferSource(ciphertext)));
  } catch {
    throw new DecryptionError();
  }
}

/**
 * RSA-PSS signature, as the reference's `sign_RSA`: SHA-256, MGF1-SHA-256, salt 32.
 * @param privateKey - our private key
 * @param message - bytes, or a string encoded as UTF-8
 */
export async function signRSA(privateKey: RSAKeyInput, message: Uint8Array | string): Promise<Uint8Array> {
  const data = messageBytes(message, "message");
  const key = await importRSAKey(privateKey, "sign", undefined, "privateKey");
  return new Uint8Array(await globalThis.crypto.subtle.sign({ name: "RSA-PSS", saltLength: PSS_SALT_BYTES }, key, data));
}

/**
 * RSA-PSS verification, as the reference's `verify_RSA`.
 * @param publicKey - the signer's key
 * @param message - bytes, or a string encoded as UTF-8
 * @param signature - the signature to check
 * @returns whether the signature is valid; `false`, never an exception, for any bad signature
 * @throws KeyFormatError when `publicKey` is not a usable key
 */
export async function verifyRSA(publicKey: RSAKeyInput, message: Uint8Array | string, signature: Uint8Array): Promise<boolean> {
  const data = messageBytes(message, "message");
  abytes(signature, "signature");
  const key = await importRSAKey(publicKey, "verify", undefined, "publicKey");
  if (signature.length !== modulusBytes(key)) return false;
  try {
    return await globalThis.crypto.subtle.verify({ name: "RSA-PSS", saltLength: PSS_SALT_BYTES }, key, bufferSource(signature), data);
  } catch {
    return false;
  }
}
