/**
 * Serves a fetch-style handler (such as `FiberServer.fetch`) with `node:http`.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { aint, astring } from "../bytes.js";

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
}

/** A listening server. */
export interface RunningServer {
  /** `http://host:port` of the bound address. */
  url: string;
  /** The bound port. */
  port: number;
  /** Stops accepting, closes idle and active connections, and resolves when closed. */
  close(): Promise<void>;
}

/**
 * The request body as a web stream with backpressure. Cancelling it (a handler that
 * refused an oversized body) pauses the socket instead of destroying it, so the 4xx
 * answer still goes out; the connection is then closed.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on("data", (chunk: Buffer) => {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once("end", () => controller.close());
      req.once("error", (error) => controller.error(error));
      req.pause();
    },
    pull() {
      req.resume();
    },
    cancel() {
      req.pause();
    },
  });
}

/** Converts a Node request into a fetch `Request` (body streamed, not buffered). */
function toRequest(req: IncomingMessage): Request {
  const url = new URL(req.url ?? "/", "http://localhost");
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(url, {
    method,
    headers,
    body: hasBody ? bodyStream(req) : undefined,
    duplex: "half",
  } as RequestInit);
}

async function writeResponse(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  headers["content-length"] = String(body.length);
  // An unread request body (refused as too large) is not drained: answer and close.
  if (!req.complete) headers.connection = "close";
  res.writeHead(response.status, headers).end(body, () => {
    if (!req.complete) req.socket.destroySoon();
  });
}

async function handle(handler: FetchHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let request: Request;
  try {
    request = toRequest(req);
  } catch {
    await writeResponse(req, res, Response.json({ detail: "Bad Request" }, { status: 400 }));
    return;
  }
  try {
    await writeResponse(req, res, await handler(request));
  } catch {
    if (!res.headersSent) await writeResponse(req, res, Response.json({ detail: "Internal Server Error" }, { status: 500 }));
    else res.destroy();
  }
}

/**
 * Listens on `host:port` and answers every request with `handler`.
 * @param handler - e.g. `server.fetch` of a `FiberServer`
 * @param options - see {@link ServeOptions}
 * @returns once listening
 */
export async function serve(handler: FetchHandler, options: ServeOptions = {}): Promise<RunningServer> {
  if (typeof handler !== "function") throw new TypeError("handler must be a function (Request) => Promise<Response>");
  const host = astring(options.host ?? "127.0.0.1", "options.host");
  const port = aint(options.port ?? 0, "options.port", 0, 65535);
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
    void handle(handler, req, res);
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
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };
  options.signal?.addEventListener("abort", () => void close(), { once: true });
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return { url: `http://${shownHost}:${bound}`, port: bound, close };
}
