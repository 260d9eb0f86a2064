/**
 * Node-only storage for HiveMind v3: the X25519 static key file (lowercase hex of the
 * raw 32-byte private key, mode 0600, written atomically) and pin stores for peers'
 * static keys (hub keys by `host:port` on a client, client keys by id on a hub).
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { x25519 } from "@noble/curves/ed25519.js";
import { astring, isHex, toHex } from "../bytes.js";
import { KeyFormatError } from "../errors.js";
import { parseX25519Key } from "../hivemind/index.js";

const SECRET_MODE = 0o600;

/** Writes a small file atomically (temp file, fsync, rename) with mode 0600. */
async function writeSecretFile(path: string, data: string): Promise<void> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const temp = join(folder, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const file = await open(temp, "wx", SECRET_MODE);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await chmod(temp, SECRET_MODE); // a umask cannot widen it, but a filesystem may ignore the open mode
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** An X25519 static key pair. */
export interface X25519KeyPair {
  /** The raw 32-byte private key (pass it as `staticKey`). */
  readonly privateKey: Uint8Array;
  /** The raw 32-byte public key (what peers pin). */
  readonly publicKey: Uint8Array;
}

/**
 * Loads a HiveMind static key file (hex; surrounding whitespace ignored).
 * @throws KeyFormatError when the file is not 64 hex digits
 */
export async function loadX25519KeyFile(path: string): Promise<X25519KeyPair> {
  const text = await readFile(astring(path, "path"), "utf8");
  const privateKey = parseX25519Key(text, path);
  return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
}

/** Writes `privateKey` as lowercase hex, atomically, with mode 0600. */
export async function saveX25519KeyFile(path: string, privateKey: Uint8Array): Promise<void> {
  await writeSecretFile(astring(path, "path"), toHex(parseX25519Key(privateKey, "privateKey")));
}

/**
 * Loads the key file at `path`, or creates it with a fresh random key when it does not
 * exist. An unreadable or malformed file is an error, never silently replaced.
 */
export async function loadOrCreateX25519KeyFile(path: string): Promise<X25519KeyPair & { readonly created: boolean }> {
  if ((await readOptional(astring(path, "path"))) !== undefined) return { ...(await loadX25519KeyFile(path)), created: false };
  const privateKey = x25519.utils.randomSecretKey();
  await saveX25519KeyFile(path, privateKey);
  return { privateKey, publicKey: x25519.getPublicKey(privateKey), created: true };
}

/**
 * Pinned X25519 static keys in a JSON file `{ "<peer>": "<hex>" }`, written atomically
 * (mode 0600) on every change. A client keys hub pins by `host:port`; a hub keys client
 * pins by its client id. Changes from one process are serialised.
 */
export class X25519PinStore {
  /** The JSON file. */
  readonly path: string;
  #pins: Map<string, string> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** @param path - the JSON file; created on the first pin */
  constructor(path: string) {
    this.path = astring(path, "path");
  }

  /** The pinned key of `peer`, if any. */
  async get(peer: string): Promise<Uint8Array | undefined> {
    const hex = (await this.#load()).get(astring(peer, "peer"));
    return hex === undefined ? undefined : parseX25519Key(hex, `pin of ${peer}`);
  }

  /** All pinned keys (a hub passes them as `pinnedClients`). */
  async all(): Promise<Map<string, Uint8Array>> {
    return new Map([...(await this.#load())].map(([peer, hex]) => [peer, parseX25519Key(hex, `pin of ${peer}`)]));
  }

  /** Pins `key` for `peer`, replacing any earlier pin. */
  async set(peer: string, key: Uint8Array | string): Promise<void> {
    const hex = toHex(parseX25519Key(key, "key"));
    await this.#change((pins) => pins.set(astring(peer, "peer"), hex));
  }

  /** Forgets the pin of `peer` (for example after a KKpsk0 failure). */
  async delete(peer: string): Promise<void> {
    await this.#change((pins) => pins.delete(astring(peer, "peer")));
  }

  #change(apply: (pins: Map<string, string>) => void): Promise<void> {
    const next = this.#queue.then(async () => {
      const pins = await this.#load();
      apply(pins);
      const sorted = Object.fromEntries([...pins].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      await writeSecretFile(this.path, `${JSON.stringify(sorted, null, 2)}\n`);
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #load(): Promise<Map<string, string>> {
    if (this.#pins !== undefined) return this.#pins;
    const text = await readOptional(this.path);
    if (text === undefined) return (this.#pins = new Map());
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== "string" || v.length !== 64 || !isHex(v))) {
      // Refuse rather than start over: silently dropping pins would re-open first use.
      throw new KeyFormatError(`${this.path} is not a pin file ({"<peer>": "<64 hex digits>"})`);
    }
    return (this.#pins = new Map(Object.entries(parsed as Record<string, string>)));
  }
}
