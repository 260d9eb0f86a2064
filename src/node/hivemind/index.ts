/**
 * `poorman-handshake/hivemind` on Node (the `node` export condition): the same API,
 * with the Noise engine's `node:crypto` backend and the `ws` WebSocket installed (Node 20
 * has no global `WebSocket`).
 *
 * @module
 */
import WebSocket from "ws";
import { setWebSocketImplementation, type WebSocketConstructor } from "../../hivemind/index.js";
import { setNoiseBackend } from "../../noise/index.js";
import { NODE_BACKEND } from "../noise-backend.js";

setNoiseBackend(NODE_BACKEND);
setWebSocketImplementation(WebSocket as unknown as WebSocketConstructor);

export * from "../../hivemind/index.js";
