/**
 * The Fiber miner as a fetch-style handler, `(Request) => Promise<Response>`, so it
 * mounts in any framework (Hono, Bun, Deno, workers) or in the Node adapter of
 * `poorman-handshake/node`.
 *
 * @module
 */
import { aint, fromBase64Any } from "../common/bytes.js";
import { HandshakeStateError, InvalidArgumentError, NonceUnverifiableError, StoreUnavailableError } from "../common/errors.js";
import { decryptRSA, exportPublicKeyPem, generateRSAKeyPair, importRSAKey } from "../rsa/index.js";
import { allowAll } from "./authorize.js";
import {
  DETAIL,
  ENCRYPTED_KEY_FIELD,
  EXCHANGE_PATH,
  PUBLIC_KEY_PATH,
  RSA_BITS,
  RSA_OAEP_HASH,
  SYMMETRIC_KEY_BYTES,
  SYMMETRIC_KEY_TTL_MS,
} from "./constants.js";
import { FiberHttpError, errorAnswer, missing, parseJson, readBody, throwIfInvalid, type ValidationIssue } from "./http.js";
import { Keypair } from "./keypair.js";
import { MemoryKeyStore, type SymmetricKeyStore } from "./keystore.js";
import { MemoryNonceStore } from "./nonce.js";
import { answerHoldingBudget, ByteBudget, readBounded } from "./limits.js";
import { withoutPayloadNonce } from "./payload-nonce.js";
import { publicKeyMessage } from "./pubkey.js";
import { answerResponse, jsonAnswer, registerRawHandler, routeContext, type FiberRawAnswer, type FiberRawRequest } from "./raw.js";
import { SessionFernets } from "./session-fernets.js";
import { getRouteResponse, signedRouteResponse } from "./signed-route.js";
import { checkHeaders, readFiberHeaders, verifyAndRecordNonce, type AuthContext, type FiberHeaders } from "./verify.js";
import { BOTH_PROTOCOLS_WARNING_TEXT, DEFAULT_BODY_TIMEOUT_MS, DEFAULT_ENCRYPTED_BODY_TTL_S, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_BUFFERED_BYTES, FIBER_PROTOCOLS, SMALL_BODY_BYTES, type FiberProtocol, type FiberRoute, type FiberServerOptions } from "./server-config.js";
import type { PoormanWarning } from "../common/warnings.js";
import { BAD_BASE64_DETAIL, BAD_TOKEN_DETAIL, NONCE_UNVERIFIABLE_DETAIL, STORE_UNAVAILABLE_DETAIL } from "./constants.js";


const NOT_FOUND = () => jsonAnswer({ detail: "Not Found" }, 404);
const METHOD_NOT_ALLOWED = () => jsonAnswer({ detail: "Method Not Allowed" }, 405);
/** Most imported session keys kept; beyond it a key is imported again on its next use. */
const FERNET_CACHE_SIZE = 10_000;

/**
 * A Fiber miner: `GET /public-encryption-key`, `POST /exchange-symmetric-key` and the
 * encrypted routes ({@link FiberServer.route}) and signed routes ({@link FiberServer.signedRoute}) you declare, with Python's statuses, `detail` texts and check order,
 * and the hardening described in docs/protocol.md.
 *
 * @example
 * ```ts
 * const server = await FiberServer.create({ keypair, authorize: allowlist([validator]) });
 * server.route("/echo", { handler: (payload) => payload });
 * // Deno.serve(server.fetch) / export default { fetch: server.fetch } / serveFiber(server, { port })
 * ```
 */
export class FiberServer {
  readonly #keypair: Keypair;
  /** Undefined only for a signed-only server created without a key: it never uses one. */
  readonly #rsa: CryptoKey | undefined;
  readonly #publicKeyPem: string | undefined;
  readonly #auth: AuthContext;
  readonly #keys: SymmetricKeyStore;
  readonly #maxBody: number;
  readonly #buffered: ByteBudget;
  /** How much of the budget bodies over {@link SMALL_BODY_BYTES} may hold. */
  readonly #largeCeiling: number;
  readonly #bodyTimeout: number;
  readonly #bodyTtlSeconds: number;
  readonly #clock: () => number;
  readonly #signPublicKey: boolean;
  readonly #routes = new Map<string, FiberRoute<unknown>>();
  readonly #signedRoutes = new Map<string, FiberRoute<unknown>>();
  readonly #fernets: SessionFernets;
  #protocol: FiberProtocol | undefined;

