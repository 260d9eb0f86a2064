/**
 * Small fetch-API helpers of the Fiber server: JSON answers in FastAPI's shapes and a
 * body reader with a size limit.
 *
 * @module
 */
import { concatBytes } from "../bytes.js";

/** An answer that stops request processing: a status and FastAPI's `{"detail": …}`. */
export class FiberHttpError extends Error {
  /**
   * @param status - the HTTP status
   * @param detail - FastAPI's `detail`: a string, or the list of a 422
   */
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(typeof detail === "string" ? detail : `HTTP ${status}`);
    this.name = "FiberHttpError";
  }
}

/** A JSON response. */
export function jsonResponse(body: unknown, status = 200, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** The response of a {@link FiberHttpError}. */
export function errorResponse(error: FiberHttpError): Response {
  return jsonResponse({ detail: error.detail }, error.status);
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

/**
 * Reads a request body, refusing (413) more than `limit` bytes whether or not a
 * `content-length` was sent, without buffering past the limit.
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const tooLarge = () => new FiberHttpError(413, `Request body larger than ${limit} bytes`);
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) throw tooLarge();
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return concatBytes(...chunks);
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses UTF-8 JSON, or throws a 422 in FastAPI's `json_invalid` shape. */
export function parseJson(bytes: Uint8Array, loc: (string | number)[] = ["body"]): unknown {
  try {
    return JSON.parse(strictUtf8.decode(bytes));
  } catch (cause) {
    const msg = cause instanceof SyntaxError ? "JSON decode error" : "body is not UTF-8";
    throw new FiberHttpError(422, [{ type: "json_invalid", loc, msg, input: {} }]);
  }
}

/**
 * Whether FastAPI decodes a body of this `content-type` as JSON: none (or empty),
 * `application/json`, or `application/…+json`, with any parameters.
 */
export function isJsonContentType(type: string | null): boolean {
  return type === null || type.trim() === "" || /^\s*application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type);
}
