/**
 * `poorman-handshake/noise` on Node (the `node` export condition): the same API, with
 * libsodium (the optional `sodium-native` addon) installed as the default backend when it
 * loads, else `node:crypto` X25519, ChaCha20-Poly1305, AES-256-GCM and hashes; libargon2
 * for the PSK when the optional `argon2` addon loads, and key
 * files for `NoiseHandShake.create({ path })` (Python's format: hex, mode 0600).
 *
 * @module
 */
import "./install.js";

export * from "../index.js";
export { NODE_BACKEND, nodeAesGcm, nodeChaChaPoly, nodeX25519 } from "./node-crypto.js";
export { NODE_DEFAULT_BACKEND, SODIUM_BACKEND } from "./default-backend.js";
export { loadSodiumNoiseBackend } from "./sodium.js";
