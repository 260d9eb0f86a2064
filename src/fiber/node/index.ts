/**
 * `poorman-handshake/fiber` on Node (the `node` export condition): the same API, with
 * Fernet and AES-GCM on `node:crypto` installed as the default backends.
 *
 * @module
 */
import "./install.js";

export * from "../index.js";
export { NODE_FERNET } from "./fernet.js";
