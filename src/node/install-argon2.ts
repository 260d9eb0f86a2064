/**
 * Installs libargon2 (the optional `argon2` addon) behind every PSK derivation when it
 * loads; hash-wasm stays in use otherwise. Imported for its effect by the Node entries of
 * `./noise` and `./hivemind`.
 *
 * @module
 */
import { setArgon2idImplementation } from "../noise/psk.js";
import { loadNativeArgon2id } from "./argon2.js";

const nativeArgon2id = await loadNativeArgon2id();
if (nativeArgon2id !== undefined) setArgon2idImplementation(nativeArgon2id);
