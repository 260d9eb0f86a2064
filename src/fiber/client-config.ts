/**
 * How a {@link FiberClient} is configured: its options and the defaults of its limits and
 * retry; the requests themselves are `client.ts`.
 *
 * @module
 */
import type { FiberClient } from "./client.js";
import type { Keypair } from "./keypair.js";
import type { ResponseTooLargeError } from "../common/errors.js";

/** Default timeout of an encrypted request. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Default largest answer of an encrypted route: 16 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Largest answer to a handshake request (public key, key exchange): 64 KiB (a Fiber public key answer is under 1 KiB). */
export const MAX_HANDSHAKE_RESPONSE_BYTES = 64 * 1024;
/**
 * Default wait before the one retry of a request refused with 503
 * `NONCE_UNVERIFIABLE_DETAIL` (a restarted miner): 1 s, the miner's `retry-after`.
 */
export const DEFAULT_NONCE_RETRY_DELAY_MS = 1000;

/** Options of {@link FiberClient}. */
export interface FiberClientOptions {
  /** The validator's hotkey. */
  keypair: Keypair;
  /** A `fetch` implementation; the global one by default. */
  fetch?: typeof globalThis.fetch | undefined;
  /** Timeout of each handshake request; 3 s by default, as Fiber. */
  handshakeTimeoutMs?: number | undefined;
  /** Timeout of each encrypted request; 10 s by default. */
  timeoutMs?: number | undefined;
  /**
   * Largest answer of an encrypted route in bytes, 16 MiB by default; beyond it the
   * download is aborted with a {@link ResponseTooLargeError}. Handshake answers are
   * limited to {@link MAX_HANDSHAKE_RESPONSE_BYTES}.
   */
  maxResponseBytes?: number | undefined;
  /**
   * Refuse miners whose public key response is not signed by their hotkey (our
   * extension; Python miners do not sign). False by default; a bad signature is always refused.
   */
  requireSignedKey?: boolean | undefined;
  /** Current time in milliseconds; `Date.now` by default. */
  clock?: (() => number) | undefined;
  /**
   * A miner that restarted (or whose nonce store lost data) refuses nonces minted before
   * that moment with 503 `NONCE_UNVERIFIABLE_DETAIL`; every request then waits this long
   * and is sent once more with a fresh nonce (once only). 1000 ms by default
   * ({@link DEFAULT_NONCE_RETRY_DELAY_MS}); 0 retries at once.
   */
  nonceRetryDelayMs?: number | undefined;
}

/** Options of {@link FiberClient.post}. */
export interface FiberPostOptions<T> {
  /** Validates and types the miner's answer (e.g. `schema.parse`); what it throws, `post` throws. */
  parse?: ((value: unknown) => T) | undefined;
}

/** An exchanged symmetric key. */
export interface FiberSession {
  /** The key id sent as `symmetric-key-uuid` (64 lowercase hex digits). */
  uuid: string;
  /** The 32-byte symmetric key, URL-safe base64 (a Fernet key). */
  key: string;
}
