/**
 * Where a miner keeps the symmetric keys validators exchanged with it.
 *
 * @module
 */
import { aint } from "../bytes.js";

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
  /** Most keys held at once; the oldest is dropped beyond it (its validator re-handshakes). 100,000 by default. */
  maxEntries?: number | undefined;
  /** Current time in milliseconds; `Date.now` by default. */
  clock?: (() => number) | undefined;
}

/**
 * The in-memory {@link SymmetricKeyStore}. Expiry is enforced at lookup, so an
 * expired key is refused at once, not at the next sweep.
 */
export class MemoryKeyStore implements SymmetricKeyStore {
  readonly #entries = new Map<string, { key: Uint8Array; expiresAt: number }>();
  readonly #maxEntries: number;
  readonly #clock: () => number;

  /** @param options - see {@link MemoryKeyStoreOptions} */
  constructor(options: MemoryKeyStoreOptions = {}) {
    this.#maxEntries = aint(options.maxEntries ?? 100_000, "options.maxEntries", 1);
    this.#clock = options.clock ?? Date.now;
  }

  /** Number of keys held (expired ones may linger until swept). */
  get size(): number {
    return this.#entries.size;
  }

  /** Stores a copy of `key`; see {@link SymmetricKeyStore.set}. */
  async set(hotkey: string, uuid: string, key: Uint8Array, ttlMs: number): Promise<void> {
    const id = `${hotkey}\n${uuid}`;
    this.#entries.delete(id); // re-insert: a replaced key becomes the newest
    if (this.#entries.size >= this.#maxEntries) this.sweep();
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.get(oldest)?.key.fill(0);
      this.#entries.delete(oldest);
    }
    this.#entries.set(id, { key: key.slice(), expiresAt: this.#clock() + ttlMs });
  }

  /** A copy of the live key, or `undefined`; an expired key is deleted and zeroed here. */
  async get(hotkey: string, uuid: string): Promise<Uint8Array | undefined> {
    const id = `${hotkey}\n${uuid}`;
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#clock()) {
      entry.key.fill(0);
      this.#entries.delete(id);
      return undefined;
    }
    return entry.key.slice();
  }

  /** Deletes (and zeroes) expired keys. */
  sweep(now: number = this.#clock()): void {
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        entry.key.fill(0);
        this.#entries.delete(id);
      }
    }
  }
}
