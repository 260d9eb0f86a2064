/**
 * `poorman-handshake/node`: the Node-only parts: an HTTP adapter for fetch-style
 * handlers, Bittensor wallet files and metagraph files.
 *
 * @module
 */
export { serve, type FetchHandler, type RunningServer, type ServeOptions } from "./serve.js";
export { loadMetagraphFile, loadWalletHotkey, walletHotkeyPath, type WalletOptions } from "./wallet.js";
