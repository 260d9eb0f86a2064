/**
 * Fiber's nonce and symmetric-key stores shared by the processes of a `node:cluster`,
 * through the primary: the primary holds the stores ({@link ClusterStoreHost}) and each
 * worker asks it over the cluster's IPC channel ({@link ClusterFiberStores}), so N workers
 * behave exactly as one process: a nonce recorded by one is refused by all (the primary's
 * check-and-record is atomic), a key exchanged through one decrypts requests on all, and a
 * worker that crashes loses nothing (the records live in the primary).
 *
 * A call the primary does not answer in time, or that cannot be sent (the channel is
 * closed, or backed up past what Node deems wise to queue), fails with {@link StoreUnavailableError} (servers answer 503): nothing is
 * accepted that could not be recorded. A call made while a connection already waits for
 * {@link ClusterFiberStoresOptions.maxCallsInFlight} answers is refused at once the same
 * way: a primary that is stopped or cannot keep up costs each worker at most that many
 * waiting requests, not one per request it receives. The errors of the primary's stores cross the
 * channel as themselves ({@link StoreFullError}: 429, {@link NonceUnverifiableError} and
 * {@link StoreUnavailableError}: 503); any other is a {@link StoreUnavailableError}.
 *
 * Messages are plain JSON (the cluster's default serialization); keys cross the channel
 * as base64 text, which cannot be zeroed afterwards (as with any copy in a JavaScript
 * string): the channel is a pipe between processes of the same user.
 *
 * @module
 */
import cluster, { type Worker } from "node:cluster";
import { randomUUID } from "node:crypto";
import { aint } from "../../../common/bytes.js";
import { InvalidArgumentError, NonceUnverifiableError, StoreFullError, StoreUnavailableError } from "../../../common/errors.js";
import type { SymmetricKeyStore } from "../../keystore.js";
import type { NonceStore } from "../../nonce.js";

/** Tags every message of the stores' protocol, so that an application's own messages pass by. */
const TAG = "poorman-handshake:cluster-stores";
/** Default longest wait for the primary's answer, in milliseconds. */
export const DEFAULT_CLUSTER_STORE_TIMEOUT_MS = 2000;
/**
 * Default bound of calls one {@link ClusterFiberStores} connection waits on at a time;
 * the call beyond it is refused at once ({@link StoreUnavailableError}, 503). A request
 * makes its store calls one after another, so this is also the number of requests a
 * worker holds while its primary does not answer. A primary that keeps up answers in
 * well under a millisecond, so honest load stays far below it.
 */
export const DEFAULT_CLUSTER_STORE_MAX_CALLS_IN_FLIGHT = 256;

type Op = "nonce.has" | "nonce.add" | "key.get" | "key.set" | "shared";
/** How an error of the primary's stores crosses the channel. */
type ErrorKind = "full" | "unverifiable" | "unavailable";

interface Call {
  [TAG]: "call";
  /** The worker's connection (a process may hold several), echoed in the reply. */
  channel: string;
  id: number;
  op: Op;
  args: unknown[];
}

interface Reply {
  [TAG]: "reply";
  channel: unknown;
  id: number;
  value?: unknown;
  error?: { kind: ErrorKind; message: string };
}

function isTagged(message: unknown, kind: string): boolean {
  return typeof message === "object" && message !== null && (message as Record<string, unknown>)[TAG] === kind;
}

function errorKind(error: unknown): ErrorKind {
  if (error instanceof StoreFullError) return "full";
  if (error instanceof NonceUnverifiableError) return "unverifiable";
  return "unavailable";
}

function errorOf(error: { kind: ErrorKind; message: string }): Error {
  if (error.kind === "full") return new StoreFullError(error.message);
  if (error.kind === "unverifiable") return new NonceUnverifiableError(error.message);
  return new StoreUnavailableError(error.message);
}

function string(value: unknown, name: string): string {
  if (typeof value !== "string") throw new StoreUnavailableError(`cluster store call: ${name} must be a string`);
  return value;
}

function number(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new StoreUnavailableError(`cluster store call: ${name} must be a finite number`);
  return value;
}

