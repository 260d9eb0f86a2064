/**
 * Serves a fetch-style handler (such as `FiberServer.fetch`) with `node:http`. A
 * `FiberServer` (or its `fetch`) is served through its lower-level `handle`, without a
 * WHATWG `Request`/`Response` per request (see `fiber/fast-path.ts`); the answers are the same.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { aint, astring } from "../../common/bytes.js";
import { rawHandlerOf, type FiberRawHandler } from "../raw.js";
import { AnswerWriter, DEFAULT_ANSWER_TIMEOUT_MS, DEFAULT_MAX_QUEUED_ANSWER_BYTES } from "./answer-writer.js";
import { nodeRawRequest } from "./fast-path.js";
import { discardRest, nodeRequestBody, type NodeRequestBody } from "./request-body.js";

/** A fetch-style handler. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** Options of {@link serve}. */
export interface ServeOptions {
  /** Interface to bind; `127.0.0.1` by default (use `0.0.0.0` to accept remote validators). */
  host?: string | undefined;
  /** Port; 0 (any free port) by default. */
  port?: number | undefined;
  /** Closes the server when aborted. */
  signal?: AbortSignal | undefined;
  /**
   * How long a client may take nothing of an answer queued for it, in milliseconds, before
   * its connection is destroyed; 20 s by default. A streamed answer waiting for its route's
   * next chunk is not waiting for its reader.
   */
  answerTimeoutMs?: number | undefined;
  /**
   * Most bytes of answers queued for their readers at once, across all connections: whole
   * answers, and the chunks streamed answers pulled, until the socket takes them; 64 MiB
   * by default. A whole answer beyond it is a 503 with `retry-after` (answers over 64 KiB
   * may use seven eighths of it); a streamed answer's chunk beyond it ends that connection.
   */
  maxQueuedAnswerBytes?: number | undefined;
}

/** A listening server. */
export interface RunningServer {
  /** `http://host:port` of the bound address. */
  url: string;
  /** The bound port. */
  port: number;
  /** Requests received so far (answered or in flight). */
  readonly requests: number;
  /** Bytes of answers queued for their readers right now (at most `maxQueuedAnswerBytes`). */
  readonly queuedAnswerBytes: number;
  /** The most bytes of answers ever queued for their readers at once. */
  readonly peakQueuedAnswerBytes: number;
  /** Connections destroyed because their client took nothing of its answer within `answerTimeoutMs`. */
  readonly stalledAnswers: number;
  /** Answers refused (503) or cut because they did not fit in `maxQueuedAnswerBytes`. */
  readonly refusedAnswers: number;
  /**
   * Stops accepting, closes idle and active connections, and resolves when closed. With
   * `graceMs`, requests in flight get up to that long to be answered first (idle
   * keep-alive connections are closed at once).
   */
  close(options?: CloseOptions): Promise<void>;
}

/** Options of {@link RunningServer.close}. */
export interface CloseOptions {
  /** Longest wait, in milliseconds, for requests in flight to be answered; 0 (none) by default. */
  graceMs?: number;
}

/** Converts a Node request into a fetch `Request` (body streamed on demand, not buffered; none when `body` is undefined). */
function toRequest(req: IncomingMessage, body: NodeRequestBody | undefined): Request {
  const url = new URL(req.url ?? "/", "http://localhost");
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  return new Request(url, {
    method: req.method ?? "GET",
    headers,
    body: body?.stream,
    duplex: "half",
  } as RequestInit);
}

/** Only JSON answers are buffered (with a content-length); any other body is streamed as it comes. */
function isStreamed(response: Response): boolean {
  return response.body !== null && !/^application\/json\b/i.test(response.headers.get("content-type") ?? "");
}

async function writeResponse(writer: AnswerWriter, req: IncomingMessage, res: ServerResponse, response: Response, body: Pick<NodeRequestBody, "discardRest"> | undefined): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  if (isStreamed(response) && req.complete) return writer.writeStream(res, response.status, headers, response.body!);
  const bytes = new Uint8Array(await response.arrayBuffer());
  // A body left unread (refused on its headers, too large, too slow) is read and dropped
  // for a short while, then the connection is closed; see NodeRequestBody.discardRest.
  const unread = !req.complete;
  const written = writer.writeWhole(res, response.status, headers, bytes);
  if (unread) body?.discardRest();
  await written;
}

