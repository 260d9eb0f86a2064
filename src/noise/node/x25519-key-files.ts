/**
 * Node-only storage for HiveMind v3: the X25519 static key file (lowercase hex of the
 * raw 32-byte private key, mode 0600, written atomically) and pin stores for peers'
 * static keys (hub keys by `host:port` on a client, client keys by id on a hub).
 *
 * @module
 */
import { x25519 } from "@noble/curves/ed25519.js";
import { astring, isHex, toHex } from "../../common/bytes.js";
import { KeyFormatError } from "../../common/errors.js";
import { parseX25519Key } from "../x25519-key.js";
import { isMissingFile, writeFileAtomic } from "../../common/node/files.js";
import { JsonMapFile } from "../../common/node/json-map-file.js";
import { checkKeyFileOptions, readSecretTextFile, type KeyFileOptions } from "../../common/node/key-file-access.js";

const EXPECTED = "a HiveMind X25519 key file (64 hex digits)";

/** An X25519 static key pair. */
export interface X25519KeyPair {
  /** The raw 32-byte private key (pass it as `staticKey`). */
  readonly privateKey: Uint8Array;
  /** The raw 32-byte public key (what peers pin). */
  readonly publicKey: Uint8Array;
}

/**
 * Loads a HiveMind static key file (hex; surrounding whitespace ignored). A file
 * others can read is used, with a warning (see {@link KeyFileOptions}).
 * @param path - the key file
 * @param options - see {@link KeyFileOptions}
 * @throws FileError when the file cannot be read (missing, a folder, no permission)
 * @throws KeyFormatError when the file is not 64 hex digits
 */
export async function loadX25519KeyFile(path: string, options?: KeyFileOptions): Promise<X25519KeyPair> {
  const text = await readSecretTextFile(astring(path, "path"), EXPECTED, checkKeyFileOptions(options));
  const privateKey = parseX25519Key(text, path);
  return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
}

/**
 * Writes `privateKey` as lowercase hex, atomically, with mode 0600.
 * @throws FileError when the path cannot be written
 */
export async function saveX25519KeyFile(path: string, privateKey: Uint8Array): Promise<void> {
  await writeFileAtomic(astring(path, "path"), toHex(parseX25519Key(privateKey, "privateKey")));
}

/**
 * Loads the key file at `path`, or creates it with a fresh random key when it does not
 * exist. An unreadable or malformed file is an error, never silently replaced.
 * @param path - the key file
 * @param options - see {@link KeyFileOptions}
 * @throws FileError when the path cannot be read or written
 * @throws KeyFormatError when the file is not 64 hex digits
 */
export async function loadOrCreateX25519KeyFile(path: string, options?: KeyFileOptions): Promise<X25519KeyPair & { readonly created: boolean }> {
  try {
    return { ...(await loadX25519KeyFile(path, options)), created: false };
  } catch (error) {
    if (!isMissingFile(error)) throw error;
  }
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
  readonly #file: JsonMapFile;

  /** @param path - the JSON file; created on the first pin */
  constructor(path: string) {
    this.#file = new JsonMapFile(astring(path, "path"), { parse: parsePinFile, serialize: (pins) => pins });
  }

  /** The JSON file. */
  get path(): string {
    return this.#file.path;
  }

  /** The pinned key of `peer`, if any. */
  async get(peer: string): Promise<Uint8Array | undefined> {
    const hex = (await this.#file.entries()).get(astring(peer, "peer"));
    return hex === undefined ? undefined : parseX25519Key(hex, `pin of ${peer}`);
  }

  /** All pinned keys (a hub passes them as `pinnedClients`, at most `MAX_KK_CANDIDATES` of them). */
  async all(): Promise<Map<string, Uint8Array>> {
    return new Map([...(await this.#file.entries())].map(([peer, hex]) => [peer, parseX25519Key(hex, `pin of ${peer}`)]));
  }

  /**
   * Trust on first use: pins `key` for `peer` unless it has a pin, as one atomic step
   * (two concurrent first contacts cannot both pin). Compare a returned pin with the
   * presented key, and refuse the peer when they differ.
   * @returns the existing pin, or `undefined` when this call pinned `key`
   */
  async pinIfAbsent(peer: string, key: Uint8Array | string): Promise<Uint8Array | undefined> {
    const existing = await this.#file.setIfAbsent(astring(peer, "peer"), toHex(parseX25519Key(key, "key")));
    return existing === undefined ? undefined : parseX25519Key(existing, `pin of ${peer}`);
  }

  /** Pins `key` for `peer`, replacing any earlier pin (a deliberate rotation; use {@link pinIfAbsent} on first contact). */
  async set(peer: string, key: Uint8Array | string): Promise<void> {
    const hex = toHex(parseX25519Key(key, "key"));
    await this.#file.change((pins) => pins.set(astring(peer, "peer"), hex));
  }

  /** Forgets the pin of `peer` (for example after a KKpsk0 failure). */
  async delete(peer: string): Promise<void> {
    await this.#file.change((pins) => pins.delete(astring(peer, "peer")));
  }
}

/** Reads `{ "<peer>": "<64 hex digits>" }`; refuses anything else rather than start over. */
function parsePinFile(json: unknown, path: string): Record<string, string> {
  if (json === null || typeof json !== "object" || Array.isArray(json) || Object.values(json).some((v) => typeof v !== "string" || v.length !== 64 || !isHex(v))) {
    throw new KeyFormatError(`${path} is not a pin file ({"<peer>": "<64 hex digits>"})`);
  }
  return json as Record<string, string>;
}
