/**
 * sr25519 signature verification of Fiber requests on worker threads, so a server's
 * main thread parses and answers other requests meanwhile. The server calls it where it
 * would verify on its own thread (after the header and nonce checks, before any RSA work),
 * so nothing about the check order changes; when every worker is busy with
 * `maxQueued` verifications, or a worker has died, verification happens on the calling
 * thread, which slows that server down as before instead of queueing without bound.
 *
 * @module
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { aint } from "../../common/bytes.js";
import { InvalidArgumentError } from "../../common/errors.js";
import { Keypair } from "../keypair.js";
import { ss58Encode } from "../ss58.js";
import type { SignatureVerifier } from "../verify.js";
import type { VerifyAnswers, VerifyJob } from "./verify-worker.js";

/** Options of {@link SignatureVerifyPool.create} and {@link SignatureVerifyPool.start}. */
export interface SignatureVerifyPoolOptions {
  /** Worker threads; 1 by default (at most the machine's parallelism, 1 to 64). */
  threads?: number | undefined;
  /** Verifications waiting on the workers at most; beyond, they run on the calling thread. 256 by default. */
  maxQueued?: number | undefined;
  /**
   * When no verification waits on a worker, verify the first call of each turn of the
   * event loop on the calling thread, sparing an idle server the round trip to a worker
   * (true by default). False: every call goes to a worker while one is alive.
   */
  inlineWhenIdle?: boolean | undefined;
}

interface Pending {
  resolve: (ok: boolean | PromiseLike<boolean>) => void;
  job: VerifyJob;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  alive: boolean;
  /** It has answered its warm-up (the WebAssembly is loaded); only then does it take calls. */
  ready: boolean;
  /** Jobs asked in this turn of the event loop, posted together by {@link SignatureVerifyPool.#flush}. */
  outbox: VerifyJob[];
}

/** Most jobs in one message to a worker (about 10 ms of verifying). */
const MAX_BATCH = 32;

