/**
 * The options of `RedisFiberStores` (`poorman-handshake/node`), in a module of their own
 * to keep the stores' module about the stores.
 *
 * @module
 */
import type { StorageKey } from "./storage-key.js";

/** Default prefix of every Redis key the stores use. */
export const DEFAULT_REDIS_PREFIX = "pmh:fiber:";

/** Options of `RedisFiberStores.connect`. */
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
  /**
   * Start even though Redis may evict keys (`maxmemory-policy` other than `noeviction`, or
   * unreadable): every rise of `evicted_keys` then counts as a data loss (nonces minted
   * before it are refused, 503). False by default: `RedisFiberStores.connect` refuses
   * such a Redis, because an evicted nonce record lets its replay through.
   */
  allowEviction?: boolean | undefined;
  /** Receives one line per state change (offline, back, data lost, key published). */
  onEvent?: ((message: string) => void) | undefined;
  /** Current time in milliseconds; `Date.now` by default. */
  clock?: (() => number) | undefined;
}
