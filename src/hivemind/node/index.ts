/**
 * `poorman-handshake/hivemind` on Node (the `node` export condition): the same API,
 * with the Noise engine's libsodium backend (the optional `sodium-native` addon, when it
 * loads; `node:crypto` otherwise) and the `ws` WebSocket installed (Node 20
 * has no global `WebSocket`), and libargon2 for the PSK when the optional `argon2` addon
 * loads (hash-wasm otherwise).
 *
 * @module
 */
import "./install.js";

export * from "../index.js";