  private constructor(options: FiberServerOptions, rsa: CryptoKey | undefined, publicKeyPem: string | undefined) {
    this.#keypair = options.keypair;
    this.#rsa = rsa;
    this.#publicKeyPem = publicKeyPem;
    this.#clock = options.clock ?? Date.now;
    this.#keys = options.keyStore ?? new MemoryKeyStore({ clock: this.#clock });
    this.#maxBody = aint(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, "options.maxBodyBytes", 1);
    const maxBuffered = aint(options.maxBufferedBytes ?? Math.max(DEFAULT_MAX_BUFFERED_BYTES, this.#maxBody), "options.maxBufferedBytes", 1);
    if (maxBuffered < this.#maxBody) throw new InvalidArgumentError(`options.maxBufferedBytes (${maxBuffered}) must be at least options.maxBodyBytes (${this.#maxBody})`);
    this.#buffered = new ByteBudget(maxBuffered);
    this.#largeCeiling = Math.max(this.#maxBody, maxBuffered - Math.floor(maxBuffered / 8));
    this.#bodyTimeout = aint(options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS, "options.bodyTimeoutMs", 1);
    this.#bodyTtlSeconds = aint(options.encryptedBodyTtlSeconds ?? DEFAULT_ENCRYPTED_BODY_TTL_S, "options.encryptedBodyTtlSeconds", 1);
    this.#signPublicKey = options.signPublicKey ?? true;
    if (options.protocol !== undefined && !FIBER_PROTOCOLS.includes(options.protocol)) throw new InvalidArgumentError(`options.protocol must be one of ${FIBER_PROTOCOLS.join(", ")}`);
    this.#protocol = options.protocol;
    if (options.protocol === "both") (options.onWarning ?? defaultWarning)(BOTH_PROTOCOLS_WARNING_TEXT);
    if (options.verifySignature !== undefined && typeof options.verifySignature !== "function") {
      throw new InvalidArgumentError("options.verifySignature must be a function (message, signature, ss58Address) => Promise<boolean>");
    }
    this.#fernets = new SessionFernets({ maxEntries: FERNET_CACHE_SIZE, ttlMs: SYMMETRIC_KEY_TTL_MS, clock: this.#clock });
    this.#auth = {
      minerHotkey: options.keypair.ss58Address,
      authorize: options.authorize ?? allowAll,
      nonces: options.nonceStore ?? new MemoryNonceStore({ clock: this.#clock }),
      clock: this.#clock,
      verify: options.verifySignature,
    };
    registerRawHandler(this, this.handle);
    registerRawHandler(this.fetch, this.handle);
  }

  /**
   * Creates a server, generating its RSA key unless one is given, or unless
   * `options.protocol` is `"signed"`: a signed-only server answers 404 on the handshake
   * paths and never uses an RSA key, so it starts without generating one (its
   * {@link FiberServer.publicKeyPem} then throws).
   * @param options - see {@link FiberServerOptions}
   */
  static async create(options: FiberServerOptions): Promise<FiberServer> {
    if (!(options?.keypair instanceof Keypair)) throw new InvalidArgumentError("options.keypair must be a Keypair");
    // Checked again by the constructor; here so that a bad value never skips the key.
    if (options.protocol === "signed" && options.rsaPrivateKey === undefined) return new FiberServer(options, undefined, undefined);
    const input = options.rsaPrivateKey ?? (await generateRSAKeyPair(RSA_BITS)).privateKey;
    // Imported once for OAEP-SHA-256 decryption; requests never parse PEM.
    const [privateKey, publicKeyPem] = await Promise.all([importRSAKey(input, "decrypt", RSA_OAEP_HASH, "options.rsaPrivateKey"), exportPublicKeyPem(input)]);
    // Python Fiber serves `cryptography`'s PEM, which ends with one newline (pycryptodome's, ours, has none).
    return new FiberServer(options, privateKey, `${publicKeyPem}\n`);
  }

  /** The miner's ss58 address. */
  get minerHotkey(): string {
    return this.#keypair.ss58Address;
  }

  /**
   * The RSA public key served at `/public-encryption-key`: SPKI PEM byte-identical to
   * Python Fiber's (64-character lines, LF, one trailing newline).
   * @throws HandshakeStateError for a server created with `protocol: "signed"` and no
   * `rsaPrivateKey`: it has no RSA key
   */
  get publicKeyPem(): string {
    if (this.#publicKeyPem === undefined) {
      throw new HandshakeStateError('this server speaks the signed protocol only (options.protocol "signed") and was created without options.rsaPrivateKey: it has no RSA key');
    }
    return this.#publicKeyPem;
  }

  /**
   * The protocol the server speaks: `options.protocol`, else the one of the first route
   * declared; undefined until then.
   */
  get protocol(): FiberProtocol | undefined {
    return this.#protocol;
  }

  /**
   * Declares an encrypted route: a POST whose body is a Fernet token, or, with
   * `method: "GET"`, a GET signed over `nonce:miner_hotkey:uuid` (Fiber 2.4.0+).
   * @param path - e.g. `"/echo"`; not one of the two handshake paths
   * @param route - see {@link FiberRoute}
   * @throws InvalidArgumentError when the server speaks the signed protocol only
   */
  route<T>(path: string, route: FiberRoute<T>): this {
    return this.#add(this.#routes, path, route);
  }

  /**
   * Declares a signed route (Fiber 2's default protocol): a POST with a plain JSON body, the
   * request signed over the body's hash, or, with `method: "GET"`, a GET signed over
   * `nonce:miner_hotkey` (Fiber 2.4.0+); no key exchange. See `signed-route.ts`.
   * @param path - e.g. `"/echo-signed"`; not a handshake path nor an encrypted route
   * @param route - see {@link FiberRoute}; `parse` gets the body's JSON
   * @throws InvalidArgumentError when the server speaks the encrypted protocol only
   */
  signedRoute<T>(path: string, route: FiberRoute<T>): this {
    return this.#add(this.#signedRoutes, path, route);
  }

  #add<T>(routes: Map<string, FiberRoute<unknown>>, path: string, route: FiberRoute<T>): this {
    if (typeof path !== "string" || !path.startsWith("/") || path === PUBLIC_KEY_PATH || path === EXCHANGE_PATH) {
      throw new InvalidArgumentError("path must start with '/' and not be a handshake path");
    }
    if ((routes === this.#routes ? this.#signedRoutes : this.#routes).has(path)) throw new InvalidArgumentError(`path ${path} is already a route of the other protocol`);
    if (typeof route?.handler !== "function") throw new InvalidArgumentError("route.handler must be a function");
    if (route.method !== undefined && route.method !== "GET" && route.method !== "POST") throw new InvalidArgumentError('route.method must be "GET" or "POST"');
    if (route.method === "GET" && route.parse !== undefined) throw new InvalidArgumentError("a GET route has no body: it takes no parse");
    const protocol = routes === this.#routes ? "encrypted" : "signed";
    if (this.#protocol !== undefined && this.#protocol !== "both" && this.#protocol !== protocol) {
      throw new InvalidArgumentError(
        `this FiberServer speaks the ${this.#protocol} protocol only, so ${path} cannot be a ${protocol} route: both protocols sign the same message, so one miner hotkey serving both lets signatures of one be used in the other (docs/protocol.md); pass protocol: "both" to FiberServer.create to accept that risk`,
      );
    }
    this.#protocol ??= protocol;
    routes.set(path, route as FiberRoute<unknown>);
    return this;
  }

  /** Bytes of request bodies held right now (at most `maxBufferedBytes`). */
  get bufferedBytes(): number {
    return this.#buffered.used;
  }

  /** Answers one request. Never throws; malformed input gets a 4xx. Bound, so it can be passed around. */
  readonly fetch = async (request: Request): Promise<Response> => {
    let raw: FiberRawRequest;
    try {
      const body = request.body;
      raw = {
        method: request.method,
        pathname: new URL(request.url).pathname,
        headers: request.headers,
        readBody: body === null ? null : (options) => readBounded(body, options),
        toRequest: () => request,
      };
    } catch {
      return answerResponse(jsonAnswer({ detail: "Internal Server Error" }, 500)); // not a Request
    }
    const answer = await this.handle(raw);
    return answer instanceof Response ? answer : answerResponse(answer);
  };

  /**
   * Answers one request given as its parts, without a WHATWG `Request`: the same checks,
   * statuses and bodies as {@link FiberServer.fetch} (which calls it), for adapters that
   * can skip the conversion (`serve` of `poorman-handshake/node` does). Never throws.
   * Bound, so it can be passed around.
   * @returns the answer, or the `Response` a route handler returned
   */
  readonly handle = async (request: FiberRawRequest): Promise<FiberRawAnswer | Response> => {
    try {
      return await this.#dispatch(request);
    } catch (error) {
      if (error instanceof FiberHttpError) return errorAnswer(error);
      if (error instanceof NonceUnverifiableError) return jsonAnswer({ detail: NONCE_UNVERIFIABLE_DETAIL }, 503, { "retry-after": "1" });
      if (error instanceof StoreUnavailableError) return jsonAnswer({ detail: STORE_UNAVAILABLE_DETAIL }, 503, { "retry-after": "1" });
      return jsonAnswer({ detail: "Internal Server Error" }, 500);
    }
  };

  async #dispatch(request: FiberRawRequest): Promise<FiberRawAnswer | Response> {
    const path = request.pathname;
    const signed = this.#signedRoutes.get(path);
    if (signed !== undefined) {
      if (request.method !== (signed.method ?? "POST")) return METHOD_NOT_ALLOWED();
      if (signed.method === "GET") return getRouteResponse(request, signed, this.#auth, false);
      // Python's order: the body is decoded before any header is looked at, so signed
      // routes read it first (within the shared budget and the body timeout).
      return this.#withBody(request, (body) => signedRouteResponse(request, body, signed, this.#auth));
    }
    const route = this.#routes.get(path);
    const method = path === PUBLIC_KEY_PATH ? "GET" : path === EXCHANGE_PATH ? "POST" : route?.method ?? (route === undefined ? undefined : "POST");
    // Answered, not thrown: no stack trace is captured for the commonest refusals.
    // A signed-only server has no key exchange: its signed requests cannot be replayed to one.
    if (method === undefined || (route === undefined && this.#protocol === "signed")) return NOT_FOUND();
    if (request.method !== method) return METHOD_NOT_ALLOWED();
    if (path === PUBLIC_KEY_PATH) return this.#publicKey();
    if (route?.method === "GET") return getRouteResponse(request, route, this.#auth, true);
    // Headers first: a request that fails them is answered before its body is read.
    const issues: ValidationIssue[] = [];
    const headers = readFiberHeaders(request.headers, issues);
    throwIfInvalid(issues);
    const retention = await checkHeaders(headers!, this.#auth);
    return this.#withBody(request, async (body) => {
      if (path === EXCHANGE_PATH) {
        const encryptedKey = exchangeBody(request, body, issues);
        throwIfInvalid(issues);
        await verifyAndRecordNonce(headers!, headers!.symmetricKeyUuid, this.#auth, retention);
        return await this.#exchange(headers!, encryptedKey!);
      }
      await verifyAndRecordNonce(headers!, headers!.symmetricKeyUuid, this.#auth, retention);
      return await this.#encrypted(request, headers!, body, route!);
    });
  }

  /**
   * Reads the body within the bytes all requests share (503 beyond), `maxBodyBytes` (413)
   * and the body timeout (408), runs `use`, then gives the bytes back.
   */
  async #withBody(request: FiberRawRequest, use: (body: Uint8Array) => Promise<FiberRawAnswer | Response>): Promise<FiberRawAnswer | Response> {
    let held = 0;
    const reserve = (bytes: number) => {
      if (!this.#buffered.tryTake(bytes, held + bytes > SMALL_BODY_BYTES ? this.#largeCeiling : undefined)) return false;
      held += bytes;
      return true;
    };
    let release = () => this.#buffered.give(held);
    try {
      const answer = await use(await readBody(request, { maxBytes: this.#maxBody, reserve, timeoutMs: this.#bodyTimeout }));
      if (!(answer instanceof Response) || answer.body === null) return answer;
      // A route's own Response (a stream, say) may hold what it made of the body until it is
      // sent: the body's bytes stay counted until that answer ends or is cancelled.
      const end = release;
      release = () => {};
      return answerHoldingBudget(answer, end);
    } finally {
      release();
    }
  }

  async #publicKey(): Promise<FiberRawAnswer> {
    const timestamp = this.#clock() / 1000;
    const publicKeyPem = this.publicKeyPem;
    const body: Record<string, unknown> = { public_key: publicKeyPem, timestamp };
    if (this.#signPublicKey) {
      body.miner_hotkey = this.#keypair.ss58Address;
      body.signature = await this.#keypair.signHex(publicKeyMessage(publicKeyPem, timestamp, this.#keypair.ss58Address));
    }
    return jsonAnswer(body);
  }

  async #exchange(h: FiberHeaders, encryptedKey: string): Promise<FiberRawAnswer> {
    // Unreachable (a keyless server is signed-only, whose handshake paths answer 404 first), kept as a 404 rather than a crash.
    if (this.#rsa === undefined) return NOT_FOUND();
    const rsa = this.#rsa;
    let ciphertext: Uint8Array;
    try {
      ciphertext = fromBase64Any(encryptedKey, ENCRYPTED_KEY_FIELD);
    } catch {
      throw new FiberHttpError(400, BAD_BASE64_DETAIL);
    }
    let key: Uint8Array;
    try {
      key = await decryptRSA(rsa, ciphertext, { hash: RSA_OAEP_HASH });
    } catch {
      throw new FiberHttpError(401, DETAIL.cannotDecryptKey);
    }
    // A key of another length would be a 500 in Python; it is just another bad ciphertext.
    if (key.length !== SYMMETRIC_KEY_BYTES) throw new FiberHttpError(401, DETAIL.cannotDecryptKey);
    this.#fernets.drop(h.validatorHotkey, h.symmetricKeyUuid);
    try {
      await this.#keys.set(h.validatorHotkey, h.symmetricKeyUuid, key, SYMMETRIC_KEY_TTL_MS);
    } finally {
      key.fill(0);
    }
    return jsonAnswer({ status: DETAIL.exchangeOk });
  }

  async #encrypted(request: FiberRawRequest, h: FiberHeaders, body: Uint8Array, route: FiberRoute<unknown>): Promise<FiberRawAnswer | Response> {
    const key = await this.#keys.get(h.validatorHotkey, h.symmetricKeyUuid);
    if (key === undefined) {
      this.#fernets.drop(h.validatorHotkey, h.symmetricKeyUuid); // expired or missing: forget its import too
      throw new FiberHttpError(400, DETAIL.noSymmetricKey);
    }
    let plain: Uint8Array;
    try {
      plain = await (await this.#fernets.fernet(h.validatorHotkey, h.symmetricKeyUuid, key)).decrypt(body, { ttl: this.#bodyTtlSeconds });
    } catch {
      throw new FiberHttpError(400, BAD_TOKEN_DETAIL);
    } finally {
      key.fill(0);
    }
    const json = withoutPayloadNonce(parseJson(plain));
    let payload: unknown = json;
    if (route.parse !== undefined) {
      try {
        payload = route.parse(json);
      } catch (error) {
        const msg = error instanceof Error ? error.message : String(error);
        throw new FiberHttpError(422, [{ type: "value_error", loc: ["body"], msg, input: null }]);
      }
    }
    const result = await route.handler(payload, routeContext(h.validatorHotkey, request));
    return result instanceof Response ? result : jsonAnswer(result ?? null);
  }
}

/** Where a warning goes without `options.onWarning`: a process warning on Node, else the console. */
function defaultWarning(warning: PoormanWarning): void {
  const emit = (globalThis as { process?: { emitWarning?: (message: string, options: { code: string; type: string }) => void } }).process?.emitWarning;
  if (typeof emit === "function") emit(warning.message, { code: warning.code, type: "PoormanFiberWarning" });
  else console.warn(`${warning.code}: ${warning.message}`);
}

/** Validates the exchange body as FastAPI would for `{"encrypted_symmetric_key": str}`. */
function exchangeBody(request: FiberRawRequest, body: Uint8Array, issues: ValidationIssue[]): string | undefined {
  const type = request.headers.get("content-type") ?? "";
  if (body.length === 0 || !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    issues.push(missing("body"));
    return undefined;
  }
  let json: unknown;
  try {
    json = parseJson(body);
  } catch (error) {
    if (error instanceof FiberHttpError) issues.push(...(error.detail as ValidationIssue[]));
    return undefined;
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    issues.push({ type: "model_attributes_type", loc: ["body"], msg: "Input should be a valid dictionary or object to extract fields from", input: json });
    return undefined;
  }
  const value = (json as Record<string, unknown>)[ENCRYPTED_KEY_FIELD];
  if (value === undefined) issues.push(missing("body", ENCRYPTED_KEY_FIELD));
  else if (typeof value !== "string") issues.push({ type: "string_type", loc: ["body", ENCRYPTED_KEY_FIELD], msg: "Input should be a valid string", input: value });
  else return value;
  return undefined;
}

