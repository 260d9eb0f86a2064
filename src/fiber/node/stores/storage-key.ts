/**
 * Key material at rest (Redis values, store files): sealed with AES-256-GCM under a
 * storage key, through Web Crypto, each value bound to its slot by the associated data
 * so that a value copied to another slot does not open.
 *
 * @module
 */
import { abytes, bufferSource, concatBytes, fromBase64, fromHex, isHex, randomBytes, toBase64, utf8 } from "../../../common/bytes.js";
import { DecryptionError, InvalidArgumentError } from "../../../common/errors.js";

/** Bytes of a storage key (AES-256). */
export const STORAGE_KEY_BYTES = 32;
const IV_BYTES = 12;
/** Prefix of sealed values. */
const SEALED = "aes256gcm:";
/** Prefix of values kept in the clear (no storage key configured). */
const CLEAR = "clear:";

/**
 * A storage key: AES-256-GCM, imported into Web Crypto once, not extractable.
 *
 * @example
 * ```ts
 * const storageKey = await StorageKey.fromHex(process.env.PMH_STORAGE_KEY!); // openssl rand -hex 32
 * ```
 */
export class StorageKey {
  readonly #key: CryptoKey;

  private constructor(key: CryptoKey) {
    this.#key = key;
  }

  /**
   * Imports 32 bytes of key material (which the caller may then wipe).
   * @param bytes - the 32-byte storage key
   */
  static async fromBytes(bytes: Uint8Array): Promise<StorageKey> {
    abytes(bytes, "storageKey", STORAGE_KEY_BYTES);
    const key = await globalThis.crypto.subtle.importKey("raw", bufferSource(bytes), "AES-GCM", false, ["encrypt", "decrypt"]);
    return new StorageKey(key);
  }

  /**
   * Imports a storage key written as 64 hex digits (`openssl rand -hex 32`).
   * @param hex - 64 hex digits
   */
  static async fromHex(hex: string): Promise<StorageKey> {
    if (typeof hex !== "string" || hex.length !== STORAGE_KEY_BYTES * 2 || !isHex(hex)) {
      throw new InvalidArgumentError(`storage key must be ${STORAGE_KEY_BYTES * 2} hex digits (openssl rand -hex 32)`);
    }
    const bytes = fromHex(hex, "storageKey");
    try {
      return await StorageKey.fromBytes(bytes);
    } finally {
      bytes.fill(0);
    }
  }

  /** Encrypts `plaintext` bound to `slot`; returns `iv || ciphertext || tag`. */
  async seal(plaintext: Uint8Array, slot: string): Promise<Uint8Array> {
    const iv = randomBytes(IV_BYTES);
    const sealed = await globalThis.crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(slot) }, this.#key, bufferSource(plaintext));
    return concatBytes(iv, new Uint8Array(sealed));
  }

  /**
   * Decrypts what {@link StorageKey.seal} made for the same `slot`.
   * @throws DecryptionError for another key, another slot or altered bytes
   */
  async open(sealed: Uint8Array, slot: string): Promise<Uint8Array> {
    if (sealed.length < IV_BYTES + 16) throw new DecryptionError();
    try {
      const iv = sealed.subarray(0, IV_BYTES);
      const plain = await globalThis.crypto.subtle.decrypt({ name: "AES-GCM", iv: bufferSource(iv.slice()), additionalData: utf8(slot) }, this.#key, bufferSource(sealed.slice(IV_BYTES)));
      return new Uint8Array(plain);
    } catch {
      throw new DecryptionError();
    }
  }
}

/**
 * Encodes a secret for storage as text: sealed under `storageKey` when there is one
 * (`aes256gcm:<base64>`), in the clear otherwise (`clear:<base64>`).
 * @param storageKey - the storage key, or undefined
 * @param secret - the bytes to store
 * @param slot - what the value is (e.g. the Redis key name); binds the ciphertext to it
 */
export async function encodeAtRest(storageKey: StorageKey | undefined, secret: Uint8Array, slot: string): Promise<string> {
  return storageKey === undefined ? CLEAR + toBase64(secret) : SEALED + toBase64(await storageKey.seal(secret, slot));
}

/**
 * Decodes what {@link encodeAtRest} made. A sealed value needs the same storage key;
 * a value in the clear is refused when a storage key is configured (it may have been
 * planted by someone without the key).
 * @throws DecryptionError when the value cannot be opened with what is configured
 */
export async function decodeAtRest(storageKey: StorageKey | undefined, text: string, slot: string): Promise<Uint8Array> {
  try {
    if (storageKey === undefined && text.startsWith(CLEAR)) return fromBase64(text.slice(CLEAR.length));
    if (storageKey !== undefined && text.startsWith(SEALED)) return await storageKey.open(fromBase64(text.slice(SEALED.length)), slot);
  } catch {
    // fall through: one uniform error
  }
  throw new DecryptionError();
}

/** True when a stored value is sealed (so it needs a storage key to open). */
export function isSealedAtRest(text: string): boolean {
  return text.startsWith(SEALED);
}
