/**
 * The Noise backends of the `node` entries: libsodium when the optional `sodium-native`
 * addon loads, the `node:crypto` backend otherwise (loaded once, at import, synchronously,
 * so that these stay plain values and the entries need no top-level `await`).
 *
 * @module
 */
import type { NoiseBackend } from "../index.js";
import { NODE_BACKEND } from "./node-crypto.js";
import { loadSodiumNoiseBackendSync } from "./sodium.js";

/** The libsodium backend, or `undefined` when `sodium-native` is not installed or does not load here. */
export const SODIUM_BACKEND: NoiseBackend | undefined = loadSodiumNoiseBackendSync();

/** What the `node` entries of `./noise` and `./hivemind` install: {@link SODIUM_BACKEND} when it loaded, else `NODE_BACKEND`. */
export const NODE_DEFAULT_BACKEND: NoiseBackend = SODIUM_BACKEND ?? NODE_BACKEND;
