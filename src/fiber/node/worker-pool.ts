/**
 * N `node:cluster` workers of the running script, kept at N: a worker that dies is
 * replaced (the same slot number, after a delay that grows while replacements keep dying
 * young), and {@link WorkerPool.stop} drains them (each finishes its requests in flight,
 * closes and reports how many it served) before it resolves. Connections are handed out
 * round-robin by the primary (`SCHED_RR`), on every platform.
 *
 * The worker's side is {@link drainWhenAsked} (and {@link reportStartFailure} when it
 * cannot start): a worker ignores SIGINT and SIGTERM (a terminal's Ctrl-C reaches the
 * whole process group), so the primary decides when it stops.
 *
 * @module
 */
import cluster, { type Worker } from "node:cluster";
import { aint } from "../../common/bytes.js";
import { InvalidArgumentError } from "../../common/errors.js";

const TAG = "poorman-handshake:worker-pool";
/** Most workers a {@link WorkerPool} runs. */
export const MAX_WORKERS = 64;
/** A worker that lived less than this died young: its replacement waits longer. */
const YOUNG_MS = 5000;
const FIRST_RESTART_DELAY_MS = 250;

/** Options of {@link WorkerPool.start}. */
export interface WorkerPoolOptions {
  /** Number of workers, 1 to {@link MAX_WORKERS}. */
  count: number;
  /** Receives one line per worker event (listening, exited, restarting, drained). */
  log: (line: string) => void;
  /** Extra environment of the worker in `slot` (1-based), e.g. its port. */
  env?: ((slot: number) => Record<string, string>) | undefined;
  /** Longest wait for a worker to drain before it is killed; 10 s by default. */
  drainTimeoutMs?: number | undefined;
  /** Longest delay before replacing a worker that keeps dying young; 10 s by default. */
  maxRestartDelayMs?: number | undefined;
}

/** Why a worker could not start, as it reported it. */
export class WorkerStartError extends Error {
  override name = "WorkerStartError";
  /**
   * @param message - the worker's one-line message
   * @param exitCode - the exit code the worker chose
   */
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

interface Slot {
  slot: number;
  worker: Worker | undefined;
  startedAt: number;
  youngDeaths: number;
  restart: ReturnType<typeof setTimeout> | undefined;
  failure: WorkerStartError | undefined;
  requests: number | undefined;
}

/** The primary's side; see the module comment. */
export class WorkerPool {
  readonly #slots: Slot[];
  readonly #log: (line: string) => void;
  readonly #env: (slot: number) => Record<string, string>;
  readonly #drainTimeout: number;
  readonly #maxDelay: number;
  #listening = 0;
  #port: number | undefined;
  #ready = false;
  #stopping: Promise<Map<number, number | undefined>> | undefined;
  #fail: ((error: Error) => void) | undefined;
  #whenAllListen: (() => void) | undefined;

  private constructor(options: WorkerPoolOptions) {
    const count = aint(options.count, "options.count", 1, MAX_WORKERS);
    this.#log = options.log;
    this.#env = options.env ?? (() => ({}));
    this.#drainTimeout = aint(options.drainTimeoutMs ?? 10_000, "options.drainTimeoutMs", 1);
    this.#maxDelay = aint(options.maxRestartDelayMs ?? 10_000, "options.maxRestartDelayMs", 0);
    this.#slots = Array.from({ length: count }, (_, i) => ({ slot: i + 1, worker: undefined, startedAt: 0, youngDeaths: 0, restart: undefined, failure: undefined, requests: undefined }));
  }

  /**
   * Forks the workers; resolves once every one listens.
   * @param options - see {@link WorkerPoolOptions}
   * @throws WorkerStartError when a worker exits before it listens (the others are stopped)
   */
  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    if (!cluster.isPrimary) throw new InvalidArgumentError("WorkerPool.start must run in the cluster's primary");
    const pool = new WorkerPool(options);
    cluster.schedulingPolicy = cluster.SCHED_RR;
    try {
      await new Promise<void>((resolve, reject) => {
        pool.#fail = reject;
        pool.#whenAllListen = resolve;
        for (const slot of pool.#slots) pool.#fork(slot);
      });
    } catch (error) {
      await pool.#killAll(); // none has served yet: nothing to drain
      throw error;
    }
    pool.#ready = true;
    pool.#fail = undefined;
    return pool;
  }

  /** The port the workers listen on (known once one listens). */
  get port(): number | undefined {
    return this.#port;
  }

  /** The process ids of the live workers, by slot. */
  get pids(): (number | undefined)[] {
    return this.#slots.map((s) => s.worker?.process.pid);
  }

  /**
   * Stops replacing workers, asks each to drain, waits for every one to exit (killing
   * one that takes longer than `drainTimeoutMs`).
   * @returns the requests each slot's last worker reported having served (undefined when it did not say)
   */
  stop(): Promise<Map<number, number | undefined>> {
    this.#stopping ??= this.#drainAll();
    return this.#stopping;
  }

