/**
 * The authentication pipeline shared by the key exchange, every encrypted route and
 * the signed routes, in Python's order with our hardening: headers (422), authorization
 * (403), the `miner-hotkey` is ours (401), nonce format, window and replay pre-check (401)
 * — for the encrypted protocol these run before the body is read ({@link checkHeaders}) —
 * then the signature (401) and the nonce is remembered (401 on a race, 429 when full).
 *
 * @module
 */
import type { HeaderLookup } from "./raw.js";
import { StoreFullError } from "../common/errors.js";
import type { Authorizer } from "./authorize.js";
import {
  BAD_UUID_DETAIL,
  BUSY_DETAIL,
  DETAIL,
  MINER_HOTKEY_HEADER,
  NONCE_HEADER,
  NONCE_WINDOW_MS,
  REQUEST_HEADERS,
  SIGNATURE_HEADER,
  SYMMETRIC_KEY_UUID_HEADER,
  VALIDATOR_HOTKEY_HEADER,
  signedGetMessage,
  signingMessage,
} from "./constants.js";
import { FiberHttpError, missing, type ValidationIssue } from "./http.js";
import { Keypair } from "./keypair.js";
import { nonceRetentionMs, type NonceStore } from "./nonce.js";

/** The five Fiber headers of a request. */
export interface FiberHeaders {
  /** `validator-hotkey`: SS58 address of the caller; it must have signed the request. */
  validatorHotkey: string;
  /** `miner-hotkey`: SS58 address of the miner the request is meant for (ours, or 401). */
  minerHotkey: string;
  /** `symmetric-key-uuid`: with the validator hotkey, names the symmetric key the request uses. */
  symmetricKeyUuid: string;
  /** `nonce`: timestamped, single use within the window, so a captured request cannot be replayed. */
  nonce: string;
  /** `signature`: the validator's signature over {@link signingMessage} of these headers. */
  signature: string;
}

const UUID_FORMAT = /^[A-Za-z0-9_-]{1,128}$/;


/**
 * Reads the five headers, returning FastAPI's 422 entries for the missing ones.
 * An empty header counts as present (as in FastAPI); later checks refuse it.
 */
export function readFiberHeaders(headers: HeaderLookup, issues: ValidationIssue[]): FiberHeaders | undefined {
  const values: string[] = [];
  for (const name of REQUEST_HEADERS) {
    const value = headers.get(name);
    if (value === null) issues.push(missing("header", name));
    else values.push(value);
  }
  if (values.length !== REQUEST_HEADERS.length) return undefined;
  const get = (name: string) => headers.get(name)!;
  return {
    validatorHotkey: get(VALIDATOR_HOTKEY_HEADER),
    minerHotkey: get(MINER_HOTKEY_HEADER),
    symmetricKeyUuid: get(SYMMETRIC_KEY_UUID_HEADER),
    nonce: get(NONCE_HEADER),
    signature: get(SIGNATURE_HEADER),
  };
}

/**
 * Verifies a request signature as `Keypair.verify` does (`message` as UTF-8, `signature`
 * as hex, the `<Bytes>`-wrapped message also accepted), e.g. on another thread.
 */
export type SignatureVerifier = (message: string, signature: string, ss58Address: string) => Promise<boolean>;

/** What {@link authenticate} needs from the server. */
export interface AuthContext {
  minerHotkey: string;
  authorize: Authorizer;
  nonces: NonceStore;
  nonceWindowMs?: number | undefined;
  clock: () => number;
  /** `Keypair.verify` by default. */
  verify?: SignatureVerifier | undefined;
}

/** The headers every signed request carries, whatever the third part of its message is. */
export type SignedHeaderFields = Pick<FiberHeaders, "validatorHotkey" | "minerHotkey" | "nonce" | "signature">;

/** Runs the server's {@link Authorizer} on the claimed hotkey; a refusal is a 403. */
export async function checkAuthorized(validatorHotkey: string, authorize: Authorizer): Promise<void> {
  const decision = await authorize(validatorHotkey);
  if (!decision.allowed) throw new FiberHttpError(403, decision.detail);
}

