/**
 * `poorman-handshake/fiber/chain` on Node: the portable module, with `connectChain` using
 * the `ws` package where the runtime has no global WebSocket (Node 20), and `nodes.json`
 * files (Fiber's `Metagraph.load_nodes` / `save_nodes`).
 *
 * @module
 */
import { connectChain as connectPortable, type Chain, type ConnectChainOptions, type WebSocketClass } from "../client.js";

export * from "../index.js";
export { loadNodesFile, saveNodesFile } from "../../node/wallet.js";

/**
 * Connects to a subtensor node (see the portable `connectChain`); on Node, the WebSocket
 * class defaults to the runtime's own, else the `ws` package's.
 * @param network - `finney`, `test`, `local` or a `ws://` / `wss://` URL
 * @param options - see {@link ConnectChainOptions}
 */
export async function connectChain(network: string, options: ConnectChainOptions = {}): Promise<Chain> {
  // `ws` only where the runtime has no WebSocket (Node 20), loaded then: importing this entry reads no environment (Deno resolves the node condition too).
  const webSocket = options.webSocket ?? (globalThis as { WebSocket?: WebSocketClass }).WebSocket ?? ((await import("ws")).default as unknown as WebSocketClass);
  return connectPortable(network, { ...options, webSocket });
}
