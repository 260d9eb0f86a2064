/**
 * `FiberClient`: the validator side. Handshakes with miners (cached per miner and URL)
 * and sends Fernet-encrypted JSON to their routes.
 *
 * @module
 */
import { aint, astring, randomBytes, toBase64, toBase64Url, toHex } from "../common/bytes.js";
import { HandshakeRejectedError, HttpStatusError, InvalidArgumentError, PoormanError, RequestTimeoutError, ResponseTooLargeError } from "../common/errors.js";
import { encryptRSA } from "../rsa/index.js";
import {
  DETAIL,
  ENCRYPTED_KEY_FIELD,
  EXCHANGE_PATH,
  HANDSHAKE_TIMEOUT_MS,
  MINER_HOTKEY_HEADER,
  NONCE_HEADER,
  NONCE_UNVERIFIABLE_DETAIL,
  OCTET_STREAM_CONTENT_TYPE,
  PUBLIC_KEY_PATH,
  RSA_OAEP_HASH,
  SIGNATURE_HEADER,
  SYMMETRIC_KEY_BYTES,
  SYMMETRIC_KEY_UUID_BYTES,
  SYMMETRIC_KEY_UUID_HEADER,
  VALIDATOR_HOTKEY_HEADER,
  signingMessage,
} from "./constants.js";
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_NONCE_RETRY_DELAY_MS, DEFAULT_REQUEST_TIMEOUT_MS, MAX_HANDSHAKE_RESPONSE_BYTES, type FiberClientOptions, type FiberPostOptions, type FiberSession } from "./client-config.js";
import { Fernet } from "./fernet.js";
import { Keypair } from "./keypair.js";
import { exceedsJsonDepth, MAX_JSON_DEPTH, readBounded } from "./limits.js";
import { generateNonce } from "./nonce.js";
import { httpStatusError, plainHeaders, signedPostInit, streamLines, type SignedRequestOptions } from "./signed-client.js";
import { addPayloadNonce } from "./payload-nonce.js";
import { verifyPublicKeyResponse, type PublicKeyResponse } from "./pubkey.js";
import { checkBaseUrl, networkError } from "./request-errors.js";
import { isSs58Address } from "./ss58.js";
import { signedGetHeaders } from "./signed.js";

interface CachedSession extends FiberSession {
  fernet: Fernet;
}

/**
 * A Fiber validator client.
 *
 * @example
 * ```ts
 * const client = new FiberClient({ keypair: await Keypair.fromMnemonic(phrase) });
 * const answer = await client.post("http://127.0.0.1:7999", minerSs58, "/echo", { hello: "miner" });
 * ```
 */
export class FiberClient {
  readonly #keypair: Keypair;
  readonly #fetch: typeof globalThis.fetch;
  readonly #handshakeTimeout: number;
  readonly #timeout: number;
  readonly #maxResponse: number;
  readonly #requireSignedKey: boolean;
  readonly #clock: () => number;
  readonly #nonceRetryDelay: number;
  readonly #sessions = new Map<string, Promise<CachedSession>>();

  /** @param options - see {@link FiberClientOptions} */
  constructor(options: FiberClientOptions) {
    if (!(options?.keypair instanceof Keypair)) throw new InvalidArgumentError("options.keypair must be a Keypair");
    this.#keypair = options.keypair;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#handshakeTimeout = aint(options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS, "options.handshakeTimeoutMs", 1);
    this.#timeout = aint(options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, "options.timeoutMs", 1);
    this.#maxResponse = aint(options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, "options.maxResponseBytes", 1);
    this.#requireSignedKey = options.requireSignedKey ?? false;
    this.#clock = options.clock ?? Date.now;
    this.#nonceRetryDelay = aint(options.nonceRetryDelayMs ?? DEFAULT_NONCE_RETRY_DELAY_MS, "options.nonceRetryDelayMs", 0);
  }

  /**
   * The exchanged key for (miner, URL), handshaking only when none is cached;
   * concurrent callers share one handshake.
   * @param baseUrl - the miner's root URL, e.g. `http://127.0.0.1:7999`
   * @param minerHotkey - the miner's ss58 address
   */
  async handshake(baseUrl: string, minerHotkey: string): Promise<FiberSession> {
    const { uuid, key } = await this.#session(baseUrl, minerHotkey);
    return { uuid, key };
  }

  /** Forgets the cached key of (miner, URL); the next call handshakes again. */
  forget(baseUrl: string, minerHotkey: string): void {
    this.#sessions.delete(sessionId(baseUrl, minerHotkey));
  }

