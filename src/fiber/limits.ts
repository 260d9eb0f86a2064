/**
 * Bounds on what the Fiber server and client hold for a peer they have not (yet)
 * authenticated: a stream reader with a size cap, a shared byte budget and a deadline,
 * and a JSON nesting check. Isomorphic (web streams and timers only).
 *
 * @module
 */
import { concatBytes } from "../common/bytes.js";

/** Deepest JSON nesting (arrays and objects) accepted in request bodies and answers. */
export const MAX_JSON_DEPTH = 64;

/**
 * Bytes held at once across many readers (all request bodies a server is buffering).
 * Readers take bytes as they arrive and give them back when done with them.
 */
export class ByteBudget {
  #used = 0;
  #peak = 0;

  /** @param limit - most bytes held at once */
  constructor(readonly limit: number) {}

  /** Bytes currently held. */
  get used(): number {
    return this.#used;
  }

  /** The most bytes ever held at once. */
  get peak(): number {
    return this.#peak;
  }

  /**
   * Takes `n` bytes; false (nothing taken) when that would go over `ceiling`.
   * @param ceiling - a lower bound than the limit for some takers (large bodies), so the rest stays for others
   */
  tryTake(n: number, ceiling: number = this.limit): boolean {
    if (this.#used + n > Math.min(ceiling, this.limit)) return false;
    this.#used += n;
    if (this.#used > this.#peak) this.#peak = this.#used;
    return true;
  }

  /** Gives back `n` bytes taken before. */
  give(n: number): void {
    this.#used = Math.max(0, this.#used - n);
  }
}

/** Options of `readBounded` (the bounds of a body read: size, shared budget, deadline). */
export interface ReadBoundedOptions {
  /** Most bytes read; beyond it the stream is cancelled and `onTooLarge()` thrown. */
  maxBytes: number;
  /** Makes the error thrown beyond `maxBytes`. */
  onTooLarge: () => Error;
  /** Called for each chunk before it is kept; false cancels the stream and throws `onOverBudget()`. */
  reserve?: ((bytes: number) => boolean) | undefined;
  /** Makes the error thrown when `reserve` refuses; `onTooLarge` by default. */
  onOverBudget?: (() => Error) | undefined;
  /** Deadline for the whole stream; beyond it the stream is cancelled and `onTimeout()` thrown. */
  timeoutMs?: number | undefined;
  /** Makes the error thrown at the deadline. */
  onTimeout?: (() => Error) | undefined;
}

/**
 * Reads a whole byte stream, never holding more than `maxBytes` (plus one chunk in
 * flight) and cancelling it as soon as a bound is hit, so a peer streaming without end
 * costs a bounded amount of memory and time.
 */
export async function readBounded(stream: ReadableStream<Uint8Array>, options: ReadBoundedOptions): Promise<Uint8Array> {
  const reader = stream.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired =
    options.timeoutMs === undefined
      ? undefined
      : new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(timeoutError(options)), options.timeoutMs);
        });
  expired?.catch(() => undefined); // rejected only while a read is racing it
  const body = new BoundedChunks(options);
  try {
    for (;;) {
      const { done, value } = await (expired === undefined ? reader.read() : Promise.race([reader.read(), expired]));
      if (done) break;
      body.add(value);
    }
  } catch (error) {
    void reader.cancel().catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return body.bytes();
}

/**
 * The chunks of one body, kept within {@link ReadBoundedOptions}' `maxBytes` and `reserve`
 * (checked in that order before a chunk is kept): what every body reader shares.
 */
export class BoundedChunks {
  readonly #options: ReadBoundedOptions;
  readonly #chunks: Uint8Array[] = [];
  #total = 0;

  /** @param options - the limits; only `maxBytes`, `reserve` and their errors are used here */
  constructor(options: ReadBoundedOptions) {
    this.#options = options;
  }

  /** Keeps `chunk`, or throws the options' error for the limit it would cross. */
  add(chunk: Uint8Array): void {
    const options = this.#options;
    this.#total += chunk.length;
    if (this.#total > options.maxBytes) throw options.onTooLarge();
    if (options.reserve !== undefined && !options.reserve(chunk.length)) throw (options.onOverBudget ?? options.onTooLarge)();
    this.#chunks.push(chunk);
  }

  /** The body so far, in one array. */
  bytes(): Uint8Array {
    return concatBytes(...this.#chunks);
  }
}

/** The error of a body that missed its deadline (`onTimeout`, or a plain "timed out"). */
export function timeoutError(options: ReadBoundedOptions): unknown {
  return (options.onTimeout ?? (() => new Error("timed out")))();
}

/**
 * True when JSON text nests arrays and objects deeper than `maxDepth`. One pass, no
 * recursion, brackets inside strings ignored; it does not validate the text.
 */
export function exceedsJsonDepth(text: string, maxDepth: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * `answer` with the same status, headers and bytes; `release` runs once, when its body
 * ends, fails or is cancelled. A route's answer keeps its request body counted in the body
 * budget until then: a streamed answer may hold what the body gave it (the lines of
 * `/stream-signed`).
 */
export function answerHoldingBudget(answer: Response, release: () => void): Response {
  let released = false;
  const done = () => {
    if (!released) (released = true), release();
  };
  const reader = answer.body!.getReader();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done: ended, value } = await reader.read();
          if (!ended) return controller.enqueue(value);
          done();
          controller.close();
        } catch (error) {
          done();
          controller.error(error);
        }
      },
      cancel(reason) {
        done();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { status: answer.status, statusText: answer.statusText, headers: answer.headers });
}
