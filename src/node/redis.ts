/**
 * Fiber's nonce and symmetric-key stores in Redis, so that several miner processes
 * behave as one: a key exchanged on one serves requests on all, a nonce used on one is
 * refused by all, and all share one RSA key pair.
 *
 * Offline behaviour: commands are never queued while Redis is unreachable (node-redis's
 * offline queue is disabled) and each is raced against our own timer (a Redis that is
 * connected but silent, e.g. frozen, would otherwise hang requests forever), so the stores
 * fail fast with {@link StoreUnavailableError} (servers answer 503) and nothing is
 * accepted that could not be recorded. The client reconnects by itself; on every
 * reconnection the stores refuse every nonce minted before that moment (Redis may have
 * restarted from a snapshot that lacks the later nonce records), and on every connection
 * (and every 2 s while connected) they check an epoch marker: when Redis lost its data
 * (restarted empty, flushed) they do the same and re-publish the shared RSA key.
 *
 * @module
 */
import type { createClient as CreateClient } from "@redis/client";
import { randomBytes, toHex, utf8 } from "../bytes.js";
import { KeyFormatError, StoreUnavailableError } from "../errors.js";
import { nonceTimestampMs, type NonceStore } from "../fiber/nonce.js";
import type { SymmetricKeyStore } from "../fiber/keystore.js";
import { importOptional } from "./optional-dependency.js";
import { decodeAtRest, encodeAtRest, isSealedAtRest, type StorageKey } from "./storage-key.js";

/** How often a connected instance re-reads the epoch marker (a flush without a reconnection). */
const EPOCH_CHECK_MS = 2000;

/** Default prefix of every Redis key the stores use. */
export const DEFAULT_REDIS_PREFIX = "pmh:fiber:";

/** Options of {@link RedisFiberStores.connect}. */
export interface RedisStoresOptions {
  /** Prefix of the Redis keys; {@link DEFAULT_REDIS_PREFIX} by default. Instances that act as one miner share it. */
  prefix?: string | undefined;
  /** Seal symmetric keys and the RSA key at rest (AES-256-GCM); in the clear by default. */
  storageKey?: StorageKey | undefined;
  /** Longest wait for one command before answering 503; 1000 ms by default. */
  commandTimeoutMs?: number | undefined;
  /** Longest wait for the first connection; 5000 ms by default. */
  connectTimeoutMs?: number | undefined;
  /** Longest pause between reconnection attempts; 1000 ms by default. */
  maxReconnectDelayMs?: number | undefined;
  /** Receives one line per state change (offline, back, data lost, key published). */
  onEvent?: ((message: string) => void) | undefined;
  /** Current time in milliseconds; `Date.now` by default. */
  clock?: (() => number) | undefined;
}

/** A node-redis client that never queues commands while offline and bounds each one. */
function makeClient(createClient: typeof CreateClient, url: string, options: RedisStoresOptions) {
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  return createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: options.commandTimeoutMs ?? 1000 },
    // A PING every second lets the client notice a connection that stopped answering.
    pingInterval: 1000,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, maxDelay) },
  });
}

type Client = ReturnType<typeof makeClient>;

/** A Redis URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable Redis URL)";
  }
}

/**
 * One Redis connection serving a nonce store, a key store and the shared RSA key.
 *
 * @example
 * ```ts
 * const redis = await RedisFiberStores.connect("redis://127.0.0.1:6379", { storageKey });
 * const rsaPrivateKey = await redis.sharedRSAKey(async () => (await createRSAKey()).privateKey);
 * const server = await FiberServer.create({ keypair, nonceStore: redis.nonceStore, keyStore: redis.keyStore, ... });
 * ```
 */
export class RedisFiberStores {
  /** Replay protection shared by every instance. */
  readonly nonceStore: NonceStore;
  /** Exchanged keys shared by every instance (sealed at rest with a storage key). */
  readonly keyStore: SymmetricKeyStore;
  readonly #client: Client;
  readonly #prefix: string;
  readonly #storageKey: StorageKey | undefined;
  readonly #clock: () => number;
  readonly #event: (message: string) => void;
  #epoch: string | undefined;
  /** Nonces minted before this time are refused: their record may have been lost. */
  #nonceFloorMs = 0;
  #sync: Promise<void> | undefined;
  #rsaValue: string | undefined;
  #online = false;
  #syncing = false;
  #everReady = false;
  readonly #watch: ReturnType<typeof setInterval>;
  readonly #timeoutMs: number;

