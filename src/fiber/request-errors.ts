/**
 * What `FiberClient` says when a request cannot be made: a base URL that is not an
 * http(s) URL is the caller's mistake ({@link InvalidArgumentError}); a request that fails
 * before any answer is a {@link NetworkError} naming the system's reason (`ECONNREFUSED`,
 * `ENOTFOUND`…), which `fetch` hides two causes deep behind "fetch failed".
 *
 * @module
 */
import { InvalidArgumentError, NetworkError } from "../common/errors.js";

/**
 * Checks that `baseUrl` is an absolute http(s) URL.
 * @throws InvalidArgumentError naming `baseUrl` and what was expected
 */
export function checkBaseUrl(baseUrl: string): void {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new InvalidArgumentError(`baseUrl must be an absolute http(s) URL such as http://127.0.0.1:7999, got ${JSON.stringify(baseUrl)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new InvalidArgumentError(`baseUrl must be an http or https URL, got ${parsed.protocol}`);
  }
}

/** The innermost error of a cause chain that carries a system error code, or the error itself. */
function rootCause(error: unknown): unknown {
  let found = error;
  const seen = new Set<unknown>();
  for (let e: unknown = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (typeof (e as { code?: unknown }).code === "string") found = e;
    // undici reports a failed connection to several addresses as an AggregateError.
    if (e instanceof AggregateError && e.errors[0] instanceof Error && typeof (e.errors[0] as { code?: unknown }).code === "string") found = e.errors[0];
  }
  return found;
}

/**
 * The error of a request that failed before any answer: the message names the method,
 * the URL and the system's reason, and `cause` is the error carrying that reason.
 */
export function networkError(method: string, url: string, error: unknown): NetworkError {
  const cause = rootCause(error);
  const code = (cause as { code?: unknown } | null)?.code;
  const reason = cause instanceof Error ? cause.message : String(cause);
  const detail = typeof code === "string" && !reason.includes(code) ? `${code}: ${reason}` : reason;
  return new NetworkError(`${method} ${url} failed: ${detail}`, { cause });
}
