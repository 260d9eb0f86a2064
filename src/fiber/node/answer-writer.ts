/**
 * How `serve` writes answers to a reader it does not trust to read them: in slices, the
 * next one only once the socket has taken the last (backpressure), within a budget of
 * bytes queued across all connections, and with a deadline for a reader that stops
 * reading, as request bodies are bounded on the way in (`limits.ts`).
 *
 * @module
 */
import type { ServerResponse } from "node:http";
import { ANSWERS_BUSY_DETAIL } from "../constants.js";
import { ByteBudget } from "../limits.js";
import { SMALL_BODY_BYTES } from "../server-config.js";

/** Default deadline for a reader to take the part of an answer queued for it: 20 s. */
export const DEFAULT_ANSWER_TIMEOUT_MS = 20_000;
/** Default most bytes of answers queued for their readers at once, across all connections: 64 MiB. */
export const DEFAULT_MAX_QUEUED_ANSWER_BYTES = 64 * 1024 * 1024;
/** Largest write handed to a socket at once, so a reader's progress is seen slice by slice. */
const SLICE_BYTES = 64 * 1024;

/** Options of {@link AnswerWriter}. */
export interface AnswerWriterOptions {
  /** See `ServeOptions.answerTimeoutMs`. */
  timeoutMs: number;
  /** See `ServeOptions.maxQueuedAnswerBytes`. */
  maxQueuedBytes: number;
}

/** The answer of an answer that does not fit in the budget (a JSON 503, not counted). */
const BUSY = JSON.stringify({ detail: ANSWERS_BUSY_DETAIL });

/**
 * Writes the answers of one server. An answer's bytes count against the budget from the
 * moment they are handed over (a whole body, or a chunk pulled from a streamed one) until
 * the socket has taken them; a streamed answer's next chunk is pulled only once its
 * socket has taken the last one. A whole answer that does not fit is a 503 (answers up to
 * 64 KiB may use the whole budget, larger ones seven eighths, as request bodies); a chunk
 * of a streamed one that does not fit ends its connection. A reader that takes nothing
 * queued for it within the deadline has its connection destroyed.
 */
export class AnswerWriter {
  readonly #budget: ByteBudget;
  readonly #largeCeiling: number;
  readonly #timeoutMs: number;
  #timedOut = 0;
  #refused = 0;

  /** @param options - the deadline and the budget */
  constructor(options: AnswerWriterOptions) {
    this.#budget = new ByteBudget(options.maxQueuedBytes);
    this.#largeCeiling = options.maxQueuedBytes - Math.floor(options.maxQueuedBytes / 8);
    this.#timeoutMs = options.timeoutMs;
  }

  /** Bytes of answers queued for their readers right now. */
  get queuedBytes(): number {
    return this.#budget.used;
  }

  /** The most bytes of answers ever queued at once (at most the budget). */
  get peakQueuedBytes(): number {
    return this.#budget.peak;
  }

  /** Connections destroyed because their reader took nothing within the deadline. */
  get timedOut(): number {
    return this.#timedOut;
  }

  /** Answers refused (503) or cut because they did not fit in the budget. */
  get refused(): number {
    return this.#refused;
  }

  #take(bytes: number): boolean {
    const taken = this.#budget.tryTake(bytes, bytes > SMALL_BODY_BYTES ? this.#largeCeiling : undefined);
    if (!taken) this.#refused++;
    return taken;
  }

  /** Writes a whole answer: its headers, a `content-length`, then the body. */
  async writeWhole(res: ServerResponse, status: number, headers: Record<string, string>, body: Uint8Array | string): Promise<void> {
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    if (!this.#take(bytes.length)) {
      res.writeHead(503, { "content-type": "application/json", "retry-after": "1", "content-length": String(Buffer.byteLength(BUSY)) }).end(BUSY);
      return;
    }
    const held = new Held(this.#budget, bytes.length);
    try {
      res.writeHead(status, { ...headers, "content-length": String(bytes.length) });
      if (bytes.length <= SLICE_BYTES) res.end(bytes); // the common case: the socket takes it at once
      else if (await this.#slices(res, bytes, held)) res.end();
      else return;
      await this.#finished(res);
    } finally {
      held.release();
    }
  }

  /** Writes a streamed answer chunk by chunk (chunked encoding); a reader that goes away cancels the stream. */
  async writeStream(res: ServerResponse, status: number, headers: Record<string, string>, body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const held = new Held(this.#budget, 0);
    res.once("close", () => void reader.cancel().catch(() => undefined));
    res.writeHead(status, headers);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || res.destroyed) break;
        if (!this.#take(value.length)) return void res.destroy(); // no room: this reader waits no more
        held.add(value.length);
        if (!(await this.#slices(res, value, held))) return;
      }
      res.end();
      await this.#finished(res);
    } catch {
      res.destroy();
    } finally {
      held.release();
    }
  }

  /** Writes `bytes` in slices, each once the socket has taken the last; false when the connection ended. */
  async #slices(res: ServerResponse, bytes: Uint8Array, held: Held): Promise<boolean> {
    for (let at = 0; at < bytes.length; at += SLICE_BYTES) {
      if (res.destroyed) return false;
      const slice = bytes.subarray(at, at + SLICE_BYTES);
      held.written(slice.length);
      if (!res.write(slice) && !(await this.#taken(res, "drain"))) return false;
      held.flushed(res.writableLength);
    }
    return !res.destroyed;
  }

  /** Waits (within the deadline) until everything written has left the process. */
  async #finished(res: ServerResponse): Promise<void> {
    if (res.writableLength > 0 && !res.writableFinished) await this.#taken(res, "finish");
  }

  /** Waits for `event` within the deadline; past it the connection is destroyed. */
  #taken(res: ServerResponse, event: "drain" | "finish"): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        res.off(event, onEvent).off("close", onClose);
        resolve(ok);
      };
      const onEvent = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => {
        this.#timedOut++;
        res.destroy();
        done(false);
      }, this.#timeoutMs);
      res.once(event, onEvent).once("close", onClose);
    });
  }
}

/** The bytes one answer holds in the budget: taken, written to the socket, and given back once taken by it. */
class Held {
  #taken: number;
  #written = 0;
  #given = 0;

  constructor(
    readonly budget: ByteBudget,
    taken: number,
  ) {
    this.#taken = taken;
  }

  add(bytes: number): void {
    this.#taken += bytes;
  }

  written(bytes: number): void {
    this.#written += bytes;
  }

  /** What was written has left the process, but for the `queued` bytes the socket still holds. */
  flushed(queued: number): void {
    const left = Math.min(this.#taken, this.#written - queued);
    if (left <= this.#given) return;
    this.budget.give(left - this.#given);
    this.#given = left;
  }

  /** The answer is done (sent, or its connection closed): gives back all it holds. */
  release(): void {
    this.budget.give(this.#taken - this.#given);
    this.#given = this.#taken;
  }
}
