/**
 * The miner's imported Fernet keys, by (validator hotkey, uuid), so each exchanged key
 * is imported into Web Crypto once and not on every request. The key store stays the
 * authority: an entry is used only while the store returns the same key for its
 * (hotkey, uuid), and is dropped as soon as the store reports it missing or expired.
 *
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { aint, equalBytes, wipe } from "../common/bytes.js";
import { Fernet } from "./fernet.js";

/** Options of {@link SessionFernets}. */
export interface SessionFernetsOptions {
  /** Most entries held; the least recently used is dropped beyond it. */
  maxEntries: number;
  /** An entry is dropped this long after its import (the key's lifetime), used or not. */
  ttlMs: number;
  /** Current time in milliseconds (also the Fernets' clock). */
  clock: () => number;
}

interface Entry {
  /** SHA-256 of the key: tells a replaced key apart without keeping the raw key. */
  digest: Uint8Array;
  fernet: Promise<Fernet>;
  expiresAt: number;
}

/** See the module description. Holds no raw keys and no key-derived strings. */
export class SessionFernets {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #clock: () => number;

  /** @param options - see {@link SessionFernetsOptions} */
  constructor(options: SessionFernetsOptions) {
    this.#maxEntries = aint(options.maxEntries, "options.maxEntries", 1);
    this.#ttlMs = aint(options.ttlMs, "options.ttlMs", 1);
    this.#clock = options.clock;
  }

  /** Number of imported keys held. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The Fernet of `key`, the store's current key of (hotkey, uuid): the cached one when
   * it was imported from the same key, else a fresh import (replacing the entry).
   * @param key - the store's key; not kept (the caller wipes it)
   */
  fernet(hotkey: string, uuid: string, key: Uint8Array): Promise<Fernet> {
    const id = entryId(hotkey, uuid);
    const digest = sha256(key);
    const entry = this.#entries.get(id);
    const now = this.#clock();
    this.#entries.delete(id); // re-inserted below: most recently used last
    if (entry !== undefined && entry.expiresAt > now && equalBytes(entry.digest, digest)) {
      wipe(digest);
      this.#entries.set(id, entry);
      return entry.fernet;
    }
    if (entry !== undefined) wipe(entry.digest);
    this.#makeRoom(now);
    const fernet = Fernet.create(key, { clock: this.#clock });
    const fresh: Entry = { digest, fernet, expiresAt: now + this.#ttlMs };
    this.#entries.set(id, fresh);
    fernet.catch(() => {
      if (this.#entries.get(id) === fresh) this.drop(hotkey, uuid);
    });
    return fernet;
  }

  /** Forgets the entry of (hotkey, uuid): its key is missing, expired or replaced. */
  drop(hotkey: string, uuid: string): void {
    const id = entryId(hotkey, uuid);
    wipe(this.#entries.get(id)?.digest);
    this.#entries.delete(id);
  }

  /** Drops expired entries, then the least recently used ones beyond the limit. */
  #makeRoom(now: number): void {
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt <= now || this.#entries.size >= this.#maxEntries) {
        wipe(entry.digest);
        this.#entries.delete(id);
      }
    }
  }
}

function entryId(hotkey: string, uuid: string): string {
  return `${hotkey}\n${uuid}`;
}