function encodeKey(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("base64");
}

/**
 * A key of its own (stores copy keys with `slice()`, which on a Buffer would share memory,
 * here Node's shared pool); the decoding buffer is zeroed.
 */
function decodeKey(text: string): Uint8Array {
  const decoded = Buffer.from(text, "base64");
  const key = new Uint8Array(decoded);
  decoded.fill(0);
  return key;
}

/** Options of {@link ClusterStoreHost.start}. */
export interface ClusterStoreHostOptions {
  /** The nonce store every worker shares, e.g. a `MemoryNonceStore` (its floor is the primary's start). */
  nonceStore: NonceStore;
  /** The key store every worker shares, e.g. a `MemoryKeyStore` or a `FileKeyStore`. */
  keyStore: SymmetricKeyStore;
  /**
   * The RSA private key (PEM) every worker serves, handed to each as
   * {@link ClusterFiberStores.rsaPrivateKey}; workers of one miner must share it.
   */
  rsaPrivateKey?: string | undefined;
}

/**
 * The primary's side: answers the store calls of every worker of `node:cluster` with the
 * given stores, until {@link ClusterStoreHost.close}.
 *
 * @example
 * ```ts
 * import cluster from "node:cluster";
 * if (cluster.isPrimary) {
 *   const host = ClusterStoreHost.start({ nonceStore: new MemoryNonceStore(), keyStore: new MemoryKeyStore(), rsaPrivateKey: (await createRSAKey()).privateKey });
 *   for (let i = 0; i < 4; i++) cluster.fork();
 * } else {
 *   const stores = await ClusterFiberStores.connect();
 *   const server = await FiberServer.create({ keypair, nonceStore: stores.nonceStore, keyStore: stores.keyStore, rsaPrivateKey: stores.rsaPrivateKey });
 *   await serve(server.fetch, { port: 8091 });
 * }
 * ```
 */
export class ClusterStoreHost {
  readonly #nonces: NonceStore;
  readonly #keys: SymmetricKeyStore;
  readonly #rsaPrivateKey: string | undefined;
  readonly #listener = (worker: Worker, message: unknown) => {
    if (isTagged(message, "call")) void this.#answer(worker, message as Call);
  };
  #calls = 0;

  private constructor(options: ClusterStoreHostOptions) {
    if (typeof options?.nonceStore?.add !== "function" || typeof options.nonceStore.has !== "function") throw new InvalidArgumentError("options.nonceStore must be a NonceStore");
    if (typeof options.keyStore?.get !== "function" || typeof options.keyStore.set !== "function") throw new InvalidArgumentError("options.keyStore must be a SymmetricKeyStore");
    if (options.rsaPrivateKey !== undefined && typeof options.rsaPrivateKey !== "string") throw new InvalidArgumentError("options.rsaPrivateKey must be a PEM string");
    this.#nonces = options.nonceStore;
    this.#keys = options.keyStore;
    this.#rsaPrivateKey = options.rsaPrivateKey;
  }

  /**
   * Starts answering the workers' calls (in the cluster's primary).
   * @param options - see {@link ClusterStoreHostOptions}
   * @throws InvalidArgumentError when not called in the primary, or the stores are not stores
   */
  static start(options: ClusterStoreHostOptions): ClusterStoreHost {
    if (!cluster.isPrimary) throw new InvalidArgumentError("ClusterStoreHost.start must run in the cluster's primary");
    const host = new ClusterStoreHost(options);
    cluster.on("message", host.#listener);
    return host;
  }

  /** Store calls answered so far (all workers). */
  get calls(): number {
    return this.#calls;
  }

  /** Stops answering: workers' calls time out from then on (503). The stores are not closed. */
  close(): void {
    cluster.off("message", this.#listener);
  }

  async #answer(worker: Worker, call: Call): Promise<void> {
    const reply: Reply = { [TAG]: "reply", channel: call.channel, id: call.id };
    try {
      reply.value = await this.#run(call.op, Array.isArray(call.args) ? call.args : []);
    } catch (error) {
      reply.error = { kind: errorKind(error), message: error instanceof Error ? error.message : String(error) };
    }
    this.#calls++;
    // A worker that died meanwhile gets nothing; its caller is gone too.
    if (worker.isConnected()) worker.send(reply, undefined, () => {});
  }

  async #run(op: Op, args: unknown[]): Promise<unknown> {
    switch (op) {
      case "nonce.has":
        return this.#nonces.has(string(args[0], "nonce"));
      case "nonce.add":
        return this.#nonces.add(string(args[0], "nonce"), number(args[1], "ttlMs"));
      case "key.get": {
        const key = await this.#keys.get(string(args[0], "hotkey"), string(args[1], "uuid"));
        if (key === undefined) return null;
        const text = encodeKey(key);
        key.fill(0);
        return text;
      }
      case "key.set": {
        const key = decodeKey(string(args[2], "key"));
        try {
          await this.#keys.set(string(args[0], "hotkey"), string(args[1], "uuid"), key, number(args[3], "ttlMs"));
        } finally {
          key.fill(0);
        }
        return null;
      }
      case "shared":
        return { rsaPrivateKey: this.#rsaPrivateKey ?? null };
      default:
        throw new StoreUnavailableError(`cluster store call: unknown operation ${JSON.stringify(op)}`);
    }
  }
}

