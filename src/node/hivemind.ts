/**
 * `poorman-handshake/hivemind` on Node (the `node` export condition): the same API,
 * with the Noise engine's `node:crypto` backend installed.
 *
 * @module
 */
import { setNoiseBackend } from "../noise/index.js";
import { NODE_BACKEND } from "./noise-backend.js";

setNoiseBackend(NODE_BACKEND);

export * from "../hivemind/index.js";