  /**
   * POSTs `payload` as a Fernet token to `route` and returns the parsed JSON answer,
   * typed by `options.parse` when given (e.g. `schema.parse` of zod or valibot).
   * An object payload gets Fiber's `nonce` field (the server removes it), so it must not
   * have one. When the miner has lost the key (400 `No symmetric key found…`),
   * handshakes once more and retries once; when it refuses the nonce as minted before it
   * restarted (503), retries once with a fresh nonce (see `nonceRetryDelayMs`).
   * @throws HttpStatusError with the status and `detail` of any other error answer, or
   *   for an answer that is not JSON (or nests deeper than 64 levels)
   * @throws ResponseTooLargeError for an answer over `maxResponseBytes`
   * @throws InvalidArgumentError for a base URL that is not http(s) or a payload with a `nonce` field
   */
  post<T>(baseUrl: string, minerHotkey: string, route: string, payload: unknown, options: FiberPostOptions<T> & { parse: (value: unknown) => T }): Promise<T>;
  /** Without `parse`, the answer is the miner's JSON, `unknown` until you check it. */
  post(baseUrl: string, minerHotkey: string, route: string, payload: unknown, options?: FiberPostOptions<unknown>): Promise<unknown>;
  async post(baseUrl: string, minerHotkey: string, route: string, payload: unknown, options: FiberPostOptions<unknown> = {}): Promise<unknown> {
    astring(route, "route");
    for (let attempt = 0; ; attempt++) {
      const session = await this.#session(baseUrl, minerHotkey);
      let answer: unknown;
      try {
        answer = await this.#retryOnRestart(() => this.#postOnce(baseUrl, minerHotkey, route, payload, session));
      } catch (error) {
        const lostKey = error instanceof HttpStatusError && error.status === 400 && error.detail === DETAIL.noSymmetricKey;
        if (!lostKey || attempt > 0) throw error;
        this.forget(baseUrl, minerHotkey);
        continue;
      }
      return options.parse === undefined ? answer : options.parse(answer);
    }
  }

  /**
   * POSTs `body` as plain JSON to a signed route (Fiber 2's default protocol, as Python's
   * `make_non_streamed_post`, but sending exactly the bytes it signed) and returns the
   * parsed JSON answer. No handshake.
   * @param baseUrl - the miner's root URL
   * @param minerHotkey - the miner's ss58 address (the request is signed for it)
   * @param route - e.g. `/echo-signed`
   * @param body - any JSON-serialisable value
   * @param options - see {@link SignedRequestOptions}
   * @throws HttpStatusError with the status and `detail` of an error answer
   */
  async postSigned(baseUrl: string, minerHotkey: string, route: string, body: unknown, options: SignedRequestOptions = {}): Promise<unknown> {
    const url = joinUrl(astring(baseUrl, "baseUrl"), astring(route, "route"));
    const timeoutMs = this.#timeoutOf(options);
    return this.#retryOnRestart(async () => this.#request(url, await signedPostInit(this.#keypair, minerHotkey, body, this.#clock()), timeoutMs, this.#maxResponse));
  }

