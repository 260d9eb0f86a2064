/**
 * The server side of Fiber 2's signed requests: one POST route with a plain JSON body,
 * checked in the order of Python's FastAPI app (body decoding, the authorizer, the
 * headers, nonce and signature, then the body model), with our hardening: the nonce is
 * remembered only after its signature verifies, the `miner-hotkey` must be ours, and
 * bad input never gets a 5xx.
 *
 * @module
 */
import { DETAIL, VALIDATOR_HOTKEY_HEADER } from "./constants.js";
import { FiberHttpError, isJsonContentType, missing, parseJson, throwIfInvalid, type ValidationIssue } from "./http.js";
import { jsonAnswer, routeContext, type FiberRawAnswer, type FiberRawRequest } from "./raw.js";
import type { FiberRoute } from "./server-config.js";
import { bodyHash, readSignedHeaders } from "./signed.js";
import { checkAuthorized, verifySignedHeaders, type AuthContext } from "./verify.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const lossyUtf8 = new TextDecoder("utf-8");
/** Marks a body FastAPI would not decode (empty, or not a JSON content type). */
const NOT_DECODED = Symbol("not decoded");

/**
 * Decodes the body as FastAPI does before any dependency runs: only for a JSON content
 * type (or none) and a non-empty body; text that is not UTF-8 is a 400, text that is not
 * JSON a 422. (Python's `json.loads` also detects UTF-16 and UTF-32; we take UTF-8 only.)
 */
function decodeBody(type: string | null, body: Uint8Array): unknown {
  if (body.length === 0 || !isJsonContentType(type)) return NOT_DECODED;
  try {
    strictUtf8.decode(body);
  } catch {
    throw new FiberHttpError(400, DETAIL.bodyParseError);
  }
  return parseJson(body);
}

/** FastAPI's 422 entry for a body it did not decode: missing when empty, else not an object (the raw text). */
function undecodedIssue(body: Uint8Array): ValidationIssue {
  if (body.length === 0) return missing("body");
  return { type: "model_attributes_type", loc: ["body"], msg: "Input should be a valid dictionary or object to extract fields from", input: lossyUtf8.decode(body) };
}

/** Runs the route's `parse` (422 when it throws); a body that was not decoded is a 422 too. */
function payloadOf(route: FiberRoute<unknown>, json: unknown, body: Uint8Array): unknown {
  if (json === NOT_DECODED) throw new FiberHttpError(422, [undecodedIssue(body)]);
  if (route.parse === undefined) return json;
  try {
    return route.parse(json);
  } catch (error) {
    const msg = error instanceof Error ? error.message : String(error);
    throw new FiberHttpError(422, [{ type: "value_error", loc: ["body"], msg, input: null }]);
  }
}

/**
 * Answers one POST request to a signed route; throws a {@link FiberHttpError} for a refusal.
 * @param request - the request (for its headers; the server has read its body)
 * @param body - the request's body
 * @param route - the route's `parse` and `handler`
 * @param auth - the server's miner hotkey, authorizer, nonce store and clock
 */
export async function signedRouteResponse(request: FiberRawRequest, body: Uint8Array, route: FiberRoute<unknown>, auth: AuthContext): Promise<FiberRawAnswer | Response> {
  const json = decodeBody(request.headers.get("content-type"), body);
  // Python's stake gate runs on the claimed hotkey before the other headers are read.
  const claimed = request.headers.get(VALIDATOR_HOTKEY_HEADER);
  if (claimed !== null) await checkAuthorized(claimed, auth.authorize);
  // FastAPI lists a missing validator-hotkey twice: once for the gate, once for verify_request.
  const issues: ValidationIssue[] = claimed === null ? [missing("header", VALIDATOR_HOTKEY_HEADER)] : [];
  const headers = readSignedHeaders(request.headers, issues);
  // As FastAPI, one 422 lists the missing headers and a missing or undecoded body.
  if (issues.length > 0 && json === NOT_DECODED) issues.push(undecodedIssue(body));
  throwIfInvalid(issues);
  await verifySignedHeaders(headers!, await bodyHash(body), auth);
  const payload = payloadOf(route, json, body);
  const result = await route.handler(payload, routeContext(headers!.validatorHotkey, request));
  return result instanceof Response ? result : jsonAnswer(result ?? null);
}
