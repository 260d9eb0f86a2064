/**
 * A trust-on-first-use {@link PinStore} persisted in a JSON file.
 *
 * @module
 */
import { KeyFormatError } from "../../common/errors.js";
import type { PinStore } from "../tofu.js";
import { JsonMapFile } from "../../common/node/json-map-file.js";

/** File layout: `{ "version": 1, "pins": { "<peer>": "<fingerprint>" } }`. */
interface PinFile {
  version: 1;
  pins: Record<string, string>;
}

function parsePinFile(json: unknown, path: string): Record<string, string> {
  const parsed = json as Partial<PinFile> | null | undefined;
  const pins = parsed?.pins;
  if (parsed?.version !== 1 || typeof pins !== "object" || pins === null || Object.values(pins).some((v) => typeof v !== "string")) {
    throw new KeyFormatError(`${path} is not a pin file ({"version":1,"pins":{...}})`);
  }
  return pins;
}

/**
 * Pins in a JSON file, written atomically (mode 0600) on every change. Changes from
 * one process are serialised (so {@link pinIfAbsent} is atomic); do not share one file
 * between processes.
 */
export class JsonFilePinStore implements PinStore {
  readonly #file: JsonMapFile;

  /** @param path - the JSON file; created on the first pin */
  constructor(path: string) {
    this.#file = new JsonMapFile(path, { parse: parsePinFile, serialize: (pins): PinFile => ({ version: 1, pins }) });
  }

  /** The JSON file. */
  get path(): string {
    return this.#file.path;
  }

  /** @inheritDoc */
  async get(peer: string): Promise<string | undefined> {
    return (await this.#file.entries()).get(peer);
  }

  /** @inheritDoc */
  async pinIfAbsent(peer: string, fingerprint: string): Promise<string | undefined> {
    return this.#file.setIfAbsent(peer, fingerprint);
  }

  /** @inheritDoc */
  async set(peer: string, fingerprint: string): Promise<void> {
    await this.#file.change((pins) => pins.set(peer, fingerprint));
  }

  /** @inheritDoc */
  async delete(peer: string): Promise<void> {
    await this.#file.change((pins) => pins.delete(peer));
  }
}
