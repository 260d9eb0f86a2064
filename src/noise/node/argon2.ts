/**
 * argon2id from libargon2 through the optional `argon2` addon (N-API, prebuilt binaries):
 * SSE/AVX2 block compression, up to about 1.5x faster than the WebAssembly build at HiveMind's
 * 64 MiB. When the addon is not installed (it is an optionalDependency) or does not load
 * on this platform, `hash-wasm` stays in use.
 *
 * @module
 */
import { createRequire } from "node:module";
import { ARGON2ID } from "../constants.js";
import type { Argon2idFunction } from "../psk.js";

interface Argon2Addon {
  argon2id: number;
  hash(password: Buffer, options: { type: number; raw: true; salt: Buffer; timeCost: number; memoryCost: number; parallelism: number; hashLength: number }): Promise<Buffer>;
}

/** Loads libargon2, or `undefined` when the optional addon is absent or fails to load. */
export async function loadNativeArgon2id(): Promise<Argon2idFunction | undefined> {
  return loadNativeArgon2idSync();
}

/**
 * {@link loadNativeArgon2id} without a promise: what the `node` entries use, on the first
 * derivation. `require`, because the addon is CommonJS and Node's ESM loader would parse it
 * for export names first.
 */
export function loadNativeArgon2idSync(): Argon2idFunction | undefined {
  let addon: Argon2Addon;
  try {
    const mod = createRequire(import.meta.url)("argon2") as { default?: Argon2Addon } & Argon2Addon;
    addon = mod.default ?? mod;
    if (typeof addon.hash !== "function") return undefined;
  } catch {
    return undefined;
  }
  return async (password, salt) => {
    const input = Buffer.from(password);
    try {
      const out = await addon.hash(input, {
        type: addon.argon2id, raw: true, salt: Buffer.from(salt),
        timeCost: ARGON2ID.iterations, memoryCost: ARGON2ID.memoryKiB, parallelism: ARGON2ID.parallelism, hashLength: ARGON2ID.hashLength,
      });
      return new Uint8Array(out);
    } finally {
      input.fill(0);
    }
  };
}
