/**
 * `poorman-handshake/hivemind` on Node (the `node` export condition): the same API,
 * with the Noise engine's `node:crypto` backend and the `ws` WebSocket installed (Node 20
 * has no global `WebSocket`), and libargon2 for the PSK when the optional `argon2` addon
 * loads (hash-wasm otherwise).
 *
 * @module
 */
import WebSocket from "ws";
import { setArgon2idImplementation } from "../../hivemind/psk.js";
import { setWebSocketImplementation, type WebSocketConstructor } from "../../hivemind/index.js";
import { setNoiseBackend } from "../../noise/index.js";
import { loadNativeArgon2id } from "../argon2.js";
import { NODE_BACKEND } from "../noise-backend.js";

setNoiseBackend(NODE_BACKEND);
const nativeArgon2id = await loadNativeArgon2id();
if (nativeArgon2id !== undefined) setArgon2idImplementation(nativeArgon2id);
setWebSocketImplementation(WebSocket as unknown as WebSocketConstructor);

export * from "../../hivemind/index.js";
