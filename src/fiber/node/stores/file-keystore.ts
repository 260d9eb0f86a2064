/**
 * A symmetric-key store kept in memory and saved to a JSON file, so that a single miner
 * keeps its validators' keys across restarts (validators that never re-handshake keep
 * working). Keys are sealed at rest under a storage key; the file is written
 * atomically (mode 0600). {@link FileKeyStore.set} resolves only once the key is on disk:
 * changes arriving within a few milliseconds of each other (or while a write is in
 * progress) share one write (group commit). One process at a time uses a file: it holds
 * `FILE.lock` (pid and host) until {@link FileKeyStore.close}, and a second is refused.
 *
 * @module
 */
import { aint } from "../../../common/bytes.js";
import { KeyFormatError, StoreUnavailableError } from "../../../common/errors.js";
import { FairKeyTable } from "../../key-table.js";
import type { SymmetricKeyStore } from "../../keystore.js";
import { isMissingFile, readTextFile, writeFileAtomic } from "../../../common/node/files.js";
import { FileLock } from "../../../common/node/lock-file.js";
import { decodeAtRest, encodeAtRest, type StorageKey } from "./storage-key.js";

const FORMAT = "poorman-handshake/fiber-keys";

/** Options of {@link FileKeyStore.open}. */
export interface FileKeyStoreOptions {
  /** Seals the keys in the file (AES-256-GCM); without one they are written in the clear. */
  storageKey?: StorageKey | undefined;
  /** Most keys held, 100,000 by default; evicted as `MemoryKeyStore` evicts (an expired key, else the oldest of the hotkey holding the most). */
  maxEntries?: number | undefined;
  /**
   * How long a change waits for others to share its write (group commit); 5 ms by
   * default. Changes arriving while a write is in progress share the next one anyway.
   */
  flushDelayMs?: number | undefined;
  /** Current time in milliseconds; `Date.now` by default. */
  clock?: (() => number) | undefined;
  /**
   * Hold `path.lock` while open, so that a second process (or store) on the same file is
   * refused rather than overwrite its keys; true by default. False only for a store that
   * never writes while another has the file (e.g. reading it in a test).
   */
  lock?: boolean | undefined;
}

interface Entry {
  key: Uint8Array;
  value: string;
  expiresAt: number;
}

interface FileEntry {
  hotkey: string;
  uuid: string;
  expiresAt: number;
  value: string;
}

/** The file-backed {@link SymmetricKeyStore}. */
export class FileKeyStore implements SymmetricKeyStore {
  readonly #path: string;
  readonly #entries: FairKeyTable<Entry>;
  readonly #storageKey: StorageKey | undefined;
  readonly #delay: number;
  readonly #clock: () => number;
  /** The last write started or queued; each write follows the previous one. */
  #writing: Promise<void> = Promise.resolve();
  /** The queued write that changes made now will join, until it starts. */
  #batch: Promise<void> | undefined;
  #lock: FileLock | undefined;

  private constructor(path: string, options: FileKeyStoreOptions) {
    this.#path = path;
    this.#storageKey = options.storageKey;
    this.#delay = aint(options.flushDelayMs ?? 5, "options.flushDelayMs", 0);
    this.#clock = options.clock ?? Date.now;
    this.#entries = new FairKeyTable(options.maxEntries ?? 100_000, this.#clock);
  }

  /**
   * Opens the store, loading the live keys of `path` when it exists.
   * @param path - the JSON file (created at the first change)
   * @param options - see {@link FileKeyStoreOptions}
   * @throws KeyFormatError when the file exists but is not such a file, or holds a live
   *   key that does not open (most likely another storage key); the file is left untouched
   *   rather than rewritten without those keys
   * @throws StoreUnavailableError when another live process holds the file's lock (named in the message)
   */
  static async open(path: string, options: FileKeyStoreOptions = {}): Promise<FileKeyStore> {
    const store = new FileKeyStore(path, options);
    if (options.lock === false) return store.#load();
    store.#lock = await FileLock.acquire(path);
    try {
      return await store.#load();
    } catch (error) {
      await store.#lock.release();
      throw error;
    }
  }