/** Options of {@link ClusterFiberStores.connect}. */
export interface ClusterFiberStoresOptions {
  /** Longest wait for the primary's answer to one call before answering 503; 2000 ms by default. */
  timeoutMs?: number | undefined;
  /**
   * Most calls waiting for the primary's answer at a time; a call beyond it fails at once
   * with {@link StoreUnavailableError} (503). 256 by default
   * ({@link DEFAULT_CLUSTER_STORE_MAX_CALLS_IN_FLIGHT}).
   */
  maxCallsInFlight?: number | undefined;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The worker's side: a {@link NonceStore} and a {@link SymmetricKeyStore} whose every call
 * is answered by the primary's {@link ClusterStoreHost}, and the RSA key it shares.
 */
export class ClusterFiberStores {
  /** Replay protection shared by every worker (kept by the primary). */
  readonly nonceStore: NonceStore;
  /** Exchanged keys shared by every worker (kept by the primary). */
  readonly keyStore: SymmetricKeyStore;
  /** The RSA private key (PEM) the primary shares, if it shares one. */
  readonly rsaPrivateKey: string | undefined;
  readonly #channel: WorkerChannel;

  private constructor(channel: WorkerChannel, rsaPrivateKey: string | undefined) {
    this.#channel = channel;
    this.rsaPrivateKey = rsaPrivateKey;
    const call = (op: Op, ...args: unknown[]) => channel.call(op, args);
    this.nonceStore = {
      has: async (nonce) => (await call("nonce.has", nonce)) === true,
      add: async (nonce, ttlMs) => (await call("nonce.add", nonce, ttlMs)) === true,
    };
    this.keyStore = {
      get: async (hotkey, uuid) => {
        const text = await call("key.get", hotkey, uuid);
        if (typeof text !== "string") return undefined;
        return decodeKey(text);
      },
      set: async (hotkey, uuid, key, ttlMs) => {
        await call("key.set", hotkey, uuid, encodeKey(key), ttlMs);
      },
    };
  }

  /**
   * Connects to the primary's {@link ClusterStoreHost} (in a cluster worker) and fetches
   * what it shares.
   * @param options - see {@link ClusterFiberStoresOptions}
   * @throws InvalidArgumentError when not called in a cluster worker
   * @throws StoreUnavailableError when the primary does not answer
   */
  static async connect(options: ClusterFiberStoresOptions = {}): Promise<ClusterFiberStores> {
    if (!cluster.isWorker || typeof process.send !== "function") throw new InvalidArgumentError("ClusterFiberStores.connect must run in a cluster worker");
    const channel = new WorkerChannel(aint(options.timeoutMs ?? DEFAULT_CLUSTER_STORE_TIMEOUT_MS, "options.timeoutMs", 1), aint(options.maxCallsInFlight ?? DEFAULT_CLUSTER_STORE_MAX_CALLS_IN_FLIGHT, "options.maxCallsInFlight", 1));
    try {
      const shared = (await channel.call("shared", [])) as { rsaPrivateKey?: unknown } | null;
      const rsa = shared?.rsaPrivateKey;
      return new ClusterFiberStores(channel, typeof rsa === "string" ? rsa : undefined);
    } catch (error) {
      channel.close();
      throw error;
    }
  }

