/**
 * Who computes the RSA public-key operations (OAEP encryption, PSS verification):
 * {@link RSAPublicBackend}, Web Crypto by default, `node:crypto` once a Node entry point
 * is imported. The key is imported and checked before (`importRSAKey`: its numbers, the
 * peer-key policy, the message and signature lengths); the backend only computes, and
 * every backend passes the same vectors (Wycheproof PSS, Python's handshakes).
 *
 * Public operations are short (tens of microseconds for RSA-2048), so a native backend
 * runs them at once instead of queueing each on a thread pool as Web Crypto does. A
 * backend may also sign (optional `sign`), off the calling thread; decryption stays on
 * Web Crypto.
 *
 * @module
 */
import { bufferSource } from "../common/bytes.js";
import { InvalidArgumentError } from "../common/errors.js";
import { PSS_SALT_BYTES } from "./constants.js";
import type { OAEPHash } from "./keys.js";

/** RSA public-key operations; see the module comment. */
export interface RSAPublicBackend {
  /** Shown in diagnostics ("web-crypto", "node:crypto"). */
  readonly name: string;
  /**
   * RSA-OAEP encryption with `hash` (and MGF1 of it).
   * @param key - an RSA-OAEP public `CryptoKey` for `encrypt`, already checked
   * @param hash - the OAEP hash the key was imported with
   * @param label - the OAEP label, if any
   * @param data - at most what the key and hash allow (checked by the caller)
   */
  encrypt(key: CryptoKey, hash: OAEPHash, label: Uint8Array | undefined, data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /**
   * RSA-PSS verification: SHA-256, MGF1-SHA-256, salt 32.
   * @param key - an RSA-PSS public `CryptoKey` for `verify`, already checked
   * @param signature - as long as the modulus (checked by the caller)
   * @returns whether it is valid; may throw on a malformed signature (the caller answers false)
   */
  verify(key: CryptoKey, data: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>;
  /**
   * RSA-PSS signing (SHA-256, MGF1-SHA-256, salt 32), optional: Web Crypto's
   * `subtle.sign` when absent. A private operation (about a millisecond for RSA-2048),
   * so it must not run on the calling thread: a native backend queues it on a thread pool.
   * @param key - an RSA-PSS private `CryptoKey` for `sign`, already checked
   * @returns the signature, as long as the modulus
   */
  sign?(key: CryptoKey, data: Uint8Array): Promise<Uint8Array>;
}

/** Web Crypto's RSA-OAEP and RSA-PSS (every runtime). */
export const WEB_CRYPTO_RSA: RSAPublicBackend = {
  name: "web-crypto",
  async encrypt(key, _hash, label, data) {
    const params: RsaOaepParams = label === undefined ? { name: "RSA-OAEP" } : { name: "RSA-OAEP", label: bufferSource(label) };
    return new Uint8Array(await globalThis.crypto.subtle.encrypt(params, key, bufferSource(data)));
  },
  verify(key, data, signature) {
    return globalThis.crypto.subtle.verify({ name: "RSA-PSS", saltLength: PSS_SALT_BYTES }, key, bufferSource(signature), bufferSource(data));
  },
};

let defaultBackend: RSAPublicBackend = WEB_CRYPTO_RSA;

/** The installed {@link RSAPublicBackend} (Web Crypto unless a Node entry point installed `node:crypto`). */
export function rsaPublicBackend(): RSAPublicBackend {
  return defaultBackend;
}

/**
 * Installs the {@link RSAPublicBackend} used by `encryptRSA`, `verifyRSA` (and, when it
 * has `sign`, `signRSA`) and the handshakes; the Node entry points install `node:crypto`'s.
 * @throws InvalidArgumentError when `backend` has no `encrypt` and `verify`, or a `sign` that is not a function
 */
export function setRSAPublicBackend(backend: RSAPublicBackend): void {
  if (typeof backend?.encrypt !== "function" || typeof backend.verify !== "function" || (backend.sign !== undefined && typeof backend.sign !== "function")) {
    throw new InvalidArgumentError("backend must be an RSAPublicBackend (an object with encrypt and verify, and sign a function if present)");
  }
  defaultBackend = backend;
}
