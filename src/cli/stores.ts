/**
 * Where `pmh serve` keeps nonces, symmetric keys and its RSA key: in memory (default),
 * in Redis shared by several instances (`--redis`), or keys in a file (`--store`).
 *
 * @module
 */
import { Option, type Command } from "commander";
import type { SymmetricKeyStore } from "../fiber/keystore.js";
import type { NonceStore } from "../fiber/nonce.js";
import { FileKeyStore } from "../fiber/node/stores/file-keystore.js";
import { createRSAKey, loadOrCreateRSAKey } from "../rsa/node/keyfile.js";
import { DEFAULT_REDIS_PREFIX, RedisFiberStores } from "../fiber/node/stores/redis.js";
import { StorageKey } from "../fiber/node/stores/storage-key.js";
import type { WarningHandler } from "../common/warnings.js";
import { messageOf, UsageError } from "./common.js";

/** The store options of `pmh serve`. */
export interface StoreFlags {
  redis?: string;
  redisPrefix: string;
  allowEviction?: boolean;
  store?: string;
  storageKey?: string;
  rsaKey?: string;
  /** The protocol served: a signed-only miner uses no RSA key, so none is made or shared. */
  protocol?: "signed" | "encrypted" | "both";
}

/** What the server is given, and how to close it. */
export interface OpenedStores {
  nonceStore?: NonceStore;
  keyStore?: SymmetricKeyStore;
  rsaPrivateKey?: string;
  /** One line describing where state lives, for the startup message. */
  description: string;
  close(): Promise<void>;
}

/** Adds the store options to `pmh serve`. */
export function storeOptions(command: Command): Command {
  return command
    .addOption(new Option("--redis <url>", "share nonces, keys and the RSA key with other instances through Redis (redis://host:6379)").env("PMH_REDIS_URL"))
    .option("--redis-prefix <prefix>", "prefix of the Redis keys; instances acting as one miner share it", DEFAULT_REDIS_PREFIX)
    .option("--allow-eviction", "start even if Redis may evict keys (maxmemory-policy not noeviction); each eviction then refuses older nonces (503)")
    .option("--store <file>", "keep exchanged keys in this file across restarts (single instance; needs a storage key)")
    .addOption(new Option("--storage-key <hex>", "64 hex digits (openssl rand -hex 32): seal keys at rest in Redis or --store").env("PMH_STORAGE_KEY"))
    .option("--rsa-key <file>", "keep the RSA key in this file across restarts (created, mode 0600, if missing; a key it cannot use is refused, never replaced)");
}

/**
 * Opens what the flags ask for; in-memory stores (the server's defaults) otherwise.
 * `onWarning` hears of an `--rsa-key` file others can read, or one replaced (it held no key).
 */
export async function openStores(flags: StoreFlags, log: (line: string) => void, onWarning?: WarningHandler): Promise<OpenedStores> {
  if (flags.redis !== undefined && flags.store !== undefined) throw new UsageError("--redis and --store exclude each other: Redis already keeps the keys");
  if (flags.allowEviction === true && flags.redis === undefined) throw new UsageError("--allow-eviction applies to --redis only");
  if (flags.store !== undefined && flags.storageKey === undefined) throw new UsageError("--store needs --storage-key (or PMH_STORAGE_KEY): keys are sealed at rest; make one with: openssl rand -hex 32");
  const storageKey = flags.storageKey === undefined ? undefined : await StorageKey.fromHex(flags.storageKey).catch((error) => Promise.reject(new UsageError(`--storage-key: ${messageOf(error)}`)));
  const makeRSAKey = async () => (flags.rsaKey === undefined ? (await createRSAKey()).privateKey : loadOrCreateRSAKey(flags.rsaKey, undefined, onWarning === undefined ? undefined : { onWarning }));
  const sealed = storageKey === undefined ? "in the clear (--storage-key seals them)" : "sealed under the storage key";
  if (flags.redis !== undefined) {
    let protocol: string;
    try {
      protocol = new URL(flags.redis).protocol;
    } catch {
      throw new UsageError("--redis must be a URL such as redis://127.0.0.1:6379");
    }
    if (protocol !== "redis:" && protocol !== "rediss:") throw new UsageError(`--redis must be a redis:// or rediss:// URL, got ${protocol}`);
    const redis = await RedisFiberStores.connect(flags.redis, { prefix: flags.redisPrefix, allowEviction: flags.allowEviction === true, ...(storageKey ? { storageKey } : {}), onEvent: (line) => log(line) });
    try {
      const rsaPrivateKey = flags.protocol === "signed" ? undefined : await redis.sharedRSAKey(makeRSAKey);
      return { nonceStore: redis.nonceStore, keyStore: redis.keyStore, ...(rsaPrivateKey === undefined ? {} : { rsaPrivateKey }), description: `Redis stores, prefix ${flags.redisPrefix}, keys ${sealed}`, close: () => redis.close() };
    } catch (error) {
      await redis.close();
      throw error;
    }
  }
  const rsaPrivateKey = flags.rsaKey === undefined ? undefined : await makeRSAKey();
  const base = rsaPrivateKey === undefined ? {} : { rsaPrivateKey };
  if (flags.store !== undefined) {
    const keyStore = await FileKeyStore.open(flags.store, { storageKey: storageKey! });
    return { ...base, keyStore, description: `keys in ${flags.store} (${keyStore.size} loaded), ${sealed}`, close: () => keyStore.close() };
  }
  return { ...base, description: "in-memory stores", close: async () => {} };
}
