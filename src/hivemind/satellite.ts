/**
 * A HiveMind node (client) over a WebSocket: protocol v3 handshake, encrypted HELLO,
 * HiveMessages both ways (chunked above 65000 bytes), typed errors and a deadline.
 *
 * @module
 */
import { astring, equalBytes } from "../common/bytes.js";
import { HandshakeStateError, InvalidArgumentError, PoormanError, RequestTimeoutError } from "../common/errors.js";
import { HiveMindClient } from "./client.js";
import { closeReason, runAttempt, type AttemptFailure, type OpenAttempt } from "./connection.js";
import { authorizationUrl } from "./authorization.js";
import { CLOSE, CONNECT_TIMEOUT_MS, DEFAULT_USERAGENT, type HiveMindPattern, type HiveMindSuite } from "./constants.js";
import { busMessage, checkSessionId, type HiveMessage, parseHiveMessage, randomSessionId, serializeHiveMessage } from "./message.js";
import { Listeners } from "./listeners.js";
import { openIntercom, rsaKeyId, rsaPublicKeyPem, sealIntercom, type SealIntercomOptions } from "./intercom.js";
import type { RSAKeyInput } from "../rsa/index.js";
import { parseX25519Key } from "./session.js";
import { type WebSocketConstructor, webSocketImplementation } from "./websocket.js";

/** Options of {@link HiveMindNode.connect}. */
export interface HiveMindNodeOptions {
  /** The access key the hub knows this node by. */
  accessKey: string;
  /** The HiveMind password of that access key. */
  password: string;
  /** The name sent in the authorization (default `poorman-handshake`); no `:`. */
  useragent?: string | undefined;
  /** The site id sent in the HELLO and in every bus message's session (default `unknown`). */
  siteId?: string | undefined;
  /** The session id (random by default; never `default`). */
  sessionId?: string | undefined;
  /** This node's X25519 static private key (32 bytes or hex); generated when absent. */
  staticKey?: Uint8Array | string | undefined;
  /** The hub's pinned static key: KKpsk0 when the hub offers it, else XXpsk2. */
  pinnedHubKey?: Uint8Array | string | undefined;
  /** Noise suites in preference order (default ChaChaPoly, then AESGCM). */
  suites?: readonly HiveMindSuite[] | undefined;
  /**
   * This node's RSA private key (PEM, DER or `CryptoKey`). Its public half goes in the HELLO
   * (`pubkey`), as hivemind_bus_client sends it: the hub pins it and checks the signature of
   * every INTERCOM this node sends; other nodes seal INTERCOMs for it.
   */
  rsaKey?: RSAKeyInput | undefined;
  /** Deadline of the whole connect, retry included (default 10 000 ms). */
  timeoutMs?: number | undefined;
  /** A WebSocket constructor; default: the installed one (`ws` on Node) or the global `WebSocket`. */
  WebSocket?: WebSocketConstructor | undefined;
}

/** The close of a connection: the WebSocket close code and reason. */
export interface HiveMindCloseEvent {
  /** 1000 normal, 1005 none given (hivemind-core), 1008 refused (our hub says why), 1006 lost. */
  readonly code: number;
  /** The peer's reason, or ours. */
  readonly reason: string;
}

/** The routing envelopes a node may send: hivemind-core's BROADCAST (admins only), PROPAGATE and ESCALATE. */
export type HiveMindRouteType = "broadcast" | "propagate" | "escalate";

/** Events of a {@link HiveMindNode}. */
export interface HiveMindNodeEvents {
  /** Every decrypted HiveMessage. */
  message: (message: Required<HiveMessage>) => void;
  /** The connection closed (once). */
  close: (event: HiveMindCloseEvent) => void;
}

type Resolved = Required<Pick<HiveMindNodeOptions, "accessKey" | "password" | "useragent" | "siteId" | "sessionId" | "timeoutMs">> & HiveMindNodeOptions;

