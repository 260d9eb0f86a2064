/**
 * The authentication pipeline shared by the key exchange and every encrypted route,
 * in Python's order with our hardening: headers (422), authorization (403), the
 * `miner-hotkey` is ours (401), nonce format, window and replay pre-check (401),
 * signature (401), then the nonce is remembered (401 on a race, 429 when full).
 *
 * @module
 */
import { StoreFullError } from "../errors.js";
import type { Authorizer } from "./authorize.js";
import {
  DETAIL,
  MINER_HOTKEY_HEADER,
  NONCE_HEADER,
  NONCE_WINDOW_MS,
  REQUEST_HEADERS,
  SIGNATURE_HEADER,
  SYMMETRIC_KEY_UUID_HEADER,
  VALIDATOR_HOTKEY_HEADER,
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

/** The 401 detail when `miner-hotkey` names another miner (a relayed request). */
export const WRONG_MINER_DETAIL = "Oi, that request was signed for another miner";
/** The 400 detail of a malformed `symmetric-key-uuid`. */
export const BAD_UUID_DETAIL = "symmetric-key-uuid must be 1 to 128 letters, digits, '-' or '_'";
/** The 429 detail when the nonce store is full. */
export const BUSY_DETAIL = "Too many requests, try again later";
const UUID_FORMAT = /^[A-Za-z0-9_-]{1,128}$/;

/** The signed message of every Fiber request: `nonce:miner_hotkey:symmetric_key_uuid`. */
export function signingMessage(nonce: string, minerHotkey: string, symmetricKeyUuid: string): string {
  return `${nonce}:${minerHotkey}:${symmetricKeyUuid}`;
}

/**
 * Reads the five headers, returning FastAPI's 422 entries for the missing ones.
 * An empty header counts as present (as in FastAPI); later checks refuse it.
 */
export function readFiberHeaders(headers: Headers, issues: ValidationIssue[]): FiberHeaders | undefined {
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

/** What {@link authenticate} needs from the server. */
export interface AuthContext {
  minerHotkey: string;
  authorize: Authorizer;
  nonces: NonceStore;
  nonceWindowMs?: number | undefined;
  clock: () => number;
}

/**
 * Runs the checks in order and throws the first failure as a {@link FiberHttpError}.
 * The nonce is remembered only after the signature verifies, so nobody can fill the
 * store with nonces they did not sign.
 */
export async function authenticate(h: FiberHeaders, ctx: AuthContext): Promise<void> {
  const decision = await ctx.authorize(h.validatorHotkey);
  if (!decision.allowed) throw new FiberHttpError(403, decision.detail);
  if (h.minerHotkey !== ctx.minerHotkey) throw new FiberHttpError(401, WRONG_MINER_DETAIL);
  const retention = nonceRetentionMs(h.nonce, ctx.clock(), ctx.nonceWindowMs ?? NONCE_WINDOW_MS);
  if (retention === undefined || (await ctx.nonces.has(h.nonce))) throw new FiberHttpError(401, DETAIL.invalidNonce);
  if (!UUID_FORMAT.test(h.symmetricKeyUuid)) throw new FiberHttpError(400, BAD_UUID_DETAIL);
  const message = signingMessage(h.nonce, h.minerHotkey, h.symmetricKeyUuid);
  if (!(await Keypair.verify(message, h.signature, h.validatorHotkey))) throw new FiberHttpError(401, DETAIL.invalidSignature);
  let fresh: boolean;
  try {
    fresh = await ctx.nonces.add(h.nonce, retention);
  } catch (error) {
    if (error instanceof StoreFullError) throw new FiberHttpError(429, BUSY_DETAIL);
    throw error;
  }
  if (!fresh) throw new FiberHttpError(401, DETAIL.invalidNonce);
}
