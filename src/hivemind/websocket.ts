/**
 * The WebSocket a {@link HiveMindNode} uses: the WHATWG API (browsers, Deno, Bun, Node 22),
 * or on Node 20 the `ws` package, which the `node` export condition installs.
 *
 * @module
 */
import { InvalidArgumentError } from "../common/errors.js";

/** The part of the WHATWG `WebSocket` the node uses (the `ws` package has it too). */
export interface WebSocketLike {
  /** `arraybuffer` is set before the first message. */
  binaryType: string;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes queued and not yet sent (optional here; the WHATWG API and `ws` have it). */
  readonly bufferedAmount?: number;
  /** Sends a text or binary frame. */
  send(data: string | Uint8Array): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Adds a listener (`open`, `message`, `close`, `error`). */
  addEventListener(type: string, listener: (event: never) => void): void;
}

/** A `WebSocket` constructor. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

let implementation: WebSocketConstructor | undefined;

/**
 * Sets the WebSocket constructor used when `HiveMindNode.connect` is given none (the
 * `node` entry installs `ws` this way). `undefined` goes back to the global `WebSocket`.
 */
export function setWebSocketImplementation(constructor: WebSocketConstructor | undefined): void {
  if (constructor !== undefined && typeof constructor !== "function") throw new InvalidArgumentError("constructor must be a WebSocket constructor");
  implementation = constructor;
}

/** The installed constructor, else the global `WebSocket`. */
export function webSocketImplementation(): WebSocketConstructor {
  const found = implementation ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (found === undefined) throw new InvalidArgumentError("no WebSocket implementation: pass options.WebSocket, or import poorman-handshake/hivemind under the node condition (which uses the ws package)");
  return found;
}
