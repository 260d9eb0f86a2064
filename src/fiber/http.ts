/**
 * Small fetch-API helpers of the Fiber server: JSON answers in FastAPI's shapes and a
 * body reader with a size limit.
 *
 * @module
 */
import { BODIES_BUSY_DETAIL, SLOW_BODY_DETAIL } from "./constants.js";
import { exceedsJsonDepth, MAX_JSON_DEPTH } from "./limits.js";
import { jsonAnswer, type FiberRawAnswer, type FiberRawRequest } from "./raw.js";

/** An answer that stops request processing: a status and FastAPI's `{"detail": …}`. */
export class FiberHttpError extends Error {
  /**
   * @param status - the HTTP status
   * @param detail - FastAPI's `detail`: a string, or the list of a 422
   * @param options - standard `ErrorOptions` (for `cause`)
   */
  constructor(
    readonly status: number,
    readonly detail: unknown,
    options?: ErrorOptions,
  ) {
    super(typeof detail === "string" ? detail : `HTTP ${status}`, options);
    this.name = "FiberHttpError";
  }
}

/** The answer of a {@link FiberHttpError}; a 503 says `retry-after: 1`. */
export function errorAnswer(error: FiberHttpError): FiberRawAnswer {
  return jsonAnswer({ detail: error.detail }, error.status, error.status === 503 ? { "retry-after": "1" } : undefined);
}

/** One entry of a FastAPI 422 `detail` list. */
export interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
}

/** FastAPI's 422 entry for a missing header or body field. */
export function missing(...loc: string[]): ValidationIssue {
  return { type: "missing", loc, msg: "Field required", input: null };
}

/** Throws a 422 when there are issues. */
export function throwIfInvalid(issues: ValidationIssue[]): void {
  if (issues.length > 0) throw new FiberHttpError(422, issues);
}

/** Bounds of {@link readBody}. */
export interface BodyLimits {
  /** Largest body (413 beyond, whether or not a `content-length` was sent). */
  maxBytes: number;
  /** Takes bytes from the budget shared by every body in flight; false answers 503. */
  reserve?: ((bytes: number) => boolean) | undefined;
  /** Deadline for the whole body (408 beyond). */
  timeoutMs?: number | undefined;
}


/**
 * Reads a request body within `limits`, without buffering past them: a declared
 * `content-length` over the limit is refused before anything is read.
 */
export async function readBody(request: Pick<FiberRawRequest, "headers" | "readBody">, limits: BodyLimits): Promise<Uint8Array> {
  const tooLarge = () => new FiberHttpError(413, `Request body larger than ${limits.maxBytes} bytes`);
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limits.maxBytes) throw tooLarge();
  if (request.readBody === null) return new Uint8Array(0);
  try {
    return await request.readBody({
      maxBytes: limits.maxBytes,
      onTooLarge: tooLarge,
      ...(limits.reserve === undefined ? {} : { reserve: limits.reserve, onOverBudget: () => new FiberHttpError(503, BODIES_BUSY_DETAIL) }),
      ...(limits.timeoutMs === undefined ? {} : { timeoutMs: limits.timeoutMs, onTimeout: () => new FiberHttpError(408, SLOW_BODY_DETAIL) }),
    });
  } catch (error) {
    if (error instanceof FiberHttpError) throw error;
    throw new FiberHttpError(400, "the request body could not be read", { cause: error }); // the peer went away
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses UTF-8 JSON, or throws a 422: FastAPI's `json_invalid` shape, or `too_deep` for
 * nesting beyond {@link MAX_JSON_DEPTH} levels (which would overflow the stack of
 * `JSON.stringify` or of a route's validator).
 */
export function parseJson(bytes: Uint8Array, loc: (string | number)[] = ["body"]): unknown {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new FiberHttpError(422, [{ type: "json_invalid", loc, msg: "body is not UTF-8", input: {} }]);
  }
  if (exceedsJsonDepth(text)) throw new FiberHttpError(422, [{ type: "too_deep", loc, msg: `JSON nested deeper than ${MAX_JSON_DEPTH} levels`, input: {} }]);
  try {
    return JSON.parse(text);
  } catch {
    throw new FiberHttpError(422, [{ type: "json_invalid", loc, msg: "JSON decode error", input: {} }]);
  }
}

/**
 * Whether FastAPI decodes a body of this `content-type` as JSON: none (or empty),
 * `application/json`, or `application/…+json`, with any parameters.
 */
export function isJsonContentType(type: string | null): boolean {
  return type === null || type.trim() === "" || /^\s*application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type);
}
