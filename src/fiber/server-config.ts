/**
 * How a {@link FiberServer} is configured: its options, the shape of its routes, and
 * the defaults of its limits. Its answer texts are part of the wire (`constants.ts`);
 * the request handling is `server.ts`.
 *
 * @module
 */
import type { RSAKeyInput } from "../rsa/index.js";
import type { Authorizer } from "./authorize.js";
import { ENCRYPTED_BODY_TTL_MARGIN_MS, NONCE_WINDOW_MS } from "./constants.js";
import type { Keypair } from "./keypair.js";
import type { SymmetricKeyStore } from "./keystore.js";
import type { NonceStore } from "./nonce.js";
import type { SignatureVerifier } from "./verify.js";
import type { PoormanWarning, WarningHandler } from "../common/warnings.js";

/**
 * Which of Fiber's two protocols a {@link FiberServer} speaks: `"signed"` (Fiber 2's
 * default: plain JSON signed over the body's hash), `"encrypted"` (the RSA key exchange
 * and Fernet bodies), or `"both"`. Both protocols sign `nonce:miner_hotkey:X`, where X is
 * a body's SHA-256 hex or a 64-hex key uuid, which nothing tells apart: a server that
 * speaks both lets a man in the middle turn two held-back signed requests into a key
 * exchange and an encrypted request accepted as their validator (docs/protocol.md).
 */
export type FiberProtocol = "signed" | "encrypted" | "both";

/** The protocols {@link FiberServerOptions.protocol} takes. */
export const FIBER_PROTOCOLS: readonly FiberProtocol[] = ["signed", "encrypted", "both"];

/** Code of the warning a {@link FiberServer} created with `protocol: "both"` gives. */
export const BOTH_PROTOCOLS_WARNING = "POORMAN_FIBER_BOTH_PROTOCOLS";

/** The {@link BOTH_PROTOCOLS_WARNING} warning: what `protocol: "both"` exposes a miner to. */
export const BOTH_PROTOCOLS_WARNING_TEXT: PoormanWarning = {
  code: BOTH_PROTOCOLS_WARNING,
  message:
    "this Fiber miner speaks both the signed and the encrypted protocol on one hotkey: both sign nonce:miner_hotkey:X, so a man in the middle who holds back two signed requests with the same body can exchange a key of his own with the first and send encrypted requests as that validator with the second; serve one protocol per hotkey unless validators reach the miner only over TLS",
};

/**
 * Default TTL of encrypted bodies in seconds (130): the nonce window plus a margin. A
 * validator makes the token when it sends, with the clock its nonce is checked against.
 */
export const DEFAULT_ENCRYPTED_BODY_TTL_S: number = Math.ceil((NONCE_WINDOW_MS + ENCRYPTED_BODY_TTL_MARGIN_MS) / 1000);
/** Default largest request body: 4 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Default most bytes of request bodies buffered at once, across all requests: 64 MiB. */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** Default deadline for a whole request body: 20 s. */
export const DEFAULT_BODY_TIMEOUT_MS = 20_000;
/**
 * Bodies up to this size (64 KiB: Fiber requests are small) may use the whole
 * `maxBufferedBytes`; larger ones stop an eighth short of it, so slow large uploads
 * cannot starve small requests.
 */
export const SMALL_BODY_BYTES = 64 * 1024;

