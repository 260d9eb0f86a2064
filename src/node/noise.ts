/**
 * `poorman-handshake/noise` on Node (the `node` export condition): the same API, with
 * `node:crypto` X25519, ChaCha20-Poly1305, AES-256-GCM and hashes installed as the default backend, libargon2
 * for the PSK when the optional `argon2` addon loads, and key
 * files for `NoiseHandShake.create({ path })` (Python's format: hex, mode 0600).
 *
 * @module
 */
import { setNoiseBackend } from "../noise/index.js";
import { installNoiseKeyFiles } from "../noise/noise-handshake.js";
import { loadOrCreateX25519KeyFile } from "./hivemind/keys.js";
import "./install-argon2.js";
import { NODE_BACKEND } from "./noise-backend.js";

setNoiseBackend(NODE_BACKEND);
installNoiseKeyFiles(loadOrCreateX25519KeyFile);

export * from "../noise/index.js";
export { NODE_BACKEND, nodeAesGcm, nodeChaChaPoly, nodeX25519 } from "./noise-backend.js";