async function handle(writer: AnswerWriter, handler: FetchHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = req.method === "GET" || req.method === "HEAD" ? undefined : nodeRequestBody(req);
  let request: Request;
  try {
    request = toRequest(req, body);
  } catch {
    await writeResponse(writer, req, res, BAD_REQUEST(), body);
    return;
  }
  try {
    await writeResponse(writer, req, res, await handler(request), body);
  } catch {
    if (!res.headersSent) await writeResponse(writer, req, res, INTERNAL_ERROR(), body);
    else res.destroy();
  }
}

/** The fetch path's 400 and 500 answers. */
const BAD_REQUEST = () => Response.json({ detail: "Bad Request" }, { status: 400 });
const INTERNAL_ERROR = () => Response.json({ detail: "Internal Server Error" }, { status: 500 });

/** {@link handle} through a `FiberServer`'s lower-level handler: the same answers, no `Request`/`Response` unless a route returns one. */
async function handleRaw(writer: AnswerWriter, raw: FiberRawHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = { discardRest: () => discardRest(req) }; // for a Response a route returns
  let answer: Awaited<ReturnType<FiberRawHandler>>;
  try {
    answer = await raw(nodeRawRequest(req, () => toRequest(req, undefined)));
  } catch {
    await writeResponse(writer, req, res, BAD_REQUEST(), body); // raw() never throws: nodeRawRequest refused the request
    return;
  }
  try {
    if (answer instanceof Response) return await writeResponse(writer, req, res, answer, body);
    const unread = !req.complete;
    const written = writer.writeWhole(res, answer.status, answer.headers, answer.body);
    if (unread) discardRest(req);
    await written;
  } catch {
    if (!res.headersSent) await writeResponse(writer, req, res, INTERNAL_ERROR(), body);
    else res.destroy();
  }
}

/**
 * Listens on `host:port` and answers every request with `handler`. Given a `FiberServer`
 * or its `fetch`, it answers through the server's lower-level `handle` (no WHATWG
 * `Request`/`Response` per request, the same answers).
 * @param handler - e.g. a `FiberServer`, or `server.fetch`, or any `(Request) => Promise<Response>`
 * @param options - see {@link ServeOptions}
 * @returns once listening
 */
export async function serve(handler: FetchHandler | { readonly fetch: FetchHandler }, options: ServeOptions = {}): Promise<RunningServer> {
  const fetch = typeof handler === "object" && handler !== null ? handler.fetch : handler;
  if (typeof fetch !== "function") throw new TypeError("handler must be a function (Request) => Promise<Response>, or an object with such a fetch (e.g. a FiberServer)");
  const host = astring(options.host ?? "127.0.0.1", "options.host");
  const port = aint(options.port ?? 0, "options.port", 0, 65535);
  const raw = rawHandlerOf(handler);
  const writer = new AnswerWriter({
    timeoutMs: aint(options.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS, "options.answerTimeoutMs", 1),
    maxQueuedBytes: aint(options.maxQueuedAnswerBytes ?? DEFAULT_MAX_QUEUED_ANSWER_BYTES, "options.maxQueuedAnswerBytes", 1),
  });
  let requests = 0;
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
    requests++;
    inFlight++;
    res.once("close", () => {
      if (--inFlight === 0) onIdle?.();
    });
    void (raw === undefined ? handle(writer, fetch, req, res) : handleRaw(writer, raw, req, res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  const close = (closeOptions: CloseOptions = {}) => {
    const graceMs = aint(closeOptions.graceMs ?? 0, "options.graceMs", 0, 3_600_000);
    closed ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      if (graceMs > 0 && inFlight > 0) {
        server.closeIdleConnections();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          onIdle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      server.closeAllConnections();
      await stopped;
    })();
    return closed;
  };
  options.signal?.addEventListener("abort", () => void close(), { once: true });
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}`,
    port: bound,
    get requests() {
      return requests;
    },
    get queuedAnswerBytes() {
      return writer.queuedBytes;
    },
    get peakQueuedAnswerBytes() {
      return writer.peakQueuedBytes;
    },
    get stalledAnswers() {
      return writer.timedOut;
    },
    get refusedAnswers() {
      return writer.refused;
    },
    close,
  };
}
