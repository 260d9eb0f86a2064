/**
 * The lower-level interface of the Fiber server, for server adapters that can skip the
 * WHATWG `Request`/`Response` objects (the `node:http` adapter of `poorman-handshake/node`
 * does, for every answer but the `Response`s a route handler returns): a request is a
 * method, a path, a header lookup and a body reader, and an answer is a status, headers
 * and a JSON text. `FiberServer.fetch` goes through the same code, so both give the same
 * answers. Isomorphic.
 *
 * @module
 */
import type { ReadBoundedOptions } from "./limits.js";

/** Looks up one request header by its lowercase name, as `Headers#get` does (all values joined by `", "`; `null` when absent). */
export interface HeaderLookup {
  /** @param name - lowercase header name */
  get(name: string): string | null;
}

/**
 * One request, as a server adapter hands it to `FiberServer#handle`: everything
 * `FiberServer.fetch` would read from a `Request`, without building one.
 */
export interface FiberRawRequest {
  /** The method, as `Request#method` has it (`GET`, `POST`, …). */
  readonly method: string;
  /** The path of the URL, as `new URL(target, "http://localhost").pathname` has it. */
  readonly pathname: string;
  /** The request headers; values as `Headers#get` returns them (trimmed, duplicates joined). */
  readonly headers: HeaderLookup;
  /**
   * Reads the whole body within `options`, with the semantics of `readBounded` (a chunk at
   * a time: `maxBytes`, then `reserve`, then the deadline; the source is released on the
   * first failure); `null` for a request without a body (`GET`, `HEAD`). Called at most
   * once, and only after the headers have passed their checks.
   */
  readonly readBody: ((options: ReadBoundedOptions) => Promise<Uint8Array>) | null;
  /**
   * The request as a WHATWG `Request` (URL, method, headers; its body is not available),
   * for `FiberRouteContext.request`; built only when a route handler asks for it.
   */
  toRequest(): Request;
}

/**
 * An answer of `FiberServer#handle`: the status, the headers (lowercase names, in the
 * order `Headers` iterates them; `content-length` not included) and the body text.
 */
export interface FiberRawAnswer {
  /** The HTTP status. */
  status: number;
  /** The answer headers, e.g. `content-type: application/json`. */
  headers: Record<string, string>;
  /** The body (JSON text). */
  body: string;
}

/** A JSON answer: `content-type: application/json`, then `extra` (lowercase names sorting after it). */
export function jsonAnswer(body: unknown, status = 200, extra?: Record<string, string>): FiberRawAnswer {
  return { status, headers: { "content-type": "application/json", ...extra }, body: JSON.stringify(body) };
}

/** The WHATWG `Response` of an answer. */
export function answerResponse(answer: FiberRawAnswer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/** A request's lower-level handler, as `FiberServer#handle`. */
export type FiberRawHandler = (request: FiberRawRequest) => Promise<FiberRawAnswer | Response>;

const rawHandlers = new WeakMap<object, FiberRawHandler>();

/**
 * Records that `fetch` has a lower-level equivalent, so an adapter given only the fetch
 * function (`serve(server.fetch)`) can use it.
 * @param fetch - the fetch-style handler
 * @param handler - the same server's lower-level handler
 */
export function registerRawHandler(fetch: object, handler: FiberRawHandler): void {
  rawHandlers.set(fetch, handler);
}

/**
 * The lower-level handler behind a fetch-style handler (a `FiberServer` or its `fetch`),
 * or `undefined` for any other handler.
 * @param handler - what was given to the adapter
 */
export function rawHandlerOf(handler: unknown): FiberRawHandler | undefined {
  return typeof handler === "function" || (typeof handler === "object" && handler !== null) ? rawHandlers.get(handler) : undefined;
}

/**
 * A route handler's context (`FiberRouteContext`): the validator, and the request, built
 * from `request` on first use.
 * @param validatorHotkey - the authenticated validator's ss58 address
 * @param request - the request being answered
 */
export function routeContext(validatorHotkey: string, request: FiberRawRequest): { validatorHotkey: string; readonly request: Request } {
  let built: Request | undefined;
  return {
    validatorHotkey,
    get request() {
      return (built ??= request.toRequest());
    },
  };
}
