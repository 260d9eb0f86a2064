/**
 * The `node:crypto` {@link RSAPublicBackend}: RSA-OAEP encryption and RSA-PSS
 * verification with the `KeyObject` of each (already checked) `CryptoKey`, made once per
 * key, computed at once on the calling thread (tens of microseconds for RSA-2048) rather
 * than queued on libuv's thread pool as Web Crypto queues every operation. RSA-PSS
 * signing (a private operation, about a millisecond) goes to libuv's thread pool through
 * `crypto.sign`'s callback form, with far less set-up per job than `subtle.sign`.
 * Decryption stays on Web Crypto (node:crypto has no asynchronous `privateDecrypt`), off
 * the event loop. Installed by the Node entry points.
 *
 * @module
 */
import { constants, KeyObject, publicEncrypt, sign, verify } from "node:crypto";
import type { OAEPHash } from "../keys.js";
import { PSS_SALT_BYTES } from "../constants.js";
import type { RSAPublicBackend } from "../public-backend.js";

const OAEP_HASHES: Record<OAEPHash, string> = { "SHA-1": "sha1", "SHA-256": "sha256" };
const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_BYTES };
/** One `KeyObject` per imported key; a key is immutable, so it never goes stale. */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

function keyObjectOf(key: CryptoKey): KeyObject {
  let object = keyObjects.get(key);
  if (object === undefined) keyObjects.set(key, (object = KeyObject.from(key)));
  return object;
}

/** The `node:crypto` RSA public-key backend; see the module comment. */
export const NODE_RSA: RSAPublicBackend = {
  name: "node:crypto",
  encrypt(key, hash, label, data) {
    const out = publicEncrypt({ key: keyObjectOf(key), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASHES[hash], ...(label === undefined ? {} : { oaepLabel: label }) }, data);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
  verify(key, data, signature) {
    return verify("sha256", data, { key: keyObjectOf(key), ...PSS }, signature);
  },
  sign(key, data) {
    const options = { key: keyObjectOf(key), ...PSS };
    return new Promise((resolve, reject) => {
      // The callback form: queued on libuv's thread pool, never computed on the event loop.
      sign("sha256", data, options, (error, signature) => {
        if (error === null) resolve(new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength));
        else reject(error);
      });
    });
  },
};
