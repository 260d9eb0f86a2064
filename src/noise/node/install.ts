/**
 * Installs the Noise engine's Node side: the default backend (libsodium when the optional
 * `sodium-native` addon loads, `node:crypto` otherwise), libargon2 behind every PSK
 * derivation when the optional `argon2` addon loads (hash-wasm otherwise; the addon is
 * loaded on the first derivation, since most imports never derive a PSK), and key files
 * for `NoiseHandShake.create({ path })`. Imported for this effect only, by the `node`
 * entries of `./noise` and `./hivemind`.
 *
 * @module
 */
import { setNoiseBackend } from "../backend.js";
import { installNoiseKeyFiles } from "../noise-handshake.js";
import { chooseArgon2idOnFirstUse } from "../psk.js";
import { loadNativeArgon2idSync } from "./argon2.js";
import { NODE_DEFAULT_BACKEND } from "./default-backend.js";
import { loadOrCreateX25519KeyFile } from "./x25519-key-files.js";

setNoiseBackend(NODE_DEFAULT_BACKEND);
installNoiseKeyFiles(loadOrCreateX25519KeyFile);
chooseArgon2idOnFirstUse(loadNativeArgon2idSync);
