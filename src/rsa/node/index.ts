/**
 * `poorman-handshake/rsa` on Node (the `node` export condition): the same API, with
 * AES-GCM (the hybrid blob's cipher) and Fernet on `node:crypto` installed as the
 * default backends, the RSA public-key operations (OAEP encryption, PSS verification)
 * on `node:crypto`, and PSS signing on `node:crypto`'s thread-pool form; decryption
 * stays on Web Crypto.
 *
 * @module
 */
import "./install.js";

export * from "../index.js";
export { NODE_AES_GCM } from "./aes-gcm.js";
export { NODE_RSA } from "./public-backend.js";
