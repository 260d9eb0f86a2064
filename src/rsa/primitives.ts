/**
 * The reference's RSA primitives (`asymmetric/utils.py`) on Web Crypto: RSA-OAEP
 * encryption (SHA-1 by default) and RSA-PSS signatures (SHA-256, salt 32). The public
 * operations and signing go through the installed `RSAPublicBackend` (`node:crypto` on
 * Node, signing on libuv's thread pool); decryption stays on Web Crypto.
 *
 * @module
 */
import { abytes, bufferSource, utf8, type ArrayBufferBytes } from "../common/bytes.js";
import { DecryptionError, InvalidArgumentError, KeyFormatError } from "../common/errors.js";
import { OAEP_DEFAULT_HASH, OAEP_HASH_BYTES, PSS_SALT_BYTES } from "./constants.js";
import { checkOAEPHash, importRSAKey, modulusBytes, type OAEPHash, type RSAKeyInput } from "./keys.js";
import { rsaPublicBackend } from "./public-backend.js";
import type { RSAPeerKeyOptions } from "./validate.js";

/** Options of {@link encryptRSA} and {@link decryptRSA}; both sides must use the same. */
export interface OAEPOptions {
  /** OAEP hash and MGF1 hash: `"SHA-1"` (default, the reference's) or `"SHA-256"` (Fiber's). */
  hash?: OAEPHash | undefined;
  /** OAEP label; empty by default. */
  label?: Uint8Array | undefined;
}

/** Options of {@link encryptRSA}: the OAEP parameters and the policy for the recipient's key. */
export interface EncryptRSAOptions extends OAEPOptions, RSAPeerKeyOptions {}

function checkOptions(options: unknown): void {
  if (options === null || (options !== undefined && typeof options !== "object")) {
    throw new InvalidArgumentError("options must be an object");
  }
}

const PSS_PARAMS: RsaPssParams = { name: "RSA-PSS", saltLength: PSS_SALT_BYTES };

/** Runs a Web Crypto operation with our key; its failure is a typed error naming the key. */
async function withKey<T>(operation: () => Promise<T>, what: string): Promise<T> {
  try {
    return await operation();
  } catch (cause) {
    throw new KeyFormatError(`${what} failed in Web Crypto: the key cannot be used for it`, { cause });
  }
}

function oaepParams(options: OAEPOptions | undefined): { hash: OAEPHash; label: ArrayBufferBytes | undefined; params: RsaOaepParams } {
  checkOptions(options);
  const hash = checkOAEPHash(options?.hash ?? OAEP_DEFAULT_HASH, "options.hash");
  const label = options?.label === undefined ? undefined : bufferSource(abytes(options.label, "options.label"));
  return { hash, label, params: label === undefined ? { name: "RSA-OAEP" } : { name: "RSA-OAEP", label } };
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
 * @param options - OAEP parameters, and `minKeyBits` for the recipient's key (2048 by default)
 * @returns the ciphertext, as long as the modulus
 * @throws KeyFormatError when `publicKey` is refused (see {@link importRSAKey})
 */
export async function encryptRSA(publicKey: RSAKeyInput, data: Uint8Array | string, options?: EncryptRSAOptions): Promise<Uint8Array> {
  const { hash, label } = oaepParams(options);
  const plaintext = messageBytes(data, "data");
  const key = await importRSAKey(publicKey, "encrypt", hash, "publicKey", options);
  const max = modulusBytes(key) - 2 * OAEP_HASH_BYTES[hash] - 2;
  if (plaintext.length > max) {
    throw new InvalidArgumentError(`data must be at most ${max} bytes for this key and OAEP-${hash}, got ${plaintext.length}`);
  }
  const backend = rsaPublicBackend();
  return withKey(async () => backend.encrypt(key, hash, label, plaintext), "RSA-OAEP encryption to publicKey");
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
  const backend = rsaPublicBackend();
  if (backend.sign !== undefined) return withKey(() => backend.sign!(key, data), "RSA-PSS signing with privateKey");
  return new Uint8Array(await withKey(() => globalThis.crypto.subtle.sign(PSS_PARAMS, key, data), "RSA-PSS signing with privateKey"));
}

/**
 * RSA-PSS verification, as the reference's `verify_RSA`.
 * @param publicKey - the signer's key
 * @param message - bytes, or a string encoded as UTF-8
 * @param signature - the signature to check
 * @param options - `minKeyBits` for the signer's key (2048 by default)
 * @returns whether the signature is valid; `false`, never an exception, for any bad signature
 * @throws KeyFormatError when `publicKey` is refused (see {@link importRSAKey})
 */
export async function verifyRSA(publicKey: RSAKeyInput, message: Uint8Array | string, signature: Uint8Array, options?: RSAPeerKeyOptions): Promise<boolean> {
  checkOptions(options);
  const data = messageBytes(message, "message");
  abytes(signature, "signature");
  const key = await importRSAKey(publicKey, "verify", undefined, "publicKey", options);
  if (signature.length !== modulusBytes(key)) return false;
  try {
    return (await rsaPublicBackend().verify(key, data, bufferSource(signature))) === true;
  } catch {
    return false;
  }
}
