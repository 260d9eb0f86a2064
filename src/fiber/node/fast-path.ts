/**
 * The `node:http`-native path of `serve` for a `FiberServer`: the request handed to
 * `FiberServer#handle` as its parts (method, path, headers, a body reader on the
 * `IncomingMessage`) and its answer written as is, without building a WHATWG `Request`
 * and `Response` per request. It refuses what the fetch path's `Request` constructor
 * refuses (400), so both paths answer alike.
 *
 * @module
 */
import type { IncomingMessage } from "node:http";
import type { FiberRawRequest, HeaderLookup } from "../raw.js";
import { readNodeBody } from "./request-body.js";

/** Methods `new Request` takes as they come from `node:http` (others go through it, to refuse what it refuses). */
const PLAIN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]);
/** A request target whose `URL` pathname is itself: no `.`/`..` segments, no `//`, no escapes, no query. */
const PLAIN_TARGET = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$|^\/$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FORBIDDEN_VALUE = /[\0\r\n]/;
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

/**
 * The headers of `req` as `Headers` holds them: lowercase names, values without leading
 * and trailing HTTP whitespace, repeated names joined by `", "`.
 */
function headerMap(raw: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    let value = raw[i + 1]!;
    if (value.length > 0 && (value.charCodeAt(0) <= 0x20 || value.charCodeAt(value.length - 1) <= 0x20)) value = value.replace(EDGE_WHITESPACE, "");
    const previous = map.get(name);
    map.set(name, previous === undefined ? value : `${previous}, ${value}`);
  }
  return map;
}

/** `req` as a {@link FiberRawRequest}; the header table is built on the first lookup. */
class NodeRawRequest implements FiberRawRequest, HeaderLookup {
  readonly method: string;
  readonly pathname: string;
  readonly readBody: FiberRawRequest["readBody"];
  #map: Map<string, string> | undefined;
  #built: Request | undefined;

  readonly #req: IncomingMessage;
  readonly #build: () => Request;

  constructor(req: IncomingMessage, build: () => Request) {
    this.#req = req;
    this.#build = build;
    const method = req.method ?? "GET";
    const target = req.url ?? "/";
    if (PLAIN_METHODS.has(method) && PLAIN_TARGET.test(target)) {
      this.method = method;
      this.pathname = target;
    } else {
      this.#built = build(); // throws what the fetch path would refuse
      this.method = this.#built.method;
      this.pathname = new URL(this.#built.url).pathname;
    }
    // Checked here, as the fetch path's Headers would (at once) refuse them.
    if (req.rawHeaders.some((v, i) => (i % 2 === 0 ? !TOKEN.test(v) : FORBIDDEN_VALUE.test(v)))) throw new TypeError("invalid header");
    this.readBody = method === "GET" || method === "HEAD" ? null : (options) => readNodeBody(req, options);
  }

  get headers(): HeaderLookup {
    return this;
  }

  get(name: string): string | null {
    return (this.#map ??= headerMap(this.#req.rawHeaders)).get(name) ?? null;
  }

  toRequest(): Request {
    return (this.#built ??= this.#build());
  }
}

/**
 * `req` as a {@link FiberRawRequest}. Throws where building the fetch path's `Request`
 * would (the caller answers 400).
 * @param req - the incoming request
 * @param toRequest - builds the fetch path's `Request` of `req`, without its body
 */
export function nodeRawRequest(req: IncomingMessage, toRequest: () => Request): FiberRawRequest {
  return new NodeRawRequest(req, toRequest);
}