/** Worker file next to this module: `.js` when built, `.ts` when run from source (tsx). */
const WORKER_URL = new URL(`./verify-worker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);

/**
 * A pool of worker threads verifying Fiber request signatures (sr25519, as
 * `Keypair.verify`). Give its {@link SignatureVerifyPool.verify} to
 * `FiberServer.create({ verifySignature })`; {@link SignatureVerifyPool.close} it with
 * the server. Idle workers do not keep the process alive; a worker with a verification
 * to answer does.
 *
 * @example
 * ```ts
 * const pool = await SignatureVerifyPool.create();
 * const server = await FiberServer.create({ keypair, verifySignature: pool.verify });
 * ```
 */
export class SignatureVerifyPool {
  readonly #workers: PoolWorker[];
  readonly #maxQueued: number;
  readonly #inline: boolean;
  /** A call of this turn of the event loop was verified on the calling thread. */
  #inlineThisTurn = false;
  #nextId = 0;
  #closed = false;
  #ready: Promise<void> = Promise.resolve();

  private constructor(workers: PoolWorker[], maxQueued: number, inline: boolean) {
    this.#workers = workers;
    this.#maxQueued = maxQueued;
    this.#inline = inline;
  }

  /**
   * Starts the workers and waits until each has loaded the sr25519 code.
   * @param options - see {@link SignatureVerifyPoolOptions}
   */
  static async create(options: SignatureVerifyPoolOptions = {}): Promise<SignatureVerifyPool> {
    const pool = SignatureVerifyPool.start(options);
    await pool.ready;
    return pool;
  }

  /**
   * Starts the workers and returns at once: until a worker has loaded the sr25519 code
   * (see {@link SignatureVerifyPool.ready}), its share of the calls is verified on the
   * calling thread, so a server can take requests while its workers start.
   * @param options - see {@link SignatureVerifyPoolOptions}
   */
  static start(options: SignatureVerifyPoolOptions = {}): SignatureVerifyPool {
    const threads = aint(options.threads ?? 1, "options.threads", 1, Math.max(1, Math.min(64, availableParallelism())));
    const maxQueued = aint(options.maxQueued ?? 256, "options.maxQueued", 1);
    const inline = options.inlineWhenIdle ?? true;
    if (typeof inline !== "boolean") throw new InvalidArgumentError("options.inlineWhenIdle must be a boolean");
    const workers = Array.from({ length: threads }, (): PoolWorker => ({ worker: new Worker(WORKER_URL), pending: new Map(), alive: true, ready: false, outbox: [] }));
    const pool = new SignatureVerifyPool(workers, maxQueued, inline);
    for (const w of workers) pool.#watch(w);
    // A first verification in each worker loads and compiles the WebAssembly before it takes calls.
    const someAddress = ss58Encode(new Uint8Array(32).fill(1));
    // Never rejects (a worker that died answers its warm-up here, and even a failure then
    // only means the calling thread verifies): a server that starts the pool without
    // awaiting it must not get an unhandled rejection.
    pool.#ready = Promise.all(workers.map((w) => pool.#send(w, "warm-up", "00".repeat(64), someAddress).then(() => void (w.ready = true), () => undefined))).then(() => undefined);
    return pool;
  }

  /** Settles once every worker has loaded the sr25519 code (or died, its calls then verified on the calling thread). */
  get ready(): Promise<void> {
    return this.#ready;
  }

  #watch(w: PoolWorker): void {
    w.worker.on("message", (answers: VerifyAnswers) => {
      for (let i = 0; i + 1 < answers.length; i += 2) {
        const pending = w.pending.get(answers[i]!);
        if (pending === undefined) continue;
        w.pending.delete(answers[i]!);
        pending.resolve(answers[i + 1] === 1);
      }
      if (w.pending.size === 0) w.worker.unref();
    });
    const fail = () => {
      if (!w.alive) return;
      w.alive = false;
      // What the worker did not answer is verified here instead.
      for (const { resolve, job } of w.pending.values()) resolve(Keypair.verify(job.message, job.signature, job.address));
      w.pending.clear();
      w.outbox = [];
    };
    w.worker.once("error", fail).once("exit", fail);
  }

  #send(w: PoolWorker, message: string, signature: string, address: string): Promise<boolean> {
    const job: VerifyJob = { id: this.#nextId++, message, signature, address };
    return new Promise<boolean>((resolve) => {
      w.pending.set(job.id, { resolve, job });
      // An idle worker does not keep the process alive; one with a verification to answer
      // does, or a process with nothing else to wait on would exit with the call unsettled.
      if (w.pending.size === 1) w.worker.ref();
      // One message each way per turn of the event loop, not per request: each
      // postMessage costs tens of µs on both threads, which at a few hundred µs per
      // request was a third of what the pool saves. setImmediate runs after this
      // turn's I/O callbacks, so the jobs of every request read in it go together.
      const queuedNow = w.outbox.push(job);
      if (queuedNow === 1) setImmediate(() => this.#flush(w));
      // A worker answers a batch at once: a cap bounds how long its first job waits.
      else if (queuedNow >= MAX_BATCH) this.#flush(w);
    });
  }

  #flush(w: PoolWorker): void {
    const jobs = w.outbox;
    w.outbox = [];
    // A worker that died meanwhile has had its pending jobs verified here (#watch).
    if (w.alive && jobs.length > 0) w.worker.postMessage(jobs);
  }

  /** Verifications waiting on the workers right now. */
  get queued(): number {
    return this.#workers.reduce((n, w) => n + w.pending.size, 0);
  }

  /**
   * Verifies as `Keypair.verify(message, signature, ss58Address)`, on the least busy ready
   * worker; on this thread instead for the first call of a turn when nothing waits on a
   * worker (`inlineWhenIdle`), and when the pool is full, closed, still warming up or its
   * workers died. Bound.
   */
  readonly verify: SignatureVerifier = (message, signature, ss58Address) => {
    let best: PoolWorker | undefined;
    // An idle pool verifies the first call of a turn here: with nothing else in flight, the
    // round trip to a worker only adds latency (a quarter fewer requests a second at
    // concurrency 1 without this). The other calls of that turn, and every call while one
    // waits on a worker, go to the workers, and the event loop keeps parsing and answering.
    if (this.#inline && !this.#inlineThisTurn && this.queued === 0 && !this.#closed) {
      this.#inlineThisTurn = true;
      setImmediate(() => (this.#inlineThisTurn = false));
      return Keypair.verify(message, signature, ss58Address);
    }
    if (!this.#closed && this.queued < this.#maxQueued) {
      for (const w of this.#workers) if (w.alive && w.ready && (best === undefined || w.pending.size < best.pending.size)) best = w;
    }
    if (best === undefined || typeof message !== "string" || typeof signature !== "string" || typeof ss58Address !== "string") return Keypair.verify(message, signature, ss58Address);
    return this.#send(best, message, signature, ss58Address);
  };

  /** Stops the workers; verifications still waiting finish on this thread. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
  }
}
