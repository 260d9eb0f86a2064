/**
 * The one password-to-PSK derivation of the package: argon2id (t=3, m=64 MiB, p=1,
 * 32 bytes) salted by SHA-256 of a node id, as poorman_handshake's `derive_psk`; the
 * HiveMind v3 `derivePsk` of `poorman-handshake/hivemind` is a thin wrapper around it.
 * Results are cached so each (password, salt, kdf) costs one 64 MiB derivation per process.
 *
 * @module
 */
import { ChosenOnFirstUse } from "../common/chosen-on-first-use.js";
import { abytes, aint, bufferSource, concatBytes, toHex, utf8 } from "../common/bytes.js";
import { InvalidArgumentError } from "../common/errors.js";
import { noiseBackend } from "./backend.js";
import { ARGON2ID, PSK_FALLBACK_SALT } from "./constants.js";

/** How the PSK is derived: argon2id (the default) or PBKDF2-HMAC-SHA256 (a HiveMind hub may ask for it). */
export type PskKdf = { readonly name: "argon2id" } | { readonly name: "pbkdf2"; readonly iterations: number };

/** The default KDF. */
export const ARGON2ID_KDF: PskKdf = { name: "argon2id" };

/** Options of {@link deriveNoisePsk}, as the keyword arguments of Python's `derive_psk`. */
export interface DerivePskOptions {
  /** The server's node id (text or bytes); the salt is then SHA-256(nodeId). */
  nodeId?: string | Uint8Array | null;
  /** An explicit salt; wins over `nodeId`. */
  salt?: Uint8Array;
  /** argon2id by default (our addition: HiveMind hubs may advertise PBKDF2). */
  kdf?: PskKdf;
}

/** SHA-256 from the Noise backend: `node:crypto` on Node, `@noble/hashes` elsewhere (the same bytes). */
const sha256 = (data: Uint8Array): Uint8Array => noiseBackend().hash.SHA256!.hash(data);

const asBytes = (value: string | Uint8Array, name: string): Uint8Array => {
  if (typeof value === "string") return utf8(value);
  return abytes(value, name);
};

/** Salts of the node ids seen (public values), at most {@link SALT_CACHE_LIMIT}. */
const salts = new Map<string, Uint8Array>();
const SALT_CACHE_LIMIT = 16;

/**
 * The salt: SHA-256 of the node id (UTF-8 when text), or the fixed bytes
 * `poorman_handshake:noise:psk:v1` without one.
 */
export function pskSalt(nodeId: string | Uint8Array | null | undefined): Uint8Array {
  if (nodeId === null || nodeId === undefined) return utf8(PSK_FALLBACK_SALT);
  if (typeof nodeId !== "string") return sha256(abytes(nodeId, "nodeId"));
  // A node id is public (the hub's HELLO carries it); a hub derives with the same few.
  let salt = salts.get(nodeId);
  if (salt === undefined) {
    salts.set(nodeId, (salt = sha256(utf8(nodeId))));
    if (salts.size > SALT_CACHE_LIMIT) salts.delete(salts.keys().next().value!);
  }
  return Uint8Array.from(salt);
}

/** argon2id with the PSK parameters (t=3, m=64 MiB, p=1, 32 bytes) of a password and salt. */
export type Argon2idFunction = (password: Uint8Array, salt: Uint8Array) => Promise<Uint8Array>;

/**
 * The portable argon2id: `hash-wasm` (WebAssembly), imported on the first derivation (its
 * module embeds every hash-wasm build and takes tens of ms to load; most imports never derive a PSK).
 */
export const HASH_WASM_ARGON2ID: Argon2idFunction = async (password, salt) =>
  (await import("hash-wasm")).argon2id({
    password,
    salt,
    iterations: ARGON2ID.iterations,
    memorySize: ARGON2ID.memoryKiB,
    parallelism: ARGON2ID.parallelism,
    hashLength: ARGON2ID.hashLength,
    outputType: "binary",
  });

const argon2idImplementation = new ChosenOnFirstUse(HASH_WASM_ARGON2ID);

