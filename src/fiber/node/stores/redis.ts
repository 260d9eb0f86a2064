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
 * connection the stores refuse every nonce minted before that moment (Redis may have
 * restarted from a snapshot that lacks the later nonce records), and on every connection
 * (and every 2 s while connected) they check an epoch marker and `evicted_keys`: when
 * Redis lost its data (restarted empty, flushed, evicted keys) they do the same and
 * re-publish the shared RSA key. A refused nonce that is not known to be used is a
 * {@link NonceUnverifiableError} (503), never a replay (401); while a check cannot be
 * made, every command fails with {@link StoreUnavailableError} (503) until one passes.
 *
 * @module
 */
import { randomBytes, toHex, utf8 } from "../../../common/bytes.js";
import { KeyFormatError, StoreUnavailableError } from "../../../common/errors.js";
import { nonceTimestampMs, refuseBeforeFloor, type NonceStore } from "../../nonce.js";
import type { SymmetricKeyStore } from "../../keystore.js";
import { EvictionLog, evictionVerdict, hopelessStartReason, sharedKeyRefusal, makeClient, parseEvictedKeys, readEvictedKeys, readEvictionPolicy, redactRedisUrl, SAFE_EVICTION_POLICY, DEFAULT_REDIS_PREFIX, type RedisStoresOptions, type RedisClient as Client } from "./redis-connection.js";
export { redactRedisUrl };
import { importOptional } from "../../../common/node/optional-dependency.js";
import { decodeAtRest, encodeAtRest, isSealedAtRest, type StorageKey } from "./storage-key.js";

export { DEFAULT_REDIS_PREFIX, type RedisStoresOptions };

