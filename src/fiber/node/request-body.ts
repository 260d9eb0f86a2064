/**
 * The body of a `node:http` request as a lazy web stream or read whole within bounds, and
 * the "lingering close" of a request answered before its body was read.
 *
 * @module
 */
import type { IncomingMessage } from "node:http";
import { BoundedChunks, timeoutError, type ReadBoundedOptions } from "../limits.js";

/** How long an answered request's unread body is read and discarded before the socket is closed. */
export const LINGER_MS = 3000;

/** A request body a fetch-style handler reads, or leaves unread. */
export interface NodeRequestBody {
  /** The body; nothing is read from the socket until the handler asks for it. */
  stream: ReadableStream<Uint8Array>;
  /**
   * Once the answer is sent: reads and discards what is left of the body for up to
   * {@link LINGER_MS}, then closes the connection if the body has not ended. Closing at
   * once, with unread data, makes the kernel reset the connection, and the client sees
   * `EPIPE` or `ECONNRESET` instead of the answer (a 413, say).
   */
  discardRest(): void;
}

/**
 * Wraps `req` with backpressure: a chunk is taken from the socket only when the stream is
 * read (high-water mark 0), so a handler that refuses a request on its headers buffers
 * nothing of its body.
 */
export function nodeRequestBody(req: IncomingMessage): NodeRequestBody {
  let settled = false;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const settle = (how: () => void) => {
    if (settled) return;
    settled = true;
    how();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        req.on("data", (chunk: Buffer) => {
          if (settled || discarding.has(req)) return; // cancelled or being discarded: drop it
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.once("end", () => settle(() => controller.close()));
        req.once("error", (error) => settle(() => controller.error(error)));
        // A client that goes away mid-body: error the stream so the handler stops waiting.
        req.once("close", () => settle(() => controller.error(new Error("the client closed the connection before the body ended"))));
        req.pause();
      },
      pull() {
        req.resume();
      },
      cancel() {
        settled = true;
        req.pause();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, discardRest: () => discardRest(req) };
}

/** Requests whose unread body is being discarded. */
const discarding = new WeakSet<IncomingMessage>();

/**
 * Once a request is answered: reads and discards what is left of its body for up to
 * {@link LINGER_MS}, then closes the connection if the body has not ended (see
 * {@link NodeRequestBody.discardRest}). Does nothing for a body read to its end.
 */
export function discardRest(req: IncomingMessage): void {
  if (req.complete || discarding.has(req)) return;
  discarding.add(req);
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  const stop = () => clearTimeout(timer);
  // A keep-alive connection serves many requests: take the listener off again once this
  // body has ended, or each early answer would leave one behind on the socket.
  req.once("end", () => {
    stop();
    socket.off("close", stop);
  });
  socket.once("close", stop);
  req.resume();
}

/**
 * Reads the whole body of `req` within `options`, straight from its `data` events (no web
 * stream), exactly as `readBounded` reads {@link nodeRequestBody}'s stream: chunk by chunk,
 * `maxBytes` then `reserve` checked before a chunk is kept, the deadline over the whole
 * body; on the first failure the request is paused (its rest is left to
 * {@link discardRest}) and the error thrown. A client that goes away mid-body is an error.
 */
export function readNodeBody(req: IncomingMessage, options: ReadBoundedOptions): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const body = new BoundedChunks(options);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (error: unknown, done: boolean) => {
      req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      clearTimeout(timer);
      if (done) return resolve(body.bytes());
      req.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      try {
        body.add(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      } catch (error) {
        finish(error, false);
      }
    };
    const onEnd = () => finish(undefined, true);
    const onError = (error: unknown) => finish(error, false);
    const onClose = () => finish(new Error("the client closed the connection before the body ended"), false);
    // Gone before the read began (while the headers were checked): its `close` has passed.
    if (req.destroyed) return onClose();
    if (options.timeoutMs !== undefined) timer = setTimeout(() => finish(timeoutError(options), false), options.timeoutMs);
    req.on("data", onData).once("end", onEnd).once("error", onError).once("close", onClose);
    req.resume();
  });
}
