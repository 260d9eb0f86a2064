/**
 * The Noise backends the `node` entries of `./noise` and `./node` export: libsodium when the
 * optional `sodium-native` addon loads, the `node:crypto` backend otherwise. Values, so this
 * module loads the addon (synchronously) when it is imported; `./hivemind` and the command
 * line do not import it, and load the addon on their first handshake instead.
 *
 * @module
 */
import type { NoiseBackend } from "../index.js";
import { NODE_BACKEND } from "./node-crypto.js";
import { sharedSodiumNoiseBackend } from "./sodium.js";

/** The libsodium backend, or `undefined` when `sodium-native` is not installed or does not load here. */
export const SODIUM_BACKEND: NoiseBackend | undefined = sharedSodiumNoiseBackend();

/** What the `node` entries of `./noise` and `./hivemind` install: {@link SODIUM_BACKEND} when it loaded, else `NODE_BACKEND`. */
export const NODE_DEFAULT_BACKEND: NoiseBackend = SODIUM_BACKEND ?? NODE_BACKEND;