  /** Reads the file's live keys into the store. */
  async #load(): Promise<FileKeyStore> {
    const path = this.#path;
    let text: string;
    try {
      text = await readTextFile(path);
    } catch (error) {
      if (isMissingFile(error)) return this;
      throw error;
    }
    let entries: FileEntry[];
    try {
      const json = JSON.parse(text) as { format?: unknown; keys?: unknown };
      if (json.format !== FORMAT || !Array.isArray(json.keys)) throw new Error("not a key store file");
      entries = json.keys as FileEntry[];
    } catch (cause) {
      throw new KeyFormatError(`${path} is not a ${FORMAT} file`, { cause });
    }
    const now = this.#clock();
    let unreadable = 0;
    for (const e of entries) {
      if (typeof e?.hotkey !== "string" || typeof e.uuid !== "string" || typeof e.value !== "string" || !(e.expiresAt > now)) continue;
      try {
        const key = await decodeAtRest(this.#storageKey, e.value, slot(e.hotkey, e.uuid));
        this.#entries.set(e.hotkey, e.uuid, { key, value: e.value, expiresAt: e.expiresAt });
      } catch {
        unreadable++;
      }
    }
    if (unreadable > 0) {
      this.#entries.clear(); // zeroes the keys read so far
      const what = this.#storageKey === undefined ? "no storage key was given" : "the storage key is probably wrong";
      throw new KeyFormatError(`${unreadable} of the keys in ${path} do not open: ${what} (the file was left untouched)`);
    }
    return this;
  }

  /** Number of keys held (expired ones may linger until the next write). */
  get size(): number {
    return this.#entries.size;
  }

  /** @inheritDoc */
  async set(hotkey: string, uuid: string, key: Uint8Array, ttlMs: number): Promise<void> {
    const value = await encodeAtRest(this.#storageKey, key, slot(hotkey, uuid));
    this.#entries.set(hotkey, uuid, { key: key.slice(), value, expiresAt: this.#clock() + ttlMs });
    try {
      await this.#commit();
    } catch (cause) {
      // Not on disk: the server answers 503 and the validator retries its handshake.
      throw new StoreUnavailableError(`could not save ${this.#path}: ${(cause as Error).message}`, { cause });
    }
  }

  /** @inheritDoc */
  async get(hotkey: string, uuid: string): Promise<Uint8Array | undefined> {
    return this.#entries.get(hotkey, uuid)?.key.slice();
  }

  /** Writes the file now (after any write in progress); resolves when it is on disk. */
  flush(): Promise<void> {
    this.#writing = this.#writing.catch(() => {}).then(() => this.#write());
    return this.#writing;
  }

  /**
   * Waits for every change so far to be on disk (writing once more when the last write
   * failed), then releases the file's lock: another process may open it from then on, so
   * do not change the store afterwards.
   * @throws Error when the file cannot be written
   */
  async close(): Promise<void> {
    try {
      await this.#writing.catch(() => this.flush());
    } finally {
      await this.#lock?.release();
      this.#lock = undefined;
    }
  }

  /**
   * Joins the queued write, or queues one after the write in progress (waiting
   * `flushDelayMs` for more changes); resolves once that write is on disk.
   */
  #commit(): Promise<void> {
    if (this.#batch === undefined) {
      const batch = this.#writing
        .catch(() => {})
        .then(() => new Promise((resolve) => setTimeout(resolve, this.#delay)))
        .then(() => {
          this.#batch = undefined; // changes from now on need the next write
          return this.#write();
        });
      this.#batch = batch;
      this.#writing = batch;
    }
    return this.#batch;
  }

  async #write(): Promise<void> {
    this.#entries.sweep();
    const keys: FileEntry[] = [...this.#entries.entries()].map(([hotkey, uuid, { expiresAt, value }]) => ({ hotkey, uuid, expiresAt, value }));
    await writeFileAtomic(this.#path, JSON.stringify({ format: FORMAT, version: 1, sealed: this.#storageKey !== undefined, keys }));
  }
}

function slot(hotkey: string, uuid: string): string {
  return `key:${hotkey}:${uuid}`;
}