/** Options of {@link FiberServer.create}. */
export interface FiberServerOptions {
  /** The miner's hotkey; requests must name its address in `miner-hotkey`. */
  keypair: Keypair;
  /**
   * The RSA private key (PEM, DER or `CryptoKey`), to keep it across restarts, e.g. from
   * `loadOrCreateRSAKey(path)` of `poorman-handshake/node`; a fresh RSA-2048 key at every
   * start (as Python) by default, except with `protocol: "signed"`, which uses no RSA key
   * and generates none.
   */
  rsaPrivateKey?: RSAKeyInput | undefined;
  /** Which validators may use the miner; everyone with a valid signature by default. */
  authorize?: Authorizer | undefined;
  /** Replay protection; in memory by default (use a shared store for several processes). */
  nonceStore?: NonceStore | undefined;
  /**
   * The protocol the server speaks ({@link FiberProtocol}). By default the first route
   * declared chooses it (`route` encrypted, `signedRoute` signed), and declaring a route of
   * the other protocol then throws. With `"signed"` the handshake paths answer 404. Only
   * `"both"` serves both on one miner hotkey, which exposes it to cross-protocol reuse of
   * signatures (see {@link FiberProtocol}); the server then gives a
   * {@link BOTH_PROTOCOLS_WARNING} warning.
   */
  protocol?: FiberProtocol | undefined;
  /** Hears the server's warnings (`protocol: "both"`); `process.emitWarning` (or `console.warn`) by default. */
  onWarning?: WarningHandler | undefined;
  /** Exchanged keys; in memory by default. */
  keyStore?: SymmetricKeyStore | undefined;
  /**
   * Refuse encrypted bodies whose Fernet token is older than this many seconds (400), so an
   * old body cannot be replayed under fresh headers (the signature does not cover the
   * body). {@link DEFAULT_ENCRYPTED_BODY_TTL_S} (nonce window + margin) by default; Python
   * sets no TTL. Widen it for validators whose requests take longer to arrive.
   */
  encryptedBodyTtlSeconds?: number | undefined;
  /** Largest accepted request body in bytes (413 beyond); 4 MiB by default. */
  maxBodyBytes?: number | undefined;
  /**
   * Most bytes of request bodies held at once across all requests in flight (503 with
   * `retry-after` for the body that would go over); 64 MiB by default, at least
   * `maxBodyBytes`. Bodies are read only after the headers pass their checks; bodies
   * over {@link SMALL_BODY_BYTES} may hold only seven eighths of it.
   */
  maxBufferedBytes?: number | undefined;
  /** Deadline for receiving a whole request body, in milliseconds (408 beyond); 20 s by default. */
  bodyTimeoutMs?: number | undefined;
  /** Current time in milliseconds; `Date.now` by default. */
  clock?: (() => number) | undefined;
  /** Sign the public key response with the hotkey (an extension old clients ignore); true by default. */
  signPublicKey?: boolean | undefined;
  /**
   * Verifies request signatures; `Keypair.verify` on this thread by default. On Node,
   * `SignatureVerifyPool` of `poorman-handshake/node` runs them on worker threads when
   * requests overlap (an idle pool verifies on this thread), so they overlap with the HTTP
   * work of other requests. It is called at the same point (after
   * the header and nonce checks, before any RSA work), so the check order does not change.
   */
  verifySignature?: SignatureVerifier | undefined;
}

/** What a route handler gets besides the payload. */
export interface FiberRouteContext {
  /** The authenticated validator's ss58 address. */
  validatorHotkey: string;
  /**
   * The original request (headers, URL). Its body has been consumed (through
   * {@link FiberServer.handle}, e.g. in `serve`, it is a `Request` without a body, built
   * when first read).
   */
  readonly request: Request;
}

/**
 * A route. Encrypted ({@link FiberServer.route}): the body is a Fernet token of JSON,
 * decrypted with the key the validator exchanged. Signed ({@link FiberServer.signedRoute}):
 * the body is plain JSON, signed over its hash. `parse` validates the JSON (throw to
 * answer 422), `handler` answers. With `method: "GET"`, a signed GET without a body.
 */
export interface FiberRoute<T> {
  /**
   * The route's method: `"POST"` by default. A `"GET"` route (Fiber 2.4.0+) has no body: it
   * takes no `parse`, and its handler gets `undefined`. It is signed as Fiber 2.5.0 signs
   * GETs: over `nonce:miner_hotkey` on a signed route, over `nonce:miner_hotkey:uuid` (with
   * `symmetric-key-uuid`, which is not looked up) on an encrypted one.
   */
  method?: "GET" | "POST" | undefined;
  /**
   * Validates and types the decrypted JSON, e.g. `schema.parse` of zod or valibot; throw to refuse (422).
   * It receives the payload without the `nonce` field Fiber's client adds to every object.
   */
  parse?: ((value: unknown) => T) | undefined;
  /** Returns a JSON-serialisable value (sent as 200 JSON) or a `Response`. Throw a `FiberHttpError` for another status. */
  handler: (payload: T, context: FiberRouteContext) => unknown | Promise<unknown>;
}

