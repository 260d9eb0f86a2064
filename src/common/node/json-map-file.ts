/**
 * A string-to-string map persisted in a small JSON file: loaded once, every change
 * written atomically (mode 0600) and serialised through one queue, so a
 * read-modify-write (such as "pin if absent") is atomic within the process. The pin
 * stores of `poorman-handshake/node` share it.
 *
 * @module
 */
import { isMissingFile, readTextFile, writeFileAtomic } from "./files.js";

/** How one file format maps onto the map. */
export interface JsonMapFormat {
  /** Turns the file's parsed JSON into entries; throws (a typed error) when it is not this format. */
  parse(json: unknown, path: string): Record<string, string>;
  /** Turns the entries (sorted by key) into the JSON value to write. */
  serialize(entries: Record<string, string>): unknown;
}

/** One JSON map file; see the module description. */
export class JsonMapFile {
  /** The JSON file. */
  readonly path: string;
  readonly #format: JsonMapFormat;
  #loaded: Promise<Map<string, string>> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * @param path - the JSON file; created on the first change
   * @param format - how the file maps onto entries
   */
  constructor(path: string, format: JsonMapFormat) {
    this.path = path;
    this.#format = format;
  }

  /** The entries (the live map: read it, change it only through {@link change}). */
  entries(): Promise<Map<string, string>> {
    // One load promise, so a read racing a change never replaces the changed map.
    const loaded = (this.#loaded ??= this.#read());
    loaded.catch(() => {
      if (this.#loaded === loaded) this.#loaded = undefined; // retry a failed read next time
    });
    return loaded;
  }

  /**
   * Applies `apply` to the entries in the queue and writes the file when it reports a
   * change (returns anything but `false`).
   * @returns what `apply` returned
   */
  change<T>(apply: (entries: Map<string, string>) => T): Promise<T> {
    const next = this.#queue.then(async () => {
      const entries = await this.entries();
      const result = apply(entries);
      if (result !== false) {
        const sorted = Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
        await writeFileAtomic(this.path, `${JSON.stringify(this.#format.serialize(sorted), null, 2)}\n`);
      }
      return result;
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Sets `key` to `value` unless it has a value already, atomically.
   * @returns the existing value, or `undefined` when this call set it
   */
  async setIfAbsent(key: string, value: string): Promise<string | undefined> {
    let existing: string | undefined;
    await this.change((entries) => {
      existing = entries.get(key);
      if (existing !== undefined) return false;
      entries.set(key, value);
      return true;
    });
    return existing;
  }

  async #read(): Promise<Map<string, string>> {
    let text: string;
    try {
      text = await readTextFile(this.path, "a JSON pin file");
    } catch (error) {
      if (!isMissingFile(error)) throw error;
      return new Map();
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    // The format refuses what it does not recognise: silently dropping pins would re-open first use.
    return new Map(Object.entries(this.#format.parse(json, this.path)));
  }
}