/**
 * Defers the choice of the argon2id implementation to its first use: `choose` runs once,
 * when a PSK is first derived or {@link argon2idImplementationInUse} is first asked, and
 * what it answers replaces the current implementation (`undefined` keeps it). The `node`
 * entries pass the libargon2 loader, so importing them does not load the addon.
 */
export function chooseArgon2idOnFirstUse(choose: () => Argon2idFunction | undefined): void {
  argon2idImplementation.chooseOnFirstUse(choose);
  cache.clear();
}

/**
 * Replaces the argon2id implementation behind {@link deriveNoisePsk} (the Node entry points
 * install libargon2 when the optional `argon2` addon loads). Clears the PSK cache.
 * @param fn - must compute exactly what {@link HASH_WASM_ARGON2ID} computes
 */
export function setArgon2idImplementation(fn: Argon2idFunction): void {
  if (typeof fn !== "function") throw new InvalidArgumentError("the argon2id implementation must be a function");
  argon2idImplementation.set(fn);
  cache.clear();
}

/** The argon2id implementation in use. */
export function argon2idImplementationInUse(): Argon2idFunction {
  return argon2idImplementation.get();
}

async function computePsk(password: Uint8Array, salt: Uint8Array, kdf: PskKdf): Promise<Uint8Array> {
  if (kdf.name === "pbkdf2") {
    const key = await globalThis.crypto.subtle.importKey("raw", bufferSource(password), "PBKDF2", false, ["deriveBits"]);
    const bits = await globalThis.crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: bufferSource(salt), iterations: kdf.iterations }, key, 256);
    return new Uint8Array(bits);
  }
  return argon2idImplementation.get()(password, salt);
}

const CACHE_LIMIT = 16;
const cache = new Map<string, Promise<Uint8Array>>();

/**
 * Python's `derive_psk(password, node_id=None, salt=None)`: the 32-byte Noise PSK of
 * a shared password. Both peers must derive with the same inputs. Memoised in a small
 * bounded in-memory cache whose key is a hash, not the password; each call returns a
 * fresh copy (wipe it freely).
 *
 * `poorman-handshake/hivemind` has its own `derivePsk(password, nodeId, kdf)`: the same
 * derivation with HiveMind's positional signature (the hub's node id and the kdf it
 * advertises).
 * @param password - the shared password (text is UTF-8 encoded, as Python does)
 * @param options - see {@link DerivePskOptions}
 * @throws InvalidArgumentError for an empty or non-text password, a bad node id, salt or kdf
 */
export async function deriveNoisePsk(password: string | Uint8Array, options: DerivePskOptions = {}): Promise<Uint8Array> {
  if (options === null || typeof options !== "object") throw new InvalidArgumentError("options must be an object");
  const secret = asBytes(password, "password");
  // Python derives a PSK from b"" too; hash-wasm's argon2id cannot, and "" is no secret.
  if (secret.length === 0) throw new InvalidArgumentError("password must not be empty");
  const kdf = options.kdf ?? ARGON2ID_KDF;
  if (kdf.name === "pbkdf2") aint(kdf.iterations, "kdf.iterations", 1, 2 ** 32 - 1);
  else if (kdf.name !== "argon2id") throw new InvalidArgumentError("kdf.name must be argon2id or pbkdf2");
  const salt = options.salt === undefined ? pskSalt(options.nodeId) : abytes(options.salt, "salt");
  if (salt.length < 8) throw new InvalidArgumentError(`salt must be at least 8 bytes (argon2), got ${salt.length}`);
  // The JSON head is self-delimiting and names the salt's length, so the key is unambiguous.
  const id = toHex(sha256(concatBytes(utf8(JSON.stringify([kdf, salt.length])), salt, secret)));
  let entry = cache.get(id);
  if (entry === undefined) {
    entry = computePsk(Uint8Array.from(secret), Uint8Array.from(salt), kdf);
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

/**
 * The former name of {@link deriveNoisePsk}.
 * @deprecated Use `deriveNoisePsk` (HiveMind's `deriveHiveMindPsk` took the same name with other arguments).
 */
export const derivePsk: typeof deriveNoisePsk = deriveNoisePsk;