/** How often a connected instance re-reads the epoch marker (a flush without a reconnection). */
const EPOCH_CHECK_MS = 2000;

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
  /** Nonces minted before this time are refused (503): their record may have been lost. */
  #nonceFloorMs = 0;
  /** What happened at the floor, for messages. */
  #floorReason = "connected to Redis";
  /** True once a check passed since the last connection and none failed since. */
  #checked = false;
  /** Why the last check failed, for messages. */
  #checkError: unknown;
  /** The check in progress, which commands wait for while {@link #checked} is false. */
  #checking: Promise<void> | undefined;
  /** `evicted_keys` at the last check; undefined when INFO cannot be read. */
  #evictedKeys: number | undefined;
  /** True when Redis may evict (allowed at start): every nonce add also reads `evicted_keys`. */
  #mayEvict = false;
  readonly #evictionLog: EvictionLog;
  #rsaValue: string | undefined;
  #online = false;
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
    this.#evictionLog = new EvictionLog(this.#clock, this.#event);
    this.nonceStore = { has: (nonce) => this.#hasNonce(nonce), add: (nonce, ttlMs) => this.#addNonce(nonce, ttlMs) };
    this.keyStore = { set: (hotkey, uuid, key, ttlMs) => this.#setKey(hotkey, uuid, key, ttlMs), get: (hotkey, uuid) => this.#getKey(hotkey, uuid) };
    client.on("ready", () => {
      const reconnected = this.#everReady;
      this.#everReady = true;
      this.#online = true;
      // Redis may have restarted from a snapshot that lacks later nonce records, and a new
      // instance cannot know what its siblings recorded: refuse every nonce minted before now.
      this.#raiseFloor(reconnected ? "reconnected to Redis" : "connected to Redis");
      // Every command waits for this check, so none runs against a Redis that lost its data unnoticed.
      this.#checked = false;
      this.#startCheck(reconnected);
    });
    // A flush or an eviction without a reconnection is caught by this periodic check (within EPOCH_CHECK_MS).
    this.#watch = setInterval(() => {
      if (this.#client.isReady && this.#checking === undefined) this.#startCheck(false);
    }, EPOCH_CHECK_MS);
    this.#watch.unref?.();
    client.on("error", (error: Error) => {
      if (this.#online) this.#event(`Redis unreachable (${error.message || error.name}); answering 503 until it is back`);
      this.#online = false;
    });
  }

  /**
   * Connects to Redis (waiting at most `connectTimeoutMs`; a refused connection or refused
   * credentials fail at once), checks the epoch marker and the eviction policy.
   * @param url - e.g. `redis://127.0.0.1:6379` or `rediss://user:pass@host:6380/1`
   * @param options - see {@link RedisStoresOptions}
   * @throws StoreUnavailableError when Redis cannot be reached in time, refuses the
   *   connection or the credentials (NOAUTH, WRONGPASS), or may evict keys while
   *   `allowEviction` is not set; the message says why and what to do
   */
  static async connect(url: string, options: RedisStoresOptions = {}): Promise<RedisFiberStores> {
    const where = redactRedisUrl(url);
    // Loaded here, not at import: `@redis/client` is an optional peer dependency.
    const { createClient } = await importOptional("@redis/client", "RedisFiberStores", () => import("@redis/client"));
    const client = makeClient(createClient, url, options);
    const stores = new RedisFiberStores(client, options);
    const limit = options.connectTimeoutMs ?? 5000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onError: ((error: Error) => void) | undefined;
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`cannot reach Redis at ${where} within ${limit} ms`)), limit);
      // node-redis retries forever; an error that no retry can cure ends the start at once.
      onError = (error) => {
        const hopeless = hopelessStartReason(error, where);
        if (hopeless !== undefined) reject(new StoreUnavailableError(hopeless, { cause: error }));
      };
      client.on("error", onError);
    });
    const start = async () => {
      await client.connect();
      await stores.#checking;
      if (!stores.#checked) {
        const cause = stores.#checkError;
        throw new StoreUnavailableError(hopelessStartReason(cause, where) ?? `Redis at ${where} did not pass the start check: ${(cause as Error)?.message ?? cause}`, { cause });
      }
      await stores.#checkEvictionPolicy(where, options.allowEviction ?? false);
    };
    const started = start();
    // The loser of the race may reject later; it is handled here, not left unhandled.
    started.catch(() => {});
    failed.catch(() => {});
    try {
      await Promise.race([started, failed]);
    } catch (error) {
      clearInterval(stores.#watch);
      client.destroy();
      throw error instanceof StoreUnavailableError ? error : new StoreUnavailableError(hopelessStartReason(error, where) ?? `cannot connect to Redis at ${where}: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
      client.off("error", onError!);
    }
    return stores;
  }

  /**
   * Refuses a Redis that may evict keys unless `allowEviction`: the nonce records, with
   * the shortest TTLs, would be the first to go (`volatile-ttl`, a cache sharing Redis).
   */
  async #checkEvictionPolicy(where: string, allowEviction: boolean): Promise<void> {
    const found = await readEvictionPolicy({ sendCommand: (args) => this.#bounded("read maxmemory-policy", this.#client.sendCommand(args)) });
    const verdict = evictionVerdict(where, found, allowEviction, this.#evictedKeys !== undefined);
    if (verdict.refuse !== undefined) throw new StoreUnavailableError(verdict.refuse);
    if (verdict.notice !== undefined) this.#event(verdict.notice);
    this.#mayEvict = found.policy !== SAFE_EVICTION_POLICY;
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
      throw new KeyFormatError(`the shared RSA key in Redis (${slot}) ${sharedKeyRefusal(isSealedAtRest(stored), this.#storageKey !== undefined)}`);
    }
  }

  #key(name: string): string {
    return this.#prefix + name;
  }

  /** Runs one command once Redis is reachable and checked, or fails fast. */
  async #run<T>(what: string, command: (client: Client) => Promise<T>): Promise<T> {
    if (!this.#client.isReady) throw new StoreUnavailableError(`Redis is unreachable (could not ${what})`);
    try {
      if (!this.#checked) {
        // Check again at once rather than at the next tick of the timer.
        await this.#bounded("check the epoch marker", this.#checking ?? this.#startCheck(false));
        if (!this.#checked) throw new StoreUnavailableError(`Redis could not be checked for a data loss (${(this.#checkError as Error)?.message ?? this.#checkError}); could not ${what}`);
      }
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

  /** Starts a check; {@link #checking} holds it until it ends. */
  #startCheck(reconnected: boolean): Promise<void> {
    const check = this.#synchronise(reconnected).finally(() => {
      if (this.#checking === check) this.#checking = undefined;
    });
    this.#checking = check;
    return check;
  }

  /** Nonces minted before now are refused from now on (503): their records may be gone. */
  #raiseFloor(reason: string): void {
    this.#nonceFloorMs = this.#clock();
    this.#floorReason = reason;
  }

  /**
   * On every (re)connection, and every {@link EPOCH_CHECK_MS} while connected: reads or
   * creates the epoch marker and reads `evicted_keys`. A new epoch means Redis lost its
   * data (or is new), a rise of `evicted_keys` that keys were evicted: every nonce minted
   * before now may have lost its record, so they are refused from now on; the RSA key is
   * re-published if it is missing. Never rejects. A check that fails (Redis slow or
   * silent) moves no floor: it marks the store unchecked, and commands answer 503 until a
   * check passes (an honest nonce is never refused as a replay for Redis being slow).
   */
  async #synchronise(reconnected: boolean): Promise<void> {
    try {
      const c = this.#client;
      const fresh = toHex(randomBytes(16));
      const created = (await this.#bounded("check the epoch marker", c.set(this.#key("epoch"), fresh, { condition: "NX" }))) === "OK";
      const epoch = created ? fresh : ((await this.#bounded("read the epoch marker", c.get(this.#key("epoch")))) ?? fresh);
      const evicted = await readEvictedKeys({ sendCommand: (args) => this.#bounded("read INFO stats", c.sendCommand(args)) });
      const lost = created || (this.#epoch !== undefined && epoch !== this.#epoch);
      if (lost) {
        this.#raiseFloor("Redis lost its data");
        if (this.#epoch !== undefined) this.#event("Redis lost its data (restarted empty?): refusing nonces minted before now; validators re-handshake");
      } else if (reconnected) {
        this.#event("Redis is back");
      }
      this.#observeEvictions(evicted);
      this.#epoch = epoch;
      if (!this.#checked && this.#checkError !== undefined) this.#event("Redis answers again; checks pass");
      this.#checked = true;
      this.#checkError = undefined;
    } catch (error) {
      if (this.#checked || this.#checkError === undefined) this.#event(`could not check Redis for a data loss (${(error as Error)?.message ?? error}); answering 503 until a check passes`);
      this.#checked = false;
      this.#checkError = error;
      return;
    }
    await this.#republishRSA().catch(() => {}); // tried again at the next check
  }

  /** Takes in a reading of `evicted_keys` (replies arrive in command order on the one connection). */
  #observeEvictions(evicted: number | undefined): void {
    if (evicted !== undefined && this.#evictedKeys !== undefined && evicted > this.#evictedKeys) this.#evictionsSeen(evicted - this.#evictedKeys);
    this.#evictedKeys = evicted;
  }

  /** Evicted keys may have been nonce records: a data loss. */
  #evictionsSeen(count: number): void {
    this.#raiseFloor("Redis evicted keys");
    this.#evictionLog.add(count);
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

  async #hasNonce(nonce: string): Promise<boolean> {
    const exists = await this.#run("look up a nonce", (c) => c.exists(this.#key(`nonce:${nonce}`)));
    if (exists > 0 || nonceTimestampMs(nonce) === undefined) return true;
    refuseBeforeFloor(nonce, this.#nonceFloorMs, this.#floorReason);
    return false;
  }

  async #addNonce(nonce: string, ttlMs: number): Promise<boolean> {
    if (nonceTimestampMs(nonce) === undefined) return false;
    refuseBeforeFloor(nonce, this.#nonceFloorMs, this.#floorReason);
    const key = this.#key(`nonce:${nonce}`);
    const set = (c: Client) => c.set(key, "1", { condition: "NX", expiration: { type: "PX", value: Math.max(1, Math.ceil(ttlMs)) } });
    if (!this.#mayEvict) return (await this.#run("record a nonce", set)) === "OK";
    // Pipelined after the SET: any eviction up to it (the replayed nonce's record, say) shows
    // in this reading, so a replay cannot slip in between two periodic checks.
    const [reply, info] = await this.#run("record a nonce", (c) => Promise.all([set(c), c.sendCommand(["INFO", "stats"])]));
    this.#observeEvictions(parseEvictedKeys(String(info)));
    refuseBeforeFloor(nonce, this.#nonceFloorMs, this.#floorReason);
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
