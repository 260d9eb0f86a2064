/**
 * `poorman-handshake/noise` on Node (the `node` export condition): the same API, with
 * `node:crypto` X25519 and ChaCha20-Poly1305 installed as the default backend.
 *
 * @module
 */
import { setNoiseBackend } from "../noise/index.js";
import { NODE_BACKEND } from "./noise-backend.js";

setNoiseBackend(NODE_BACKEND);

export * from "../noise/index.js";
export { NODE_BACKEND, nodeChaChaPoly, nodeX25519 } from "./noise-backend.js";