/**
 * The nonce checks every signed request shares, before its signature: the `miner-hotkey`
 * is ours (401), the nonce is well formed, in the window and not seen yet (401).
 * @returns how long the nonce must be remembered (for {@link verifyAndRecordNonce})
 */
export async function checkNonce(h: SignedHeaderFields, ctx: AuthContext): Promise<number> {
  if (h.minerHotkey !== ctx.minerHotkey) throw new FiberHttpError(401, DETAIL.invalidMinerHotkey);
  const retention = nonceRetentionMs(h.nonce, ctx.clock(), ctx.nonceWindowMs ?? NONCE_WINDOW_MS);
  if (retention === undefined || (await ctx.nonces.has(h.nonce))) throw new FiberHttpError(401, DETAIL.invalidNonce);
  return retention;
}

/**
 * The checks of the key exchange and the encrypted routes that need no body and little
 * work: authorization (403), then {@link checkNonce}, then the `symmetric-key-uuid` format
 * (400). The server runs them before reading a body, so a request that fails them costs
 * no buffering.
 * @returns how long the nonce must be remembered (for {@link verifyAndRecordNonce})
 */
export async function checkHeaders(h: FiberHeaders, ctx: AuthContext): Promise<number> {
  await checkAuthorized(h.validatorHotkey, ctx.authorize);
  return checkNonceAndUuid(h, ctx);
}

/** {@link checkNonce}, then the `symmetric-key-uuid` format (400): {@link checkHeaders} once authorized. */
export async function checkNonceAndUuid(h: FiberHeaders, ctx: AuthContext): Promise<number> {
  const retention = await checkNonce(h, ctx);
  if (!UUID_FORMAT.test(h.symmetricKeyUuid)) throw new FiberHttpError(400, BAD_UUID_DETAIL);
  return retention;
}

/**
 * The rest, after {@link checkNonce}: the signature over `nonce:miner_hotkey:{signed}`, or
 * over `nonce:miner_hotkey` when `signed` is `null` (a signed-mode GET) (401), then the nonce is remembered (401 if a concurrent request won, 429 when the
 * store is full). The nonce is remembered only after the signature verifies, so nobody
 * can fill the store with nonces they did not sign.
 * @param signed - the third part of the signed message (a key uuid, or a body hash), or `null` for none
 * @param retentionMs - what {@link checkNonce} (or {@link checkHeaders}) returned
 */
export async function verifyAndRecordNonce(h: SignedHeaderFields, signed: string | null, ctx: AuthContext, retentionMs: number): Promise<void> {
  const message = signed === null ? signedGetMessage(h.nonce, h.minerHotkey) : signingMessage(h.nonce, h.minerHotkey, signed);
  if (!(await (ctx.verify ?? Keypair.verify)(message, h.signature, h.validatorHotkey))) {
    throw new FiberHttpError(401, DETAIL.invalidSignature);
  }
  let fresh: boolean;
  try {
    fresh = await ctx.nonces.add(h.nonce, retentionMs);
  } catch (error) {
    if (error instanceof StoreFullError) throw new FiberHttpError(429, BUSY_DETAIL);
    throw error;
  }
  if (!fresh) throw new FiberHttpError(401, DETAIL.invalidNonce);
}

/** Runs {@link checkHeaders} then {@link verifyAndRecordNonce} over the key uuid; throws the first failure as a {@link FiberHttpError}. */
export async function authenticate(h: FiberHeaders, ctx: AuthContext): Promise<void> {
  await verifyAndRecordNonce(h, h.symmetricKeyUuid, ctx, await checkHeaders(h, ctx));
}

/**
 * The checks every signed request shares once it is authorized: {@link checkNonce}, then
 * {@link verifyAndRecordNonce} over `signed`.
 * @param h - the request's headers
 * @param signed - the third part of the signed message (a body hash for signed routes), `null` for a signed GET
 * @param ctx - the server's miner hotkey, nonce store and clock
 */
export async function verifySignedHeaders(h: SignedHeaderFields, signed: string | null, ctx: AuthContext): Promise<void> {
  await verifyAndRecordNonce(h, signed, ctx, await checkNonce(h, ctx));
}
