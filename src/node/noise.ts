/**
 * `poorman-handshake/noise` on Node (the `node` export condition): the same API, with
 * libsodium (the optional `sodium-native` addon) installed as the default backend when it
 * loads, else `node:crypto` X25519, ChaCha20-Poly1305, AES-256-GCM and hashes; libargon2
 * for the PSK when the optional `argon2` addon loads, and key
 * files for `NoiseHandShake.create({ path })` (Python's format: hex, mode 0600).
 *
 * @module
 */
import { setNoiseBackend } from "../noise/index.js";
import { installNoiseKeyFiles } from "../noise/noise-handshake.js";
import { loadOrCreateX25519KeyFile } from "./hivemind/keys.js";
import "./install-argon2.js";
import { NODE_DEFAULT_BACKEND } from "./noise/backends.js";

setNoiseBackend(NODE_DEFAULT_BACKEND);
installNoiseKeyFiles(loadOrCreateX25519KeyFile);

export * from "../noise/index.js";
export { NODE_BACKEND, nodeAesGcm, nodeChaChaPoly, nodeX25519 } from "./noise-backend.js";
export { NODE_DEFAULT_BACKEND, SODIUM_BACKEND } from "./noise/backends.js";
export { loadSodiumNoiseBackend } from "./noise/sodium.js";
