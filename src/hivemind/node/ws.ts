/**
 * The `ws` package, loaded on first use: a hub server or a client connection needs it,
 * importing `poorman-handshake/hivemind` or `/node` does not (loading it took as long as the
 * rest of the HiveMind entry). `require`, because `ws` is CommonJS and its ESM wrapper
 * costs Node's ESM loader a parse of the package for export names.
 *
 * @module
 */
import { createRequire } from "node:module";
import type { WebSocketConstructor } from "../websocket.js";

/** What `require("ws")` answers: the `WebSocket` class, with `WebSocketServer` and the rest on it. */
type WsModule = typeof import("ws");

let ws: WsModule | undefined;

/** The `ws` module (its `WebSocket` class, with `WebSocketServer` on it). */
export function loadWs(): WsModule {
  return (ws ??= createRequire(import.meta.url)("ws") as WsModule);
}

/**
 * What the `node` entry installs as HiveMind's WebSocket: constructing it loads `ws` and
 * answers a `ws` WebSocket (a constructor may return another object), so the choice of
 * implementation stays made at import and the package is read only on the first connect.
 */
export class NodeWebSocket {
  constructor(url: string) {
    return new (loadWs().WebSocket)(url) as unknown as NodeWebSocket;
  }
}

/** {@link NodeWebSocket} as the constructor type `setWebSocketImplementation` takes. */
export const NODE_WEB_SOCKET = NodeWebSocket as unknown as WebSocketConstructor;
