/**
 * The connection of `RedisFiberStores` to Redis: its options, the node-redis client,
 * and what the stores check about the Redis they are given: the eviction policy
 * (an evicted nonce record lets a replay through), the `evicted_keys` counter, and the
 * errors that make a start hopeless (refused connection, wrong or missing credentials),
 * each turned into one line saying why and what to do.
 *
 * @module
 */
import type { createClient as CreateClient } from "@redis/client";
import type { StorageKey } from "./storage-key.js";

/**
 * A node-redis client that never queues commands while offline and bounds each one.
 * @param createClient - `@redis/client`'s, loaded on first use (an optional peer dependency)
 */
export function makeClient(createClient: typeof CreateClient, url: string, options: { commandTimeoutMs?: number | undefined; maxReconnectDelayMs?: number | undefined }) {
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

/** The client {@link makeClient} makes. */
export type RedisClient = ReturnType<typeof makeClient>;

/**
 * A Redis URL without its password, for messages.
 * @param url - a redis:// or rediss:// URL
 */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable Redis URL)";
  }
}

/** The one command these helpers need from a node-redis client. */
export interface RawRedis {
  sendCommand(args: string[]): Promise<unknown>;
}

/** The eviction policy under which nonce records can never be evicted. */
export const SAFE_EVICTION_POLICY = "noeviction";

/** What {@link readEvictionPolicy} found. */
export interface EvictionPolicy {
  /** `maxmemory-policy`, e.g. `noeviction`, `allkeys-lru`; undefined when it cannot be read. */
  policy?: string | undefined;
  /** Where it was read (`CONFIG GET` or `INFO memory`), or why it could not be. */
  source: string;
}

function reason(error: unknown): string {
  return (error as Error)?.message?.split("\n")[0] || String(error);
}

/**
 * Reads `maxmemory-policy` with `CONFIG GET`, or from `INFO memory` when CONFIG is
 * disabled or renamed (as on several managed services).
 */
export async function readEvictionPolicy(redis: RawRedis): Promise<EvictionPolicy> {
  let configError: string;
  try {
    const reply = await redis.sendCommand(["CONFIG", "GET", "maxmemory-policy"]);
    const value = Array.isArray(reply) ? reply[1] : (reply as Record<string, unknown> | null)?.["maxmemory-policy"];
    if (typeof value === "string") return { policy: value, source: "CONFIG GET" };
    configError = "no value";
  } catch (error) {
    configError = reason(error);
  }
  try {
    const info = String(await redis.sendCommand(["INFO", "memory"]));
    const match = /^maxmemory_policy:(\S+)/m.exec(info);
    if (match !== null) return { policy: match[1]!, source: "INFO memory" };
    return { source: `CONFIG GET failed (${configError}) and INFO memory has no maxmemory_policy` };
  } catch (error) {
    return { source: `CONFIG GET failed (${configError}) and INFO failed (${reason(error)})` };
  }
}

/**
 * Whether the stores may start on a Redis with this eviction policy: a refusal (why and
 * how to fix), or a notice to log when eviction is allowed and watched.
 * @param where - the redacted Redis URL
 * @param found - what {@link readEvictionPolicy} found
 * @param allowEviction - the `allowEviction` option (`--allow-eviction`)
 * @param canWatch - true when `evicted_keys` can be read
 */
export function evictionVerdict(where: string, found: EvictionPolicy, allowEviction: boolean, canWatch: boolean): { refuse?: string; notice?: string } {
  if (found.policy === SAFE_EVICTION_POLICY) return {};
  const what = found.policy === undefined ? `its maxmemory-policy cannot be read: ${found.source}` : `its maxmemory-policy is ${found.policy} (${found.source})`;
  if (!allowEviction) {
    return {
      refuse: `Redis at ${where} may evict keys, ${what}: an evicted nonce record lets its replay through; set maxmemory-policy noeviction (redis-cli CONFIG SET maxmemory-policy noeviction, and in redis.conf) or allow eviction (pmh serve --allow-eviction, allowEviction: true) to refuse nonces older than each eviction`,
    };
  }
  if (!canWatch) return { refuse: `Redis at ${where} may evict keys (${what}) and INFO stats cannot be read to notice evictions: set maxmemory-policy noeviction or allow INFO` };
  return { notice: `Redis may evict keys (${what}): each eviction refuses nonces minted before it (503, validators retry)` };
}

