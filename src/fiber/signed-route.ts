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
import { checkAuthorized, checkNonceAndUuid, readFiberHeaders, verifyAndRecordNonce, verifySignedHeaders, type AuthContext } from "./verify.js";

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
  const issues = await gateClaimedHotkey(request, auth);
  const headers = readSignedHeaders(request.headers, issues);
  // As FastAPI, one 422 lists the missing headers and a missing or undecoded body.
  if (issues.length > 0 && json === NOT_DECODED) issues.push(undecodedIssue(body));
  throwIfInvalid(issues);
  await verifySignedHeaders(headers!, await bodyHash(body), auth);
  const payload = payloadOf(route, json, body);
  return answerOf(route, payload, headers!.validatorHotkey, request);
}

/**
 * Python's stake gate, run on the claimed hotkey before the other headers are read.
 * @returns the start of the 422 list: FastAPI lists a missing `validator-hotkey` twice,
 *   once for the gate, once for `verify_request` (or `verify_get_request`)
 */
async function gateClaimedHotkey(request: FiberRawRequest, auth: AuthContext): Promise<ValidationIssue[]> {
  const claimed = request.headers.get(VALIDATOR_HOTKEY_HEADER);
  if (claimed !== null) await checkAuthorized(claimed, auth.authorize);
  return claimed === null ? [missing("header", VALIDATOR_HOTKEY_HEADER)] : [];
}

async function answerOf(route: FiberRoute<unknown>, payload: unknown, validatorHotkey: string, request: FiberRawRequest): Promise<FiberRawAnswer | Response> {
  const result = await route.handler(payload, routeContext(validatorHotkey, request));
  return result instanceof Response ? result : jsonAnswer(result ?? null);
}

/**
 * Answers one GET request to a GET route (Fiber 2.4.0+'s `verify_get_request`): the stake
 * gate (403), the headers (422), then our order: `miner-hotkey` is ours (401), the nonce
 * (401), the `symmetric-key-uuid` format (encrypted, 400), the signature over
 * `nonce:miner_hotkey` (signed) or `nonce:miner_hotkey:uuid` (encrypted) (401), and the
 * nonce is remembered. The uuid is not looked up, as in Fiber. Throws a
 * {@link FiberHttpError} for a refusal.
 * @param request - the request (its headers)
 * @param route - the route's `handler` (called with `undefined`)
 * @param auth - the server's miner hotkey, authorizer, nonce store and clock
 * @param encrypted - whether the route is an encrypted-protocol one (five headers)
 */
export async function getRouteResponse(request: FiberRawRequest, route: FiberRoute<unknown>, auth: AuthContext, encrypted: boolean): Promise<FiberRawAnswer | Response> {
  const issues = await gateClaimedHotkey(request, auth);
  if (encrypted) {
    const headers = readFiberHeaders(request.headers, issues);
    throwIfInvalid(issues);
    await verifyAndRecordNonce(headers!, headers!.symmetricKeyUuid, auth, await checkNonceAndUuid(headers!, auth));
    return answerOf(route, undefined, headers!.validatorHotkey, request);
  }
  const headers = readSignedHeaders(request.headers, issues);
  throwIfInvalid(issues);
  await verifySignedHeaders(headers!, null, auth);
  return answerOf(route, undefined, headers!.validatorHotkey, request);
}