  private constructor(client: Client, options: RedisStoresOptions) {
    this.#client = client;
    this.#timeoutMs = options.commandTimeoutMs ?? 1000;
    this.#prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.#storageKey = options.storageKey;
    this.#clock = options.clock ?? Date.now;
    this.#event = options.onEvent ?? (() => {});
    this.nonceStore = { has: (nonce) => this.#hasNonce(nonce), add: (nonce, ttlMs) => this.#addNonce(nonce, ttlMs) };
    this.keyStore = { set: (hotkey, uuid, key, ttlMs) => this.#setKey(hotkey, uuid, key, ttlMs), get: (hotkey, uuid) => this.#getKey(hotkey, uuid) };
    client.on("ready", () => {
      const reconnected = this.#everReady;
      this.#everReady = true;
      this.#online = true;
      // Every command waits for this check, so none runs against a Redis that lost its data unnoticed.
      this.#sync = this.#synchronise(reconnected);
    });
    // A flush without a reconnection is caught by this periodic check (within EPOCH_CHECK_MS).
    this.#watch = setInterval(() => {
      if (this.#client.isReady && !this.#syncing) void this.#synchronise(false);
    }, EPOCH_CHECK_MS);
    this.#watch.unref?.();
    client.on("error", (error: Error) => {
      if (this.#online) this.#event(`Redis unreachable (${error.message || error.name}); answering 503 until it is back`);
      this.#online = false;
    });
  }

  /**
   * Connects to Redis (waiting at most `connectTimeoutMs`) and checks the epoch marker.
   * @param url - e.g. `redis://127.0.0.1:6379` or `rediss://user:pass@host:6380/1`
   * @param options - see {@link RedisStoresOptions}
   * @throws StoreUnavailableError when Redis cannot be reached in time
   */
  static async connect(url: string, options: RedisStoresOptions = {}): Promise<RedisFiberStores> {
    // Loaded here, not at import: `@redis/client` is an optional peer dependency.
    const { createClient } = await importOptional("@redis/client", "RedisFiberStores", () => import("@redis/client"));
    const client = makeClient(createClient, url, options);
    const stores = new RedisFiberStores(client, options);
    const limit = options.connectTimeoutMs ?? 5000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`cannot reach Redis at ${redactRedisUrl(url)} within ${limit} ms`)), limit);
    });
    try {
      await Promise.race([client.connect(), timeout]);
      await stores.#sync;
    } catch (error) {
      clearInterval(stores.#watch);
      client.destroy();
      throw error instanceof StoreUnavailableError ? error : new StoreUnavailableError(`cannot connect to Redis at ${redactRedisUrl(url)}: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    return stores;
  }

  /** True while connected. */
  get available(): boolean {
    return this.#client.isReady;
  }

  /**
   * The RSA private key every instance serves: adopted from Redis when an instance
   * published one, otherwise generated here and published (first writer wins).
   * @param generate - makes a new PKCS#1 PEM private key
   * @returns the PEM private key
   * @throws KeyFormatError when the stored key cannot be opened with the configured storage key
   */
  async sharedRSAKey(generate: () => Promise<string>): Promise<string> {
    const slot = this.#key("rsa");
    let stored = await this.#run("read the shared RSA key", (c) => c.get(slot));
    if (stored === null) {
      const pem = await generate();
      const value = await encodeAtRest(this.#storageKey, utf8(pem), slot);
      const won = await this.#run("publish the RSA key", (c) => c.set(slot, value, { condition: "NX" }));
      if (won === "OK") {
        this.#rsaValue = value;
        this.#event("published a new shared RSA key");
        return pem;
      }
      stored = await this.#run("read the shared RSA key", (c) => c.get(slot));
      if (stored === null) throw new StoreUnavailableError("the shared RSA key vanished from Redis while starting; retry");
    }
    const pem = await this.#openRSA(stored, slot);
    this.#rsaValue = stored;
    this.#event("adopted the shared RSA key from Redis");
    return pem;
  }

  /** Closes the connection (pending commands finish first). */
  async close(): Promise<void> {
    clearInterval(this.#watch);
    this.#online = false;
    if (this.#client.isOpen) await this.#client.close();
  }

  async #openRSA(stored: string, slot: string): Promise<string> {
    try {
      return new TextDecoder().decode(await decodeAtRest(this.#storageKey, stored, slot));
    } catch {
      const why = isSealedAtRest(stored)
        ? this.#storageKey === undefined
          ? "is sealed: give the storage key the other instances use"
          : "does not open with this storage key (another key, or altered)"
        : "is stored in the clear while a storage key is configured: delete it or use no storage key";
      throw new KeyFormatError(`the shared RSA key in Redis (${slot}) ${why}`);
    }
  }

  #key(name: string): string {
    return this.#prefix + name;
  }

  /** Runs one command once Redis is reachable and synchronised, or fails fast. */
  async #run<T>(what: string, command: (client: Client) => Promise<T>): Promise<T> {
    if (!this.#client.isReady) throw new StoreUnavailableError(`Redis is unreachable (could not ${what})`);
    try {
      if (this.#sync !== undefined) await this.#bounded("synchronise with Redis", this.#sync);
      return await this.#bounded(what, command(this.#client));
    } catch (cause) {
      if (cause instanceof StoreUnavailableError) throw cause;
      throw new StoreUnavailableError(`Redis did not ${what}: ${(cause as Error).message || (cause as Error).name}`, { cause });
    }
  }

  /**
   * Races a command against our own timer: node-redis's command timeout only covers the
   * wait before a command is written, so a Redis that stops answering (frozen, network
   * black hole) would otherwise leave the request hanging forever.
   */
  async #bounded<T>(what: string, pending: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`Redis did not ${what} within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    try {
      return await Promise.race([pending, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * On every (re)connection, and every {@link EPOCH_CHECK_MS} while connected: reads or
   * creates the epoch marker. A new epoch means Redis lost its data (or is new): every
   * nonce minted before now may have lost its record, so they are refused from now on;
   * the RSA key is re-published if it is missing. Never rejects: when the check itself
   * fails, nonces minted before now are refused all the same (the safe side), and the
   * periodic check tries again.
   */
  async #synchronise(reconnected: boolean): Promise<void> {
    this.#syncing = true;
    try {
      const c = this.#client;
      const fresh = toHex(randomBytes(16));
      const created = (await this.#bounded("check the epoch marker", c.set(this.#key("epoch"), fresh, { condition: "NX" }))) === "OK";
      const epoch = created ? fresh : ((await this.#bounded("read the epoch marker", c.get(this.#key("epoch")))) ?? fresh);
      // After a reconnection Redis may have restarted from a snapshot: same epoch, but the
      // nonces recorded after the snapshot are gone. Refuse every nonce minted before now.
      if (created || epoch !== this.#epoch || reconnected) this.#nonceFloorMs = this.#clock();
      if (created || epoch !== this.#epoch) {
        if (this.#epoch !== undefined) this.#event("Redis lost its data (restarted empty?): refusing nonces minted before now; validators re-handshake");
      } else if (reconnected) {
        this.#event("Redis is back");
      }
      this.#epoch = epoch;
      await this.#republishRSA();
    } catch {
      this.#nonceFloorMs = this.#clock();
      this.#epoch = undefined;
    } finally {
      this.#syncing = false;
    }
  }

  /** Puts the RSA key this instance serves back into Redis when it is missing there. */
  async #republishRSA(): Promise<void> {
    if (this.#rsaValue === undefined) return;
    const c = this.#client;
    const slot = this.#key("rsa");
    if ((await this.#bounded("re-publish the RSA key", c.set(slot, this.#rsaValue, { condition: "NX" }))) === "OK") {
      this.#event("re-published the shared RSA key");
      return;
    }
    const stored = await this.#bounded("read the shared RSA key", c.get(slot));
    if (stored !== null && stored !== this.#rsaValue && (await this.#openRSA(stored, slot).catch(() => "")) !== (await this.#openRSA(this.#rsaValue, slot))) {
      this.#event("WARNING: Redis holds another RSA key than this instance serves; restart the instances to converge");
    }
  }

  /** True when the nonce was minted before the last data loss (its record may be gone). */
  #beforeFloor(nonce: string): boolean {
    const ts = nonceTimestampMs(nonce);
    return ts === undefined || ts < this.#nonceFloorMs;
  }

  async #hasNonce(nonce: string): Promise<boolean> {
    const exists = await this.#run("look up a nonce", (c) => c.exists(this.#key(`nonce:${nonce}`)));
    return exists > 0 || this.#beforeFloor(nonce);
  }

  async #addNonce(nonce: string, ttlMs: number): Promise<boolean> {
    if (this.#beforeFloor(nonce)) return false;
    const key = this.#key(`nonce:${nonce}`);
    const reply = await this.#run("record a nonce", (c) => c.set(key, "1", { condition: "NX", expiration: { type: "PX", value: Math.max(1, Math.ceil(ttlMs)) } }));
    return reply === "OK";
  }

  async #setKey(hotkey: string, uuid: string, key: Uint8Array, ttlMs: number): Promise<void> {
    const slot = this.#key(`key:${hotkey}:${uuid}`);
    const value = await encodeAtRest(this.#storageKey, key, slot);
    await this.#run("store a symmetric key", (c) => c.set(slot, value, { expiration: { type: "PX", value: Math.max(1, Math.ceil(ttlMs)) } }));
  }

  async #getKey(hotkey: string, uuid: string): Promise<Uint8Array | undefined> {
    const slot = this.#key(`key:${hotkey}:${uuid}`);
    const stored = await this.#run("read a symmetric key", (c) => c.get(slot));
    if (stored === null) return undefined;
    try {
      return await decodeAtRest(this.#storageKey, stored, slot);
    } catch {
      return undefined; // sealed under another storage key: the validator re-handshakes
    }
  }
}
