/**
 * Installs the Noise engine's Node side: the default backend (libsodium when the optional
 * `sodium-native` addon loads, `node:crypto` otherwise) and libargon2 behind every PSK
 * derivation when the optional `argon2` addon loads (hash-wasm otherwise), both chosen on
 * first use (the first handshake, the first derivation: many programs never do either, and
 * loading the addons took a large part of the import time); and key files for
 * `NoiseHandShake.create({ path })`. Imported for this effect only, by the `node` entries of
 * `./noise` and `./hivemind`.
 *
 * @module
 */
import { chooseNoiseBackendOnFirstUse } from "../backend.js";
import { installNoiseKeyFiles } from "../noise-handshake.js";
import { chooseArgon2idOnFirstUse } from "../psk.js";
import { loadNativeArgon2idSync } from "./argon2.js";
import { NODE_BACKEND } from "./node-crypto.js";
import { sharedSodiumNoiseBackend } from "./sodium.js";
import { loadOrCreateX25519KeyFile } from "./x25519-key-files.js";

// The same object as NODE_DEFAULT_BACKEND (default-backend.ts), without importing that module, which loads the addon.
chooseNoiseBackendOnFirstUse(() => sharedSodiumNoiseBackend() ?? NODE_BACKEND);
installNoiseKeyFiles(loadOrCreateX25519KeyFile);
chooseArgon2idOnFirstUse(loadNativeArgon2idSync);
