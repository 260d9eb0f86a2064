/**
 * A symmetric-key store kept in memory and saved to a JSON file, so that a single miner
 * keeps its validators' keys across restarts (validators that never re-handshake keep
 * working). Keys are sealed at rest under a storage key; the file is written
 * atomically (mode 0600), a short while after each change, and on {@link FileKeyStore.close}.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { aint } from "../bytes.js";
import { KeyFormatError } from "../errors.js";
import type { SymmetricKeyStore } from "../fiber/keystore.js";
import { writeFileAtomic } from "./files.js";
import { decodeAtRest, encodeAtRest, type StorageKey } from "./storage-key.js";

const FORMAT = "poorman-handshake/fiber-keys";

/** Options of {@link FileKeyStore.open}. */
export interface FileKeyStoreOptions {
  /** Seals the keys in the file (AES-256-GCM); without one they are written in the clear. */
  storageKey?: StorageKey;
  /** Most keys held; the oldest is dropped beyond it. 100,000 by default. */
  maxEntries?: number;
  /**
   * Delay between a change and the write that saves it (changes in between share the
   * write); 200 ms by default, longer when writing the file is slow (at most ~10% of the time).
   */
  flushDelayMs?: number;
  /** Receives errors of background writes (the store keeps serving from memory). */
  onError?: (error: unknown) => void;
  /** Current time in milliseconds; `Date.now` by default. */
  clock?: () => number;
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
  readonly #entries = new Map<string, Entry & { hotkey: string; uuid: string }>();
  readonly #storageKey: StorageKey | undefined;
  readonly #maxEntries: number;
  readonly #delay: number;
  readonly #onError: (error: unknown) => void;
  readonly #clock: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #lastWriteMs = 0;
  /** Entries in the file that did not open (another storage key); reported once. */
  unreadable = 0;

  private constructor(path: string, options: FileKeyStoreOptions) {
    this.#path = path;
    this.#storageKey = options.storageKey;
    this.#maxEntries = aint(options.maxEntries ?? 100_000, "options.maxEntries", 1);
    this.#delay = aint(options.flushDelayMs ?? 200, "options.flushDelayMs", 0);
    this.#onError = options.onError ?? (() => {});
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Opens the store, loading the live keys of `path` when it exists.
   * @param path - the JSON file (created at the first change)
   * @param options - see {@link FileKeyStoreOptions}
   * @throws KeyFormatError when the file exists but is not such a file
   */
  static async open(path: string, options: FileKeyStoreOptions = {}): Promise<FileKeyStore> {
    const store = new FileKeyStore(path, options);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return store;
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
    const now = store.#clock();
    for (const e of entries) {
      if (typeof e?.hotkey !== "string" || typeof e.uuid !== "string" || typeof e.value !== "string" || !(e.expiresAt > now)) continue;
      try {
        const key = await decodeAtRest(store.#storageKey, e.value, slot(e.hotkey, e.uuid));
        store.#entries.set(slot(e.hotkey, e.uuid), { hotkey: e.hotkey, uuid: e.uuid, key, value: e.value, expiresAt: e.expiresAt });
      } catch {
        store.unreadable++;
      }
    }
    return store;
  }

  /** Number of keys held (expired ones may linger until the next write). */
  get size(): number {
    return this.#entries.size;
  }

  /** @inheritDoc */
  async set(hotkey: string, uuid: string, key: Uint8Array, ttlMs: number): Promise<void> {
    const id = slot(hotkey, uuid);
    const value = await encodeAtRest(this.#storageKey, key, id);
    this.#entries.delete(id);
    if (this.#entries.size >= this.#maxEntries) this.#sweep();
    if (this.#entries.size >= this.#maxEntries) this.#drop(this.#entries.keys().next().value as string);
    this.#entries.set(id, { hotkey, uuid, key: key.slice(), value, expiresAt: this.#clock() + ttlMs });
    this.#schedule();
  }

  /** @inheritDoc */
  async get(hotkey: string, uuid: string): Promise<Uint8Array | undefined> {
    const id = slot(hotkey, uuid);
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#clock()) {
      this.#drop(id);
      return undefined;
    }
    return entry.key.slice();
  }

  /** Writes the file now (after any write in progress); resolves when it is on disk. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#writing = this.#writing.catch(() => {}).then(() => this.#write());
    return this.#writing;
  }

  /** Saves pending changes; the store may still be used afterwards. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) await this.flush();
    else await this.#writing;
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    // A large file is written less often: writes take at most about a tenth of the time.
    this.#timer = setTimeout(() => void this.flush().catch(this.#onError), Math.max(this.#delay, this.#lastWriteMs * 10));
    this.#timer.unref?.();
  }

  async #write(): Promise<void> {
    const started = performance.now();
    this.#sweep();
    const keys: FileEntry[] = [...this.#entries.values()].map(({ hotkey, uuid, expiresAt, value }) => ({ hotkey, uuid, expiresAt, value }));
    await writeFileAtomic(this.#path, JSON.stringify({ format: FORMAT, version: 1, sealed: this.#storageKey !== undefined, keys }));
    this.#lastWriteMs = performance.now() - started;
  }

  #sweep(): void {
    const now = this.#clock();
    for (const [id, entry] of this.#entries) if (entry.expiresAt <= now) this.#drop(id);
  }

  #drop(id: string): void {
    this.#entries.get(id)?.key.fill(0);
    this.#entries.delete(id);
  }
}

function slot(hotkey: string, uuid: string): string {
  return `key:${hotkey}:${uuid}`;
}
