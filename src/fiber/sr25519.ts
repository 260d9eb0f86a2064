/**
 * sr25519 (schnorrkel, signing context "substrate") through the WebAssembly build of
 * schnorrkel in `@polkadot/wasm-crypto`: ~5x faster verification than pure JS, which
 * bounds a Fiber server's throughput (see docs/performance.md). The module is loaded
 * and instantiated lazily, on first use, so importing this package costs nothing.
 *
 * @module
 */
import { abytes } from "../common/bytes.js";

type WasmCrypto = typeof import("@polkadot/wasm-crypto");

let ready: Promise<WasmCrypto> | undefined;

/** Loads and initialises the wasm module once; later calls share the same promise. */
function wasm(): Promise<WasmCrypto> {
  ready ??= import("@polkadot/wasm-crypto").then(async (mod) => {
    if (!(await mod.waitReady()) || !mod.isReady()) throw new Error("sr25519 WebAssembly failed to initialise");
    return mod;
  });
  return ready;
}

/** Length of an sr25519 public key. */
export const SR25519_PUBLIC_KEY_BYTES = 32;
/** Length of an sr25519 signature. */
export const SR25519_SIGNATURE_BYTES = 64;
/** Length of a schnorrkel mini secret (seed). */
export const SR25519_SEED_BYTES = 32;

/** The expanded key pair of a seed: 64-byte secret (key ‖ nonce, ed25519 layout) and public key. */
export interface Sr25519Pair {
  /** 64-byte expanded secret key. */
  secretKey: Uint8Array;
  /** 32-byte Ristretto public key. */
  publicKey: Uint8Array;
}

/**
 * Expands a 32-byte mini secret into a key pair (schnorrkel `ExpansionMode::Ed25519`).
 * @param seed - 32 bytes
 */
export async function sr25519PairFromSeed(seed: Uint8Array): Promise<Sr25519Pair> {
  abytes(seed, "seed", SR25519_SEED_BYTES);
  const out = (await wasm()).sr25519KeypairFromSeed(seed);
  const pair = { secretKey: out.slice(0, 64), publicKey: out.slice(64, 96) };
  out.fill(0);
  return pair;
}

/**
 * Signs `message` with the "substrate" context (randomised, as schnorrkel).
 * @param pair - from {@link sr25519PairFromSeed}
 * @param message - the bytes to sign
 */
export async function sr25519Sign(pair: Sr25519Pair, message: Uint8Array): Promise<Uint8Array> {
  abytes(message, "message");
  return (await wasm()).sr25519Sign(pair.publicKey, pair.secretKey, message);
}

/**
 * Verifies an sr25519 signature of exactly `message` (no `<Bytes>` unwrapping here).
 * Never throws on bad input: a wrong length or a malformed key or signature is `false`.
 */
export async function sr25519Verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  if (!(message instanceof Uint8Array) || !(signature instanceof Uint8Array) || !(publicKey instanceof Uint8Array)) return false;
  if (signature.length !== SR25519_SIGNATURE_BYTES || publicKey.length !== SR25519_PUBLIC_KEY_BYTES) return false;
  try {
    return (await wasm()).sr25519Verify(signature, message, publicKey);
  } catch {
    return false;
  }
}
