/**
 * Where a miner keeps the symmetric keys validators exchanged with it.
 *
 * @module
 */
import { FairKeyTable, type KeyTableEntry } from "./key-table.js";

/**
 * Symmetric keys by (validator hotkey, uuid). Maps onto Redis as
 * `SET fiber:key:{hotkey}:{uuid} <key> PX ttlMs` and `GET`.
 */
export interface SymmetricKeyStore {
  /** Stores (or replaces) the key of (hotkey, uuid) for `ttlMs` milliseconds. */
  set(hotkey: string, uuid: string, key: Uint8Array, ttlMs: number): Promise<void>;
  /** The key of (hotkey, uuid), or `undefined` when there is none or it has expired. */
  get(hotkey: string, uuid: string): Promise<Uint8Array | undefined>;
}

/** Options of {@link MemoryKeyStore}. */
export interface MemoryKeyStoreOptions {
  /**
   * Most keys held at once; 100,000 by default. When full, an expired key goes first,
   * else the oldest key of the hotkey holding the most keys (its validator
   * re-handshakes), so one validator's flood cannot evict another validator's keys.
   */
  maxEntries?: number | undefined;
  /** Current time in milliseconds; `Date.now` by default. */
  clock?: (() => number) | undefined;
}

/**
 * The in-memory {@link SymmetricKeyStore}. Expiry is enforced at lookup, so an
 * expired key is refused at once, not at the next sweep; inserts, lookups and
 * evictions are O(1) (see {@link MemoryKeyStoreOptions.maxEntries} for the eviction order).
 */
export class MemoryKeyStore implements SymmetricKeyStore {
  readonly #table: FairKeyTable<KeyTableEntry>;
  readonly #clock: () => number;

  /** @param options - see {@link MemoryKeyStoreOptions} */
  constructor(options: MemoryKeyStoreOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#table = new FairKeyTable(options.maxEntries ?? 100_000, this.#clock);
  }

  /** Number of keys held (expired ones may linger until swept). */
  get size(): number {
    return this.#table.size;
  }

  /** Stores a copy of `key`; see {@link SymmetricKeyStore.set}. */
  async set(hotkey: string, uuid: string, key: Uint8Array, ttlMs: number): Promise<void> {
    this.#table.set(hotkey, uuid, { key: key.slice(), expiresAt: this.#clock() + ttlMs });
  }

  /** A copy of the live key, or `undefined`; an expired key is deleted and zeroed here. */
  async get(hotkey: string, uuid: string): Promise<Uint8Array | undefined> {
    return this.#table.get(hotkey, uuid)?.key.slice();
  }

  /** Deletes (and zeroes) expired keys. */
  sweep(now: number = this.#clock()): void {
    this.#table.sweep(now);
  }
}