  async #killAll(): Promise<void> {
    this.#stopping = Promise.resolve(new Map());
    await Promise.all(
      this.#slots.map(async (slot) => {
        const worker = slot.worker;
        if (worker === undefined || worker.process.exitCode !== null || worker.process.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
        worker.process.kill("SIGKILL");
        await exited;
      }),
    );
  }

  async #drainAll(): Promise<Map<number, number | undefined>> {
    await Promise.all(
      this.#slots.map(async (slot) => {
        clearTimeout(slot.restart);
        const worker = slot.worker;
        if (worker === undefined) return;
        const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
        if (worker.isConnected()) worker.send({ [TAG]: "drain" }, undefined, () => {});
        const timer = setTimeout(() => {
          this.#log(`worker ${slot.slot} (pid ${worker.process.pid}) did not drain within ${this.#drainTimeout} ms; killed`);
          worker.process.kill("SIGKILL");
        }, this.#drainTimeout);
        await exited;
        clearTimeout(timer);
      }),
    );
    return new Map(this.#slots.map((s) => [s.slot, s.requests]));
  }

  #fork(slot: Slot): void {
    slot.restart = undefined;
    slot.failure = undefined;
    slot.requests = undefined;
    slot.startedAt = Date.now();
    const worker = cluster.fork({ ...this.#env(slot.slot), POORMAN_WORKER_SLOT: String(slot.slot) });
    slot.worker = worker;
    let listened = false;
    // A failed send or signal; its exit (if it dies) is handled below.
    worker.on("error", (error: Error) => this.#log(`worker ${slot.slot} (pid ${worker.process.pid}): ${error.message}`));
    worker.on("message", (message: unknown) => {
      const m = message as Record<string, unknown> | null;
      if (typeof m !== "object" || m === null || m[TAG] === undefined) return;
      if (m[TAG] === "failed") slot.failure = new WorkerStartError(String(m.message), typeof m.exitCode === "number" ? m.exitCode : 1);
      if (m[TAG] === "drained") {
        slot.requests = typeof m.requests === "number" ? m.requests : undefined;
        this.#log(`worker ${slot.slot} (pid ${worker.process.pid}) drained after ${slot.requests ?? "?"} requests`);
      }
    });
    worker.once("listening", (address: { port?: number }) => {
      listened = true;
      this.#port ??= address.port;
      this.#log(`worker ${slot.slot} (pid ${worker.process.pid}) listening`);
      if (!this.#ready && ++this.#listening === this.#slots.length) this.#whenAllListen?.();
    });
    worker.once("exit", (code, signal) => {
      if (slot.worker === worker) slot.worker = undefined;
      if (this.#stopping !== undefined) return;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (!this.#ready) {
        this.#fail?.(slot.failure ?? new WorkerStartError(`worker ${slot.slot} exited with ${how} before it listened`, 1));
        return;
      }
      slot.youngDeaths = Date.now() - slot.startedAt < YOUNG_MS || !listened ? slot.youngDeaths + 1 : 0;
      const delay = slot.youngDeaths === 0 ? 0 : Math.min(this.#maxDelay, FIRST_RESTART_DELAY_MS * 2 ** (slot.youngDeaths - 1));
      const why = slot.failure === undefined ? "" : `: ${slot.failure.message}`;
      this.#log(`worker ${slot.slot} (pid ${worker.process.pid}) exited with ${how}${why}; starting a new one${delay > 0 ? ` in ${delay} ms` : ""}`);
      slot.restart = setTimeout(() => this.#fork(slot), delay);
    });
  }
}

/** The slot (1-based) of this cluster worker in its {@link WorkerPool}, or undefined outside one. */
export function workerSlot(): number | undefined {
  const slot = Number(process.env.POORMAN_WORKER_SLOT);
  return cluster.isWorker && Number.isInteger(slot) && slot > 0 ? slot : undefined;
}

/**
 * In a worker: tells the primary why it cannot start (before exiting with `exitCode`), so
 * that {@link WorkerPool.start} fails with this message.
 */
export function reportStartFailure(message: string, exitCode: number): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || process.send === undefined) return resolve();
    process.send({ [TAG]: "failed", message, exitCode }, undefined, {}, () => resolve());
  });
}

/**
 * In a worker: ignores SIGINT and SIGTERM (the primary decides when workers stop), and
 * when the primary asks, runs `drain` (which finishes the requests in flight and closes),
 * reports `requests()` and exits 0 (1 when `drain` throws).
 * @param drain - closes the worker's server and anything else it opened
 * @param requests - how many requests the worker served
 */
export function drainWhenAsked(drain: () => Promise<void>, requests: () => number): void {
  const ignore = () => {};
  process.on("SIGINT", ignore);
  process.on("SIGTERM", ignore);
  const onMessage = (message: unknown) => {
    if ((message as Record<string, unknown> | null)?.[TAG] !== "drain") return;
    process.off("message", onMessage);
    void drain().then(
      () => exitAfterReport(requests(), 0),
      () => exitAfterReport(requests(), 1),
    );
  };
  process.on("message", onMessage);
}

function exitAfterReport(requests: number, code: number): void {
  const exit = () => process.exit(code);
  if (!process.connected || process.send === undefined) return exit();
  process.send({ [TAG]: "drained", requests }, undefined, {}, exit);
}
