/**
 * Fiber 2's default protocol, sans I/O: no key exchange, a plain JSON body, and every
 * request signed over `nonce:miner_hotkey:sha256hex(body)`. The server side is in
 * `signed-route.ts`, the client side in `signed-client.ts`.
 *
 * @module
 */
import type { HeaderLookup } from "./raw.js";
import { abytes, astring, bufferSource, toHex, utf8 } from "../common/bytes.js";
import { InvalidArgumentError } from "../common/errors.js";
import { JSON_CONTENT_TYPE, MINER_HOTKEY_HEADER, NONCE_HEADER, SIGNATURE_HEADER, SIGNED_REQUEST_HEADERS, VALIDATOR_HOTKEY_HEADER } from "./constants.js";
import { missing, type ValidationIssue } from "./http.js";
import { Keypair } from "./keypair.js";
import { generateNonce } from "./nonce.js";
import { isSs58Address } from "./ss58.js";
import { type SignedHeaderFields } from "./verify.js";
import { signedGetMessage, signingMessage } from "./constants.js";

/** The lowercase hex SHA-256 of some bytes, synchronous or not. */
export type Sha256Hex = (bytes: Uint8Array) => string | Promise<string>;

const webCryptoSha256Hex: Sha256Hex = async (bytes) => toHex(new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bufferSource(bytes))));
let sha256Hex: Sha256Hex = webCryptoSha256Hex;

/**
 * Replaces the SHA-256 of {@link bodyHash} (Web Crypto by default). The Node entry points
 * install `node:crypto`'s: a signed server hashes every body, and for Fiber's small
 * bodies Web Crypto's hop to the thread pool and back costs more than the hash itself.
 */
export function setBodyHashBackend(backend: Sha256Hex): void {
  if (typeof backend !== "function") throw new InvalidArgumentError("backend must be a function (bytes) => hex string");
  sha256Hex = backend;
}

/**
 * The lowercase hex SHA-256 of a body, as Python's `signatures.get_hash`.
 * @param body - the exact bytes sent (a string is hashed as its UTF-8 bytes)
 */
export async function bodyHash(body: Uint8Array | string): Promise<string> {
  return sha256Hex(typeof body === "string" ? utf8(body) : abytes(body, "body"));
}

/**
 * The text a signed request's signature covers: `{nonce}:{minerHotkey}:{sha256hex(body)}`
 * (Python's `construct_header_signing_message` with `get_hash` of the body).
 * @param nonce - the request's nonce
 * @param minerHotkey - the ss58 address of the miner the request is meant for
 * @param body - the exact body bytes (a string as its UTF-8 bytes)
 */
export async function signedRequestMessage(nonce: string, minerHotkey: string, body: Uint8Array | string): Promise<string> {
  return signingMessage(astring(nonce, "nonce"), astring(minerHotkey, "minerHotkey"), await bodyHash(body));
}

/** Options of {@link signedRequestHeaders}. */
export interface SignedRequestHeaderOptions {
  /** The nonce to use; a fresh one (`{time_ns}_{10 alphanumerics}`) by default. */
  nonce?: string | undefined;
  /** Current time in milliseconds for the fresh nonce; `Date.now()` by default. */
  nowMs?: number | undefined;
}

/**
 * The headers of a signed request, as Python's `get_headers_with_nonce`:
 * `Content-Type`, `validator-hotkey`, `miner-hotkey`, `nonce`, `signature`. Send `body`
 * byte for byte as it was signed.
 * @param keypair - the validator's hotkey
 * @param minerHotkey - the miner's ss58 address
 * @param body - the exact body bytes (a string as its UTF-8 bytes)
 * @param options - see {@link SignedRequestHeaderOptions}
 */
export async function signedRequestHeaders(keypair: Keypair, minerHotkey: string, body: Uint8Array | string, options: SignedRequestHeaderOptions = {}): Promise<Record<string, string>> {
  if (!(keypair instanceof Keypair)) throw new InvalidArgumentError("keypair must be a Keypair");
  if (!isSs58Address(minerHotkey)) throw new InvalidArgumentError("minerHotkey must be an ss58 address");
  const nonce = options.nonce ?? generateNonce(options.nowMs ?? Date.now());
  const signature = await keypair.signHex(await signedRequestMessage(nonce, minerHotkey, body));
  return {
    "content-type": JSON_CONTENT_TYPE,
    [VALIDATOR_HOTKEY_HEADER]: keypair.ss58Address,
    [MINER_HOTKEY_HEADER]: minerHotkey,
    [NONCE_HEADER]: nonce,
    [SIGNATURE_HEADER]: signature,
  };
}

/**
 * The headers of a signed-mode GET (Fiber 2.4.0+), as Python's `_get_headers` with no
 * payload: `Content-Type: application/json` (with no body), `validator-hotkey`,
 * `miner-hotkey`, `nonce`, and `signature` over `nonce:miner_hotkey`.
 * @param keypair - the validator's hotkey
 * @param minerHotkey - the miner's ss58 address
 * @param options - see {@link SignedRequestHeaderOptions}
 */
export async function signedGetHeaders(keypair: Keypair, minerHotkey: string, options: SignedRequestHeaderOptions = {}): Promise<Record<string, string>> {
  if (!(keypair instanceof Keypair)) throw new InvalidArgumentError("keypair must be a Keypair");
  if (!isSs58Address(minerHotkey)) throw new InvalidArgumentError("minerHotkey must be an ss58 address");
  const nonce = options.nonce ?? generateNonce(options.nowMs ?? Date.now());
  return {
    "content-type": JSON_CONTENT_TYPE,
    [VALIDATOR_HOTKEY_HEADER]: keypair.ss58Address,
    [MINER_HOTKEY_HEADER]: minerHotkey,
    [NONCE_HEADER]: nonce,
    [SIGNATURE_HEADER]: await keypair.signHex(signedGetMessage(nonce, minerHotkey)),
  };
}

/**
 * The body of a signed request: `JSON.stringify(value)` as UTF-8. Any encoding works
 * with a Python miner, which hashes the bytes it received; these are the bytes to sign.
 * @throws InvalidArgumentError when `value` has no JSON text (`undefined`, a function)
 */
export function jsonBody(value: unknown, name = "body"): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new InvalidArgumentError(`${name} must be JSON-serialisable`, { cause });
  }
  if (text === undefined) throw new InvalidArgumentError(`${name} must be JSON-serialisable, got ${typeof value}`);
  return utf8(text);
}

/**
 * Reads the four signed-request headers, adding FastAPI's 422 entries for the missing
 * ones (in Python's order). An empty header counts as present, as in FastAPI.
 */
export function readSignedHeaders(headers: HeaderLookup, issues: ValidationIssue[]): SignedHeaderFields | undefined {
  let complete = true;
  for (const name of SIGNED_REQUEST_HEADERS) {
    if (headers.get(name) === null) {
      issues.push(missing("header", name));
      complete = false;
    }
  }
  if (!complete) return undefined;
  return {
    validatorHotkey: headers.get(VALIDATOR_HOTKEY_HEADER)!,
    minerHotkey: headers.get(MINER_HOTKEY_HEADER)!,
    nonce: headers.get(NONCE_HEADER)!,
    signature: headers.get(SIGNATURE_HEADER)!,
  };
}
