/**
 * A trust-on-first-use {@link PinStore} persisted in a JSON file.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { KeyFormatError } from "../errors.js";
import type { PinStore } from "../rsa/tofu.js";
import { writeFileAtomic } from "./files.js";

/** File layout: `{ "version": 1, "pins": { "<peer>": "<fingerprint>" } }`. */
interface PinFile {
  version: 1;
  pins: Record<string, string>;
}

/**
 * Pins in a JSON file, written atomically (mode 0600) on every change. Changes from
 * one process are serialised; do not share one file between processes.
 */
export class JsonFilePinStore implements PinStore {
  /** The JSON file. */
  readonly path: string;
  #pins: Map<string, string> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** @param path - the JSON file; created on the first pin */
  constructor(path: string) {
    this.path = path;
  }

  /** @inheritDoc */
  async get(peer: string): Promise<string | undefined> {
    return (await this.#load()).get(peer);
  }

  /** @inheritDoc */
  async set(peer: string, fingerprint: string): Promise<void> {
    await this.#change((pins) => pins.set(peer, fingerprint));
  }

  /** @inheritDoc */
  async delete(peer: string): Promise<void> {
    await this.#change((pins) => pins.delete(peer));
  }

  #change(apply: (pins: Map<string, string>) => void): Promise<void> {
    const next = this.#queue.then(async () => {
      const pins = await this.#load();
      apply(pins);
      const file: PinFile = { version: 1, pins: Object.fromEntries([...pins].sort(([a], [b]) => (a < b ? -1 : 1))) };
      await writeFileAtomic(this.path, JSON.stringify(file, null, 2) + "\n");
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  async #load(): Promise<Map<string, string>> {
    if (this.#pins) return this.#pins;
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      return (this.#pins = new Map());
    }
    let parsed: Partial<PinFile> | undefined;
    try {
      parsed = JSON.parse(text) as Partial<PinFile>;
    } catch {
      parsed = undefined;
    }
    const pins = parsed?.pins;
    if (parsed?.version !== 1 || typeof pins !== "object" || pins === null || Object.values(pins).some((v) => typeof v !== "string")) {
      // Refuse rather than start over: silently dropping pins would re-open first use.
      throw new KeyFormatError(`${this.path} is not a pin file ({"version":1,"pins":{...}})`);
    }
    return (this.#pins = new Map(Object.entries(pins)));
  }
}
