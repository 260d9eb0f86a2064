/**
 * Fiber nonces, `"{time_ns}_{10 alphanumerics}"`, and the store that refuses replays.
 *
 * @module
 */
import { aint, randomBytes } from "../common/bytes.js";
import { InvalidArgumentError, NonceUnverifiableError, StoreFullError } from "../common/errors.js";
import { NONCE_SUFFIX_LENGTH, NONCE_WINDOW_MS } from "./constants.js";

const ALPHANUMERICS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** Digits of the time prefix, then optionally `_` and a suffix of printable ASCII. */
const NONCE_FORMAT = /^([0-9]{1,20})(?:_[\x21-\x7e]*)?$/;
/** Longest nonce accepted (Fiber's own are 30 characters). */
export const MAX_NONCE_LENGTH = 128;

/**
 * A random alphanumeric string from the cryptographic RNG, by rejection sampling
 * (no modulo bias). Python's Fiber uses the non-cryptographic `random.choices`.
 * @param length - number of characters
 */
export function randomAlphanumeric(length: number): string {
  aint(length, "length", 0, 4096);
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length)) {
      if (b < 248 && out.length < length) out += ALPHANUMERICS[b % 62];
    }
  }
  return out;
}

/**
 * Makes a fresh nonce in Fiber's format.
 * @param nowMs - current time in milliseconds; `Date.now()` by default
 */
export function generateNonce(nowMs: number = Date.now()): string {
  aint(nowMs, "nowMs", 0);
  return `${BigInt(nowMs) * 1_000_000n}_${randomAlphanumeric(NONCE_SUFFIX_LENGTH)}`;
}

/** The timestamp of a nonce in nanoseconds, or `undefined` when it is not `digits` or `digits_suffix` (or too long). */
function nonceTimestampNs(nonce: string): bigint | undefined {
  if (typeof nonce !== "string" || nonce.length > MAX_NONCE_LENGTH) return undefined;
  const match = NONCE_FORMAT.exec(nonce);
  return match === null ? undefined : BigInt(match[1]!);
}

/**
 * Reads the timestamp of a nonce in milliseconds, or `undefined` when the nonce is
 * not `digits` or `digits_suffix` (or is too long).
 */
export function nonceTimestampMs(nonce: string): number | undefined {
  const ns = nonceTimestampNs(nonce);
  return ns === undefined ? undefined : Number(ns / 1_000_000n);
}

/**
 * How long a nonce must be remembered from now: until it falls out of the acceptance
 * window (`timestamp + window`), or `undefined` when it is not acceptable now
 * (malformed, or further than `windowMs` from `nowMs` in either direction, compared in
 * nanoseconds as Python does, so 1 ns past the window is refused).
 * @param nonce - the received nonce
 * @param nowMs - current time in milliseconds
 * @param windowMs - acceptance window; 120 s by default
 */
export function nonceRetentionMs(nonce: string, nowMs: number, windowMs: number = NONCE_WINDOW_MS): number | undefined {
  const ns = nonceTimestampNs(nonce);
  if (ns === undefined) return undefined;
  const distance = BigInt(Math.floor(nowMs)) * 1_000_000n - ns;
  const window = BigInt(Math.floor(windowMs)) * 1_000_000n;
  if (distance > window || -distance > window) return undefined;
  // +1 ms: the window is inclusive at its far edge.
  return Number(ns / 1_000_000n) + windowMs - nowMs + 1;
}

/**
 * Throws {@link NonceUnverifiableError} when `nonce` is dated before `floorMs`, the time
 * since which a store holds every record: an older nonce may have been used before a
 * restart or a data loss, so it cannot be accepted, yet it is not known to be a replay.
 * @param nonce - the received nonce
 * @param floorMs - the store's records begin at this time (ms)
 * @param since - what happened at `floorMs`, for the message (e.g. "this process started")
 */
export function refuseBeforeFloor(nonce: string, floorMs: number, since: string): void {
  const ts = nonceTimestampMs(nonce);
  if (ts !== undefined && ts < floorMs) {
    throw new NonceUnverifiableError(`nonce dated ${ts} ms predates the nonce records (${since} at ${floorMs} ms); retry with a fresh nonce`);
  }
}

/**
 * Remembers nonces so that each is accepted once. `add` must be atomic: it maps onto
 * Redis `SET key 1 NX PX ttlMs` (true when the reply is OK).
 */