  /**
   * GETs a signed-mode route of a Fiber 2.4.0+ miner (as Python's `make_non_streamed_get`
   * of `fiber.validator.client`): `validator-hotkey`, `miner-hotkey`, `nonce` and a
   * signature over `nonce:miner_hotkey`, no body. Returns the parsed JSON answer. Errors
   * and limits are those of {@link FiberClient.postSigned}, and so is the one retry on a
   * restarted miner's 503.
   * @param baseUrl - the miner's root URL
   * @param minerHotkey - the miner's ss58 address (the request is signed for it)
   * @param route - e.g. `/example-subnet-get`
   * @param options - see {@link SignedRequestOptions}
   * @throws HttpStatusError with the status and `detail` of an error answer
   */
  async getSigned(baseUrl: string, minerHotkey: string, route: string, options: SignedRequestOptions = {}): Promise<unknown> {
    const url = joinUrl(astring(baseUrl, "baseUrl"), astring(route, "route"));
    checkBaseUrl(baseUrl);
    const timeoutMs = this.#timeoutOf(options);
    return this.#retryOnRestart(async () => {
      const headers = await signedGetHeaders(this.#keypair, minerHotkey, { nowMs: this.#clock() });
      return this.#request(url, { method: "GET", headers }, timeoutMs, this.#maxResponse);
    });
  }

  /**
   * GETs an encrypted-mode route of a Fiber 2.4.0+ miner (as Python's
   * `make_non_streamed_get` of `fiber.encrypted.validator.client`): the five headers of an
   * encrypted request, signed over `nonce:miner_hotkey:uuid` with the key exchanged with
   * this miner (a handshake first when none is cached), `Content-Type:
   * application/octet-stream`, no body. The answer is plain JSON, as Fiber's. Errors,
   * limits and the one retry on a restarted miner's 503 are those of {@link FiberClient.post}.
   * @param baseUrl - the miner's root URL
   * @param minerHotkey - the miner's ss58 address
   * @param route - e.g. `/example-subnet-get`
   * @param options - see {@link SignedRequestOptions}
   * @throws HttpStatusError with the status and `detail` of an error answer
   */
  async getEncrypted(baseUrl: string, minerHotkey: string, route: string, options: SignedRequestOptions = {}): Promise<unknown> {
    astring(route, "route");
    const timeoutMs = this.#timeoutOf(options);
    const session = await this.#session(baseUrl, minerHotkey);
    return this.#retryOnRestart(async () => {
      const headers = await this.#headers(generateNonce(this.#clock()), minerHotkey, session.uuid);
      headers.set("content-type", OCTET_STREAM_CONTENT_TYPE);
      return this.#request(joinUrl(baseUrl, route), { method: "GET", headers }, timeoutMs, this.#maxResponse);
    });
  }

  /**
   * POSTs `body` as plain JSON to a signed route and yields the answer's lines, as
   * Python's `make_streamed_post`: each without its line ending, empty lines as `""`.
   * Errors (such as {@link HttpStatusError} before any line) surface on iteration;
   * leaving the loop early cancels the request. A restarted miner's 503 (before any line)
   * is retried once with a fresh nonce, as for the other requests.
   * @param options - see {@link SignedRequestOptions}; the timeout applies to each chunk
   */
  streamSigned(baseUrl: string, minerHotkey: string, route: string, body: unknown, options: SignedRequestOptions = {}): AsyncIterable<string> {
    const timeoutMs = this.#timeoutOf(options);
    const url = joinUrl(astring(baseUrl, "baseUrl"), astring(route, "route"));
    const clock = this.#clock;
    const keypair = this.#keypair;
    const fetch = this.#fetch;
    const delay = this.#nonceRetryDelay;
    return {
      async *[Symbol.asyncIterator]() {
        for (let attempt = 0; ; attempt++) {
          let lines = 0;
          try {
            for await (const line of streamLines({ fetch, url, init: await signedPostInit(keypair, minerHotkey, body, clock()), timeoutMs })) {
              lines++;
              yield line;
            }
            return;
          } catch (error) {
            if (lines > 0 || attempt > 0 || !isNonceUnverifiable(error)) throw error;
            await sleep(delay);
          }
        }
      },
    };
  }

  /**
   * GETs a route and returns the parsed JSON answer, sending `validator-hotkey` as
   * Fiber 2.1's `make_non_streamed_get` does. Nothing is signed: the hotkey is a claim.
   * For Fiber 2.1 miners (and unauthenticated routes); a 2.4.0+ miner refuses it on its
   * GET routes (422): use {@link FiberClient.getSigned} or {@link FiberClient.getEncrypted}.
   * @param options - see {@link SignedRequestOptions}
   */
  async get(baseUrl: string, route: string, options: SignedRequestOptions = {}): Promise<unknown> {
    const url = joinUrl(astring(baseUrl, "baseUrl"), astring(route, "route"));
    return this.#request(url, { method: "GET", headers: plainHeaders(this.#keypair.ss58Address) }, this.#timeoutOf(options), this.#maxResponse);
  }

  /** Runs `send` (which mints a fresh nonce each time); on a restarted miner's 503, waits and runs it once more. */
  async #retryOnRestart<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (!isNonceUnverifiable(error)) throw error;
      await sleep(this.#nonceRetryDelay);
      return send();
    }
  }

  #timeoutOf(options: SignedRequestOptions): number {
    return options.timeoutMs === undefined ? this.#timeout : aint(options.timeoutMs, "options.timeoutMs", 1);
  }

  async #postOnce(baseUrl: string, minerHotkey: string, route: string, payload: unknown, session: CachedSession): Promise<unknown> {
    const nonce = generateNonce(this.#clock());
    const body = addPayloadNonce(payload, nonce);
    const token = await session.fernet.encrypt(JSON.stringify(body));
    const headers = await this.#headers(nonce, minerHotkey, session.uuid);
    headers.set("content-type", OCTET_STREAM_CONTENT_TYPE);
    return this.#request(joinUrl(baseUrl, route), { method: "POST", headers, body: token }, this.#timeout, this.#maxResponse);
  }

  #session(baseUrl: string, minerHotkey: string): Promise<CachedSession> {
    astring(baseUrl, "baseUrl");
    checkBaseUrl(baseUrl);
    if (!isSs58Address(minerHotkey)) throw new InvalidArgumentError("minerHotkey must be an ss58 address");
    const id = sessionId(baseUrl, minerHotkey);
    let session = this.#sessions.get(id);
    if (session === undefined) {
      session = this.#exchange(baseUrl, minerHotkey);
      this.#sessions.set(id, session);
      session.catch(() => this.#sessions.get(id) === session && this.#sessions.delete(id));
    }
    return session;
  }

  async #exchange(baseUrl: string, minerHotkey: string): Promise<CachedSession> {
    const keyUrl = joinUrl(baseUrl, PUBLIC_KEY_PATH);
    const keyResponse = (await this.#request(keyUrl, { method: "GET" }, this.#handshakeTimeout, MAX_HANDSHAKE_RESPONSE_BYTES)) as PublicKeyResponse;
    if (keyResponse === null || typeof keyResponse.public_key !== "string" || typeof keyResponse.timestamp !== "number") {
      throw new HandshakeRejectedError(`${baseUrl} sent no public_key and timestamp`);
    }
    if (keyResponse.signature !== undefined || this.#requireSignedKey) {
      if (!(await verifyPublicKeyResponse(keyResponse, minerHotkey, this.#clock()))) {
        throw new HandshakeRejectedError(`the public key of ${baseUrl} is not signed by miner ${minerHotkey}`);
      }
    }
    const raw = randomBytes(SYMMETRIC_KEY_BYTES);
    const uuid = toHex(randomBytes(SYMMETRIC_KEY_UUID_BYTES));
    let encrypted: Uint8Array;
    try {
      encrypted = await encryptRSA(keyResponse.public_key, raw, { hash: RSA_OAEP_HASH });
    } catch (cause) {
      raw.fill(0);
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new HandshakeRejectedError(`miner ${minerHotkey} at ${keyUrl} served a public key we cannot use: ${why}`, { cause });
    }
    const key = toBase64Url(raw);
    const fernet = await Fernet.create(raw, { clock: this.#clock });
    raw.fill(0);
    const body = JSON.stringify({ [ENCRYPTED_KEY_FIELD]: toBase64(encrypted) });
    await this.#retryOnRestart(async () => {
      const headers = await this.#headers(generateNonce(this.#clock()), minerHotkey, uuid);
      headers.set("content-type", "application/json");
      return this.#request(joinUrl(baseUrl, EXCHANGE_PATH), { method: "POST", headers, body }, this.#handshakeTimeout, MAX_HANDSHAKE_RESPONSE_BYTES);
    });
    return { uuid, key, fernet };
  }

  async #headers(nonce: string, minerHotkey: string, uuid: string): Promise<Headers> {
    return new Headers({
      [VALIDATOR_HOTKEY_HEADER]: this.#keypair.ss58Address,
      [MINER_HOTKEY_HEADER]: minerHotkey,
      [SYMMETRIC_KEY_UUID_HEADER]: uuid,
      [NONCE_HEADER]: nonce,
      [SIGNATURE_HEADER]: await this.#keypair.signHex(signingMessage(nonce, minerHotkey, uuid)),
    });
  }

  /** One HTTP exchange with a timeout and a size limit; JSON answer or a typed error. */
  async #request(url: string, init: RequestInit, timeoutMs: number, maxBytes: number): Promise<unknown> {
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      text = await readAnswer(response, maxBytes, `${init.method} ${url}`);
    } catch (cause) {
      if (cause instanceof PoormanError) throw cause;
      if (cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError")) {
        throw new RequestTimeoutError(`${init.method} ${url} took longer than ${timeoutMs} ms`, { cause });
      }
      throw networkError(init.method ?? "GET", url, cause);
    }
    let json: unknown;
    const tooDeep = exceedsJsonDepth(text);
    try {
      json = tooDeep ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) throw httpStatusError(response.status, text, url);
    if (tooDeep) throw new HttpStatusError(response.status, `the answer is JSON nested deeper than ${MAX_JSON_DEPTH} levels`, url);
    if (json === undefined) throw new HttpStatusError(response.status, "the answer is not JSON", url);
    return json;
  }
}

/** The answer's text, aborting the download beyond `maxBytes` (declared or streamed). */
async function readAnswer(response: Response, maxBytes: number, what: string): Promise<string> {
  const limit = maxBytes === MAX_HANDSHAKE_RESPONSE_BYTES ? "the handshake answer limit" : "maxResponseBytes";
  const tooLarge = () => new ResponseTooLargeError(`${what}: the answer is larger than ${maxBytes} bytes (${limit})`, maxBytes);
  const declared = response.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
    void response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return "";
  return new TextDecoder().decode(await readBounded(response.body, { maxBytes, onTooLarge: tooLarge }));
}

/** Whether `error` is a miner's 503 for a nonce minted before it (re)started. */
function isNonceUnverifiable(error: unknown): boolean {
  return error instanceof HttpStatusError && error.status === 503 && error.detail === NONCE_UNVERIFIABLE_DETAIL;
}

function sleep(ms: number): Promise<void> {
  return ms === 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

function sessionId(baseUrl: string, minerHotkey: string): string {
  return `${minerHotkey}\n${baseUrl.replace(/\/+$/, "")}`;
}

function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}
