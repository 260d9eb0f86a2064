/**
 * `poorman-handshake/node`: Node-only helpers (files).
 *
 * @module
 */
export { X25519PinStore, loadOrCreateX25519KeyFile, loadX25519KeyFile, saveX25519KeyFile, type X25519KeyPair } from "./hivemind-keys.js";
export { NODE_BACKEND, nodeChaChaPoly, nodeSha256, nodeSha512, nodeX25519 } from "./noise-backend.js";