  /** Stops listening for answers; calls made afterwards, or still waiting, fail with {@link StoreUnavailableError}. */
  close(): void {
    this.#channel.close();
  }
}

/** Calls over the worker's IPC channel, each answered by id or failed at its deadline. */
class WorkerChannel {
  readonly #timeoutMs: number;
  readonly #maxInFlight: number;
  readonly #pending = new Map<number, Pending>();
  /** Tells this connection's replies from those of another one in the same process (ids count from 1 in each). */
  readonly #channel = randomUUID();
  #next = 1;
  #closed = false;
  /**
   * Set while the channel's backlog is past what Node deems wise to queue (`process.send`
   * returned false): calls are refused until it drains, so the messages of timed-out calls
   * (which stay queued) never pile up without bound. Node counts only its own queue, which
   * fills after the kernel's socket buffer (about 280 calls on Linux), so this takes over
   * a thousand unread calls: the bound of calls in flight is what refuses first.
   */
  #backedUp = false;
  readonly #onMessage = (message: unknown) => {
    if (!isTagged(message, "reply")) return;
    const reply = message as Reply;
    if (reply.channel !== this.#channel) return; // another connection's call
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return; // timed out already: the caller answered 503
    this.#settle(reply.id, pending);
    if (reply.error !== undefined) pending.reject(errorOf(reply.error));
    else pending.resolve(reply.value);
  };
  readonly #onDisconnect = () => this.#failAll("the cluster primary went away (IPC channel closed)");

  constructor(timeoutMs: number, maxInFlight: number) {
    this.#timeoutMs = timeoutMs;
    this.#maxInFlight = maxInFlight;
    process.on("message", this.#onMessage);
    process.on("disconnect", this.#onDisconnect);
  }

  call(op: Op, args: unknown[]): Promise<unknown> {
    if (this.#closed || !process.connected) return Promise.reject(new StoreUnavailableError("the cluster primary cannot be reached (IPC channel closed); nothing was recorded"));
    if (this.#backedUp) return Promise.reject(new StoreUnavailableError("the cluster primary is not keeping up (its IPC channel is backed up); nothing was recorded"));
    if (this.#pending.size >= this.#maxInFlight) return Promise.reject(new StoreUnavailableError(`the cluster primary is not keeping up (${this.#maxInFlight} calls wait for its answer); nothing was recorded`));
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new StoreUnavailableError(`the cluster primary did not answer ${op} within ${this.#timeoutMs} ms; nothing is accepted that it may not have recorded`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      const fail = (error: unknown) => {
        const pending = this.#pending.get(id);
        if (pending === undefined) return;
        this.#settle(id, pending);
        pending.reject(new StoreUnavailableError(`could not ask the cluster primary (${op}): ${error instanceof Error ? error.message : String(error)}`));
      };
      let last = false; // this message took the backlog past the threshold
      try {
        const queued = process.send!({ [TAG]: "call", channel: this.#channel, id, op, args } satisfies Call, undefined, {}, (error) => {
          if (last) this.#backedUp = false; // written: what was queued before it is too
          if (error) fail(error);
        });
        if (queued === false) this.#backedUp = last = true;
      } catch (error) {
        fail(error);
      }
    });
  }

  close(): void {
    this.#closed = true;
    process.off("message", this.#onMessage);
    process.off("disconnect", this.#onDisconnect);
    this.#failAll("the cluster stores were closed");
  }

  #settle(id: number, pending: Pending): void {
    clearTimeout(pending.timer);
    this.#pending.delete(id);
  }

  #failAll(reason: string): void {
    for (const [id, pending] of this.#pending) {
      this.#settle(id, pending);
      pending.reject(new StoreUnavailableError(`${reason}; nothing was recorded`));
    }
  }
}
