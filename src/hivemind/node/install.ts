/**
 * Installs HiveMind's Node side: the Noise engine's (see `noise/node/install.ts`) and the
 * `ws` WebSocket (Node 20 has no global `WebSocket`). Imported for this effect only, by
 * the `node` entry of `./hivemind`, the hub server and the CLI.
 *
 * @module
 */
import WebSocket from "ws";
import "../../noise/node/install.js";
import { setWebSocketImplementation, type WebSocketConstructor } from "../websocket.js";

setWebSocketImplementation(WebSocket as unknown as WebSocketConstructor);