function resolveOptions(options: HiveMindNodeOptions): Resolved {
  if (options === null || typeof options !== "object") throw new InvalidArgumentError("options must be an object");
  const timeoutMs = options.timeoutMs ?? CONNECT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new InvalidArgumentError(`options.timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
  return {
    ...options,
    accessKey: astring(options.accessKey, "options.accessKey"),
    password: astring(options.password, "options.password"),
    useragent: options.useragent ?? DEFAULT_USERAGENT,
    siteId: astring(options.siteId ?? "unknown", "options.siteId"),
    sessionId: checkSessionId(options.sessionId ?? randomSessionId(), "options.sessionId"),
    timeoutMs,
  };
}

/**
 * A connected HiveMind node. Create it with {@link HiveMindNode.connect}, which resolves
 * once the v3 handshake and the node's encrypted HELLO are done.
 */
export class HiveMindNode {
  /** This connection's session id (in the HELLO and every bus message). */
  readonly sessionId: string;
  /** This node's site id. */
  readonly siteId: string;
  /** The hub's X25519 static key (pin it: pass it as `pinnedHubKey` next time). */
  readonly remoteStaticKey: Uint8Array;
  /** Our X25519 static public key (what the hub pins). */
  readonly staticPublicKey: Uint8Array;
  /** The Noise handshake hash (channel binding). */
  readonly handshakeHash: Uint8Array;
  /** The PEM public key this node presented in its HELLO (from `rsaKey`), if any. */
  readonly rsaPublicKey: string | undefined;
  /** The RSA public key (PEM) the hub presented in its HELLO, if any: an INTERCOM for the hub is sealed for it. */
  readonly hubRsaPublicKey: string | undefined;
  /** The pattern and suite of this session. */
  readonly protocol: { readonly pattern: HiveMindPattern; readonly suite: HiveMindSuite };
  /**
   * True when a `pinnedHubKey` was given but not confirmed: the hub refused KKpsk0 (the
   * node then connected again with XXpsk2) or presented another key. Check
   * `remoteStaticKey` before you replace the pin.
   */
  readonly stalePin: boolean;
  readonly #client: HiveMindClient;
  readonly #rsaKey: RSAKeyInput | undefined;
  /** {@link rsaKeyId} of `hubRsaPublicKey`, parsed once rather than on every INTERCOM. */
  readonly #hubRsaKeyId: string | undefined;
  readonly #socket: OpenAttempt["socket"];
  readonly #listeners = new Listeners<HiveMindNodeEvents>();
  #pending: Required<HiveMessage>[] | undefined = [];
  #closed: HiveMindCloseEvent | undefined;

  private constructor(attempt: OpenAttempt, client: HiveMindClient, options: Resolved, stalePin: boolean, rsaPublicKey: string | undefined) {
    this.#client = client;
    this.#rsaKey = options.rsaKey;
    this.rsaPublicKey = rsaPublicKey;
    this.hubRsaPublicKey = client.hubRsaPublicKey;
    this.#hubRsaKeyId = rsaKeyId(client.hubRsaPublicKey);
    this.#socket = attempt.socket;
    this.sessionId = options.sessionId;
    this.siteId = options.siteId;
    this.remoteStaticKey = client.remoteStaticKey!;
    this.staticPublicKey = client.staticPublicKey;
    this.handshakeHash = client.handshakeHash!;
    this.protocol = { pattern: client.pattern!, suite: client.suite! };
    const pin = options.pinnedHubKey === undefined ? undefined : parseX25519Key(options.pinnedHubKey, "options.pinnedHubKey");
    this.stalePin = stalePin || (pin !== undefined && !equalBytes(pin, this.remoteStaticKey));
    attempt.handOver((frame) => this.#onFrame(frame), (code, reason) => this.#onClose(code, reason));
  }

  /**
   * Connects to a hub.
   * @param url - `ws://host:port` or `wss://...`; the authorization is added to its query
   * @param options - see {@link HiveMindNodeOptions}
   * @throws HandshakeRejectedError (`ERR_HANDSHAKE_REJECTED`) for a wrong password, a refused
   *   access key or a hub without v3; NetworkError (`ERR_NETWORK`) when no connection opens;
   *   RequestTimeoutError (`ERR_TIMEOUT`) when all this takes longer than `timeoutMs`
   */
  static async connect(url: string, options: HiveMindNodeOptions): Promise<HiveMindNode> {
    const resolved = resolveOptions(options);
    const target = authorizationUrl(url, resolved.useragent, resolved.accessKey);
    const WebSocketClass = resolved.WebSocket ?? webSocketImplementation();
    const pubkey = resolved.rsaKey === undefined ? undefined : await rsaPublicKeyPem(resolved.rsaKey);
    const hello: HiveMessage = { msg_type: "hello", payload: { session: { session_id: resolved.sessionId, site_id: resolved.siteId }, site_id: resolved.siteId, ...(pubkey === undefined ? {} : { pubkey }) } };
    let live: OpenAttempt["socket"] | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        live?.close(CLOSE.normal, "timeout");
        reject(new RequestTimeoutError(`connecting to the HiveMind hub ${url} took longer than ${resolved.timeoutMs} ms`));
      }, resolved.timeoutMs);
    });
    const once = async (pinnedHubKey: Uint8Array | string | undefined) => {
      const client = await HiveMindClient.create({ password: resolved.password, staticKey: resolved.staticKey, pinnedHubKey, suites: resolved.suites });
      live = new WebSocketClass(target);
      live.binaryType = "arraybuffer";
      return { client, attempt: await runAttempt(live, client, hello, url) };
    };
    try {
      let stalePin = false;
      const run = once(resolved.pinnedHubKey).catch(async (failure: AttemptFailure | PoormanError) => {
        if (!("kind" in failure)) throw failure;
        if (failure.kind !== "kk-refused") throw failure.error;
        stalePin = true; // neither real side falls back on the same connection: a fresh one, XXpsk2
        return once(undefined).catch((again: AttemptFailure | PoormanError) => {
          throw "kind" in again ? again.error : again;
        });
      });
      const { client, attempt } = await Promise.race([run, deadline]);
      return new HiveMindNode(attempt, client, resolved, stalePin, pubkey);
    } catch (error) {
      if (live !== undefined && live.readyState < 2) live.close(CLOSE.normal, "connect failed");
      throw error;
    } finally {
      clearTimeout(timer);
      deadline.catch(() => undefined);
    }
  }

  /** True until the connection closed. */
  get open(): boolean {
    return this.#closed === undefined;
  }

  /**
   * Adds a listener. Messages that arrived before the first `message` listener are
   * delivered to it (so none is lost between `connect` and `on`).
   */
  on<E extends keyof HiveMindNodeEvents>(event: E, listener: HiveMindNodeEvents[E]): this {
    this.#listeners.on(event, listener);
    if (event === "message" && this.#pending !== undefined) {
      const pending = this.#pending;
      this.#pending = undefined;
      queueMicrotask(() => pending.forEach((m) => this.#listeners.emit("message", m)));
    }
    if (event === "close" && this.#closed !== undefined) {
      const closed = this.#closed;
      queueMicrotask(() => (listener as HiveMindNodeEvents["close"])(closed));
    }
    return this;
  }

  /** Removes a listener. */
  off<E extends keyof HiveMindNodeEvents>(event: E, listener: HiveMindNodeEvents[E]): this {
    this.#listeners.off(event, listener);
    return this;
  }

  /**
   * Sends a HiveMessage (wire field names), in several frames when over 65000 bytes.
   * @throws HandshakeStateError once the connection is closed
   */
  async send(message: HiveMessage): Promise<void> {
    const text = serializeHiveMessage(message);
    if (this.#closed !== undefined) throw new HandshakeStateError("the connection is closed");
    for (const frame of await this.#client.encrypt(0, text)) this.#socket.send(frame);
  }

  /**
   * Sends an OVOS bus message (`msg_type: "bus"`); the session (`session_id`, `site_id`)
   * is written into its context, as the real client does.
   */
  async sendBus(type: string, data: Record<string, unknown> = {}, context: Record<string, unknown> = {}): Promise<void> {
    const session = { ...((context.session as Record<string, unknown> | undefined) ?? {}), session_id: this.sessionId, site_id: this.siteId };
    await this.send(busMessage(type, data, { ...context, session }));
  }

  /**
   * Sends `inner` in a routing envelope, for the hub to relay as hivemind-core does:
   * `broadcast` to every other client (admins only: the hub disconnects anyone else),
   * `propagate` to every other client and upstream, `escalate` upstream only.
   * @param options - `targetSiteId`: the site whose hub should also deliver an inner `bus` message to its own agent
   */
  sendRouted(type: HiveMindRouteType, inner: HiveMessage, options: { targetSiteId?: string | undefined } = {}): Promise<void> {
    if (type !== "broadcast" && type !== "propagate" && type !== "escalate") throw new InvalidArgumentError(`type must be broadcast, propagate or escalate, got ${JSON.stringify(type)}`);
    return this.send({ msg_type: type, payload: inner, target_site_id: options.targetSiteId ?? null });
  }

  /**
   * Seals `inner` for the node holding `recipientPublicKey` (INTERCOM, signed with this
   * node's `rsaKey`) and sends it, in a `propagate` by default as hivemind_bus_client does,
   * so that it travels the hive until it reaches that node; only that node can read it.
   * @param via - the envelope (`propagate`, `broadcast`, `escalate`), or `none` for a bare INTERCOM
   * @param options - the envelope's `layout` (see {@link sealIntercom}). By default, hivemind-core's
   *   `hub` layout when the recipient is this node's hub (its HELLO key: the only layout
   *   hivemind-core's hub opens), else `bus-client`, the only layout hivemind_bus_client nodes
   *   open (our nodes and hubs open both).
   * @throws InvalidArgumentError when this node has no `rsaKey`
   */
  async sendIntercom(inner: HiveMessage, recipientPublicKey: string, via: HiveMindRouteType | "none" = "propagate", options: SealIntercomOptions = {}): Promise<void> {
    if (this.#rsaKey === undefined) throw new InvalidArgumentError("sendIntercom needs options.rsaKey (the hub checks the signature against the key of the HELLO)");
    const recipientId = rsaKeyId(recipientPublicKey);
    const forTheHub = recipientId !== undefined && recipientId === this.#hubRsaKeyId;
    const sealed = await sealIntercom(inner, recipientPublicKey, this.#rsaKey, { layout: forTheHub ? "hub" : "bus-client", ...options });
    await (via === "none" ? this.send(sealed) : this.sendRouted(via, sealed));
  }

  /**
   * Opens an INTERCOM sealed for this node's `rsaKey`.
   * @returns the inner HiveMessage
   * @throws DecryptionError when it was not sealed for this node; InvalidArgumentError without `rsaKey`
   */
  openIntercom(message: HiveMessage): Promise<Required<HiveMessage>> {
    if (this.#rsaKey === undefined) return Promise.reject(new InvalidArgumentError("openIntercom needs options.rsaKey"));
    return openIntercom(message, this.#rsaKey);
  }

  /** Bytes queued on the socket and not yet sent (a relay uses it to stop feeding a slow link). */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount ?? 0;
  }

  /** Closes the connection (code 1000 by default). */
  close(code: number = CLOSE.normal, reason = ""): void {
    if (this.#socket.readyState < 2) this.#socket.close(code, reason);
  }

  #onFrame(frame: Uint8Array | string): void {
    if (typeof frame === "string" || this.#closed !== undefined) return; // text on v3: dropped, as the real client does
    this.#client.decrypt(frame).then(
      (decoded) => {
        // Only JSON HiveMessages: this node never asks for HIVEMIND-WIRE-1 bitstrings.
        if (decoded === undefined || decoded.marker !== 0 || this.#closed !== undefined) return;
        this.#deliver(parseHiveMessage(decoded.body));
      },
      (error: unknown) => this.#fatal(error),
    ).catch((error: unknown) => this.#fatal(error));
  }

  #deliver(message: Required<HiveMessage>): void {
    if (this.#pending !== undefined) this.#pending.push(message);
    else this.#listeners.emit("message", message);
  }

  #fatal(error: unknown): void {
    const reason = error instanceof PoormanError ? error.message : "transport failure";
    this.close(CLOSE.policy, closeReason(reason));
    this.#onClose(CLOSE.policy, reason);
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed !== undefined) return;
    this.#closed = { code, reason };
    this.#listeners.emit("close", this.#closed);
  }
}
