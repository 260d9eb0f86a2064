/**
 * Installs HiveMind's Node side: the Noise engine's (see `noise/node/install.ts`) and the
 * `ws` WebSocket (Node 20 has no global `WebSocket`; the package is loaded on the first
 * connect). Imported for this effect only, by the `node` entry of `./hivemind`, the hub
 * server and the CLI.
 *
 * @module
 */
import "../../noise/node/install.js";
import { setWebSocketImplementation } from "../websocket.js";
import { NODE_WEB_SOCKET } from "./ws.js";

setWebSocketImplementation(NODE_WEB_SOCKET);
