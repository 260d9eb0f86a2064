/**
 * The body of a `node:http` request as a lazy web stream, and the "lingering close" of a
 * request answered before its body was read.
 *
 * @module
 */
import type { IncomingMessage } from "node:http";

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
  let discarding = false;
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
          if (discarding || settled) return; // cancelled or being discarded: drop it
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
  const discardRest = () => {
    if (req.complete || discarding) return;
    discarding = true;
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
  };
  return { stream, discardRest };
}