export interface NonceStore {
  /**
   * True when the nonce is currently remembered (a cheap pre-check before verifying a signature).
   * @throws NonceUnverifiableError when the nonce predates the store's records (servers answer 503)
   */
  has(nonce: string): Promise<boolean>;
  /**
   * Remembers `nonce` for `ttlMs` milliseconds if it is not already remembered.
   * @returns true when it was new, false when it was already there (a replay)
   * @throws StoreFullError when it cannot remember more nonces
   * @throws NonceUnverifiableError when the nonce predates the store's records
   */
  add(nonce: string, ttlMs: number): Promise<boolean>;
}

/** Options of {@link MemoryNonceStore}. */
export interface MemoryNonceStoreOptions {
  /** Most nonces remembered at once; 1,000,000 by default (~150 MB at worst). */
  maxEntries?: number | undefined;
  /** Current time in milliseconds; `Date.now` by default. */
  clock?: (() => number) | undefined;
  /**
   * Nonces dated before this time (ms) are refused with {@link NonceUnverifiableError}
   * (503): the store holds no record of them. The time the store is created by default,
   * so a restarted miner never accepts a nonce its previous run may have seen (a captured
   * request or key exchange replayed after a restart). Give an earlier time only when no
   * other process served this miner's hotkey in the nonce window before.
   */
  floorMs?: number | undefined;
}

/**
 * The in-memory {@link NonceStore}. Expired entries are swept when the store is full
 * or every window's worth of time; when it is full of live nonces it refuses new ones
 * (throws {@link StoreFullError}) rather than forget one, so no replay is ever accepted.
 * Nonces minted before the store was created are refused (see {@link MemoryNonceStoreOptions.floorMs}).
 */
export class MemoryNonceStore implements NonceStore {
  readonly #expiries = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #clock: () => number;
  readonly #floorMs: number;
  #nextSweep = 0;
  /** No entry expires before this time (a lower bound), so a full store sweeps only when one can have expired. */
  #earliestExpiry = Number.POSITIVE_INFINITY;

  /** @param options - see {@link MemoryNonceStoreOptions} */
  constructor(options: MemoryNonceStoreOptions = {}) {
    this.#maxEntries = aint(options.maxEntries ?? 1_000_000, "options.maxEntries", 1);
    this.#clock = options.clock ?? Date.now;
    this.#floorMs = options.floorMs ?? this.#clock();
    if (!Number.isFinite(this.#floorMs)) throw new InvalidArgumentError("options.floorMs must be a finite number of milliseconds");
  }

  /** Nonces dated before this time (ms) are refused: the store holds no record of them. */
  get floorMs(): number {
    return this.#floorMs;
  }

  /** Number of nonces currently held (expired ones may linger until the next sweep). */
  get size(): number {
    return this.#expiries.size;
  }

  /** True when `nonce` is remembered and not expired. */
  async has(nonce: string): Promise<boolean> {
    const expiry = this.#expiries.get(nonce);
    if (expiry !== undefined && expiry > this.#clock()) return true;
    refuseBeforeFloor(nonce, this.#floorMs, "this store was created");
    return false;
  }

  /** Remembers `nonce` for `ttlMs` unless already there; see {@link NonceStore.add}. */
  async add(nonce: string, ttlMs: number): Promise<boolean> {
    const now = this.#clock();
    // A full store sweeps only when an entry can have expired: sweeping a million live
    // entries on every request would make a full store a CPU sink.
    if (now >= this.#nextSweep || (this.#expiries.size >= this.#maxEntries && now >= this.#earliestExpiry)) this.sweep(now);
    const expiry = this.#expiries.get(nonce);
    if (expiry !== undefined && expiry > now) return false;
    refuseBeforeFloor(nonce, this.#floorMs, "this store was created");
    if (this.#expiries.size >= this.#maxEntries) throw new StoreFullError("nonce store is full");
    this.#expiries.set(nonce, now + ttlMs);
    this.#earliestExpiry = Math.min(this.#earliestExpiry, now + ttlMs);
    return true;
  }

  /** Deletes expired entries. Runs by itself; public for tests and timers. */
  sweep(now: number = this.#clock()): void {
    let earliest = Number.POSITIVE_INFINITY;
    for (const [nonce, expiry] of this.#expiries) {
      if (expiry <= now) this.#expiries.delete(nonce);
      else if (expiry < earliest) earliest = expiry;
    }
    this.#earliestExpiry = earliest;
    this.#nextSweep = now + NONCE_WINDOW_MS;
  }
}
