/**
 * CORS for a fetch-style handler, so browser validators on another origin can call a
 * miner: preflights answered, the Fiber headers allowed, only the listed origins.
 *
 * @module
 */
import { InvalidArgumentError } from "../common/errors.js";
import { REQUEST_HEADERS } from "./constants.js";

const ALLOWED_HEADERS = ["content-type", ...REQUEST_HEADERS].join(", ");

/**
 * Wraps `handler` with CORS for `origins`: `OPTIONS` preflights get 204 with the
 * allowed methods and the Fiber request headers; answers to a listed `Origin` carry
 * `access-control-allow-origin`. `"*"` allows every origin (no credentials are used).
 * @param handler - e.g. `FiberServer.fetch`
 * @param origins - exact origins such as `https://app.example`, or `["*"]`
 */
export function withCors(handler: (request: Request) => Promise<Response>, origins: readonly string[]): (request: Request) => Promise<Response> {
  if (!Array.isArray(origins) || origins.length === 0 || origins.some((o) => typeof o !== "string" || !(o === "*" || /^https?:\/\/[^/\s]+$/.test(o)))) {
    throw new InvalidArgumentError("origins must be '*' or origins such as https://app.example (scheme://host[:port], no path)");
  }
  const any = origins.includes("*");
  const allowed = new Set(origins);
  const allowOrigin = (origin: string | null) => (any ? "*" : origin !== null && allowed.has(origin) ? origin : undefined);
  return async (request) => {
    const origin = allowOrigin(request.headers.get("origin"));
    if (request.method === "OPTIONS" && request.headers.has("access-control-request-method")) {
      const headers = new Headers({ vary: "Origin" });
      if (origin !== undefined) {
        headers.set("access-control-allow-origin", origin);
        headers.set("access-control-allow-methods", "GET, POST");
        headers.set("access-control-allow-headers", ALLOWED_HEADERS);
        headers.set("access-control-max-age", "600");
      }
      return new Response(null, { status: 204, headers });
    }
    const response = await handler(request);
    if (origin === undefined) return response;
    const headers = new Headers(response.headers);
    headers.set("access-control-allow-origin", origin);
    headers.append("vary", "Origin");
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}
