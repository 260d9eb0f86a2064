/**
 * The HiveMind v3 pre-shared key: argon2id of the password salted by the hub's node id
 * (or the PBKDF2 variant a hub may advertise), cached so each (password, node id) pair
 * costs one 64 MiB derivation per process.
 *
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { argon2id } from "hash-wasm";
import { aint, astring, bufferSource, toHex, utf8 } from "../bytes.js";
import { HandshakeRejectedError, InvalidArgumentError } from "../errors.js";
import { ARGON2ID, PBKDF2_DEFAULT_ITERATIONS, PBKDF2_MAX_ITERATIONS, PSK_FALLBACK_SALT } from "./constants.js";
import { RawNumber } from "./json-parse.js";

/** How the PSK is derived: argon2id (the default) or PBKDF2-HMAC-SHA256. */
export type PskKdf = { readonly name: "argon2id" } | { readonly name: "pbkdf2"; readonly iterations: number };

/** The default KDF. */
export const ARGON2ID_KDF: PskKdf = { name: "argon2id" };

/** The salt: SHA-256 of the node id, or the fixed fallback bytes without one. */
export function pskSalt(nodeId: string | null | undefined): Uint8Array {
  if (nodeId === null || nodeId === undefined) return utf8(PSK_FALLBACK_SALT);
  return sha256(utf8(astring(nodeId, "nodeId")));
}

/**
 * Reads the KDF a hub advertises in `handshake.noise.kdf` (absent: argon2id).
 * @throws HandshakeRejectedError for an unknown KDF or an out-of-range iteration count
 */
export function pskKdfFromHandshake(handshake: Record<string, unknown>): PskKdf {
  const noise = handshake.noise as Record<string, unknown> | undefined;
  const kdf = noise?.kdf as Record<string, unknown> | undefined | null;
  if (kdf === undefined || kdf === null) return ARGON2ID_KDF;
  if (kdf.name === "argon2id") return ARGON2ID_KDF;
  if (kdf.name !== "pbkdf2") throw new HandshakeRejectedError(`the hub asks for an unknown PSK kdf ${JSON.stringify(kdf.name)}`);
  // Python's pbkdf2_hmac takes an int only: a float token (`1e5`, `100000.0`) is refused.
  const raw = kdf.iterations ?? PBKDF2_DEFAULT_ITERATIONS;
  const iterations = raw instanceof RawNumber ? (raw.isInteger ? raw.value : Number.NaN) : raw;
  if (typeof iterations !== "number" || !Number.isInteger(iterations) || iterations < 1 || iterations > PBKDF2_MAX_ITERATIONS) {
    throw new HandshakeRejectedError(`the hub's PBKDF2 iteration count must be an integer from 1 to ${PBKDF2_MAX_ITERATIONS}`);
  }
  return { name: "pbkdf2", iterations };
}

/** argon2id with HiveMind's parameters (t=3, m=64 MiB, p=1, 32 bytes) of a password and salt. */
export type Argon2idFunction = (password: Uint8Array, salt: Uint8Array) => Promise<Uint8Array>;

/** The portable argon2id: `hash-wasm` (WebAssembly). */
export const HASH_WASM_ARGON2ID: Argon2idFunction = (password, salt) =>
  argon2id({
    password,
    salt,
    iterations: ARGON2ID.iterations,
    memorySize: ARGON2ID.memoryKiB,
    parallelism: ARGON2ID.parallelism,
    hashLength: ARGON2ID.hashLength,
    outputType: "binary",
  });

let argon2idImplementation: Argon2idFunction = HASH_WASM_ARGON2ID;

/**
 * Replaces the argon2id implementation behind {@link derivePsk} (the Node entry points
 * install libargon2 when the optional `argon2` addon loads). Clears the PSK cache.
 */
export function setArgon2idImplementation(fn: Argon2idFunction): void {
  if (typeof fn !== "function") throw new InvalidArgumentError("the argon2id implementation must be a function");
  argon2idImplementation = fn;
  cache.clear();
}

/** The argon2id implementation in use. */
export function argon2idImplementationInUse(): Argon2idFunction {
  return argon2idImplementation;
}

async function computePsk(password: string, salt: Uint8Array, kdf: PskKdf): Promise<Uint8Array> {
  if (kdf.name === "pbkdf2") {
    const key = await globalThis.crypto.subtle.importKey("raw", utf8(password), "PBKDF2", false, ["deriveBits"]);
    const bits = await globalThis.crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: bufferSource(salt), iterations: kdf.iterations }, key, 256);
    return new Uint8Array(bits);
  }
  return argon2idImplementation(utf8(password), salt);
}

const CACHE_LIMIT = 16;
const cache = new Map<string, Promise<Uint8Array>>();

/**
 * Derives the 32-byte PSK, memoised per (password, node id, kdf) in a small bounded
 * in-memory cache (the key is a hash, not the password).
 * @param password - the shared HiveMind password
 * @param nodeId - the node_id of the hub's HELLO; null or undefined without one
 * @param kdf - argon2id by default; see {@link pskKdfFromHandshake}
 */
export async function derivePsk(password: string, nodeId: string | null | undefined, kdf: PskKdf = ARGON2ID_KDF): Promise<Uint8Array> {
  astring(password, "password");
  if (kdf.name === "pbkdf2") aint(kdf.iterations, "kdf.iterations", 1, PBKDF2_MAX_ITERATIONS);
  else if (kdf.name !== "argon2id") throw new InvalidArgumentError("kdf.name must be argon2id or pbkdf2");
  const salt = pskSalt(nodeId);
  const id = toHex(sha256(utf8(JSON.stringify([kdf, toHex(salt), password]))));
  let entry = cache.get(id);
  if (entry === undefined) {
    entry = computePsk(password, salt, kdf);
    cache.set(id, entry);
    entry.catch(() => cache.delete(id));
    if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  }
  return Uint8Array.from(await entry);
}

/** Empties the PSK cache (for example when a password changes). */
export function clearPskCache(): void {
  cache.clear();
}