/**
 * The `evicted_keys` counter in the text of `INFO stats`, or undefined.
 * @param info - the reply of `INFO stats`
 */
export function parseEvictedKeys(info: string): number | undefined {
  const match = /^evicted_keys:(\d+)/m.exec(info);
  return match === null ? undefined : Number(match[1]);
}

/** Reads `evicted_keys` of `INFO stats`; undefined when INFO is refused or lacks it. */
export async function readEvictedKeys(redis: RawRedis): Promise<number | undefined> {
  try {
    return parseEvictedKeys(String(await redis.sendCommand(["INFO", "stats"])));
  } catch {
    return undefined;
  }
}

/** The errno code of a socket error (or of the first of an AggregateError, Happy Eyeballs). */
function errnoOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; errors?: unknown[] } | undefined;
  if (typeof e?.code === "string") return e.code;
  const inner = Array.isArray(e?.errors) ? (e.errors[0] as { code?: unknown } | undefined) : undefined;
  return typeof inner?.code === "string" ? inner.code : undefined;
}

/**
 * The one-line reason why connecting to Redis cannot succeed by retrying, or undefined
 * when the error may be transient (then the start waits for its timeout).
 * @param error - an error of the connection or of the first command
 * @param where - the redacted Redis URL
 */
export function hopelessStartReason(error: unknown, where: string): string | undefined {
  const message = reason(error);
  if (/^NOAUTH\b/.test(message)) return `Redis at ${where} requires a password (NOAUTH): give it in the URL, redis://:PASSWORD@host:port (redis://USER:PASSWORD@… with ACL users)`;
  if (/^WRONGPASS\b/.test(message)) return `Redis at ${where} refused the user name or password (WRONGPASS): check the credentials in the URL`;
  if (/without any password configured/i.test(message)) return `Redis at ${where} has no password set but the URL gives one: remove it from the URL or set requirepass`;
  if (/^NOPERM\b/.test(message)) return `Redis at ${where} denied a command to this user (${message}): grant the ACL user GET, SET, EXISTS and INFO on the key prefix`;
  if (errnoOf(error) === "ECONNREFUSED") return `Redis at ${where} refused the connection (ECONNREFUSED): is redis-server running and listening there?`;
  return undefined;
}

/**
 * Why the shared RSA key stored in Redis does not open here, and what to do.
 * @param sealed - the stored value is sealed at rest
 * @param haveStorageKey - this instance was given a storage key
 */
export function sharedKeyRefusal(sealed: boolean, haveStorageKey: boolean): string {
  if (!sealed) return "is stored in the clear while a storage key is configured: delete it or use no storage key";
  return haveStorageKey ? "does not open with this storage key (another key, or altered)" : "is sealed: give the storage key the other instances use";
}

/** Says how many keys Redis evicted, at most once a minute (a Redis shared with a cache evicts all the time). */
export class EvictionLog {
  readonly #clock: () => number;
  readonly #event: (line: string) => void;
  #unreported = 0;
  #last = Number.NEGATIVE_INFINITY;

  /**
   * @param clock - current time in milliseconds
   * @param event - receives the lines
   */
  constructor(clock: () => number, event: (line: string) => void) {
    this.#clock = clock;
    this.#event = event;
  }

  /** Counts `count` more evictions, and reports them unless a report went out within the minute. */
  add(count: number): void {
    this.#unreported += count;
    const now = this.#clock();
    if (now - this.#last < 60_000) return;
    this.#event(`Redis evicted ${this.#unreported} key(s): refusing nonces minted before now (503, validators retry)`);
    this.#unreported = 0;
    this.#last = now;
  }
}

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
