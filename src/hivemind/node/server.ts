/**
 * `serveHiveMind`: a HiveMind v3 hub on a WebSocket server (the `ws` package). The
 * per-connection protocol is the sans-I/O {@link HubConnection}; this module adds the
 * authorization, the client records, pins, rate limiting and the socket.
 *
 * @module
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { aint, equalBytes, toHex } from "../../shared/bytes.js";
import { HandshakeRejectedError, InvalidArgumentError, KeyMismatchError, PoormanError } from "../../shared/errors.js";
import { HIVEMIND_WIRE, type HiveMessage, type HiveMindSuite, parseAuthorization, parseX25519Key } from "../index.js";
import "./install.js";
import { closeReason, frameData } from "../connection.js";
import { HubConnection } from "../hub-connection.js";
import { runCallback } from "../listeners.js";
import { staticPrivateKey } from "../session.js";
import { ReassemblyBudget } from "../transport.js";
import { MAX_MESSAGE_BYTES } from "../constants.js";
import { type HiveMindClientRecord, type HiveMindClientStore, clientStore } from "./clients.js";
import type { X25519PinStore } from "../../noise/node/x25519-key-files.js";
import { FailureLimiter } from "./limiter.js";
import { forbidden, HubRouter } from "./router.js";
import { type HiveMindUpstreamEvent, type HiveMindUpstreamLink, type HiveMindUpstreamOptions, UpstreamLink } from "./upstream.js";
import { rsaKeyId, rsaPublicKeyPem } from "../intercom.js";
import type { RSAKeyInput } from "../../rsa/index.js";
import "../../rsa/node/install.js";

const { CLOSE } = HIVEMIND_WIRE;

/** Limits on failed handshakes (unknown key, bad authorization, failed or abandoned handshake). */
export interface HiveMindRateLimit {
  /** Failures per access key and window before that key is refused (default 10). */
  perKey?: number | undefined;
  /** Failures per remote address and window before that address is refused (default 50). */
  perAddress?: number | undefined;
  /** The window in milliseconds (default 60 000). */
  windowMs?: number | undefined;
  /** Most keys and addresses remembered (default 10 000 each). */
  maxTracked?: number | undefined;
  /** Handshakes in progress at once from one address (default 32); more are refused with 1013. */
  maxPendingPerAddress?: number | undefined;
}

/** Options of {@link serveHiveMind}. */
export interface ServeHiveMindOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string | undefined;
  /** Port (default 0: any free port). */
  port?: number | undefined;
  /** The hub's node id: HELLO `node_id`, the PSK salt (default `poorman-handshake-hub`). */
  nodeId?: string | undefined;
  /** The hub's X25519 static private key (32 bytes or hex); random when absent. */
  staticKey?: Uint8Array | string | undefined;
  /** Client records, or a store to look them up. */
  clients: readonly HiveMindClientRecord[] | HiveMindClientStore;
  /** Pins learned on first contact are kept here (by client name) and read back. */
  pinStore?: X25519PinStore | undefined;
  /** Suites to offer (default both). */
  suites?: readonly HiveMindSuite[] | undefined;
  /**
   * What the hub delivers locally, as hivemind-core hands it to its agent: every `bus` and
   * `shared_bus` message a client sends that the policy lets through; the `bus` message a
   * BROADCAST, PROPAGATE or ESCALATE carries when the wrapper's `target_site_id` is this
   * hub's `siteId`; and the message inside an INTERCOM sealed for this hub's `rsaKey`.
   */
  onMessage?(client: HiveMindConnectedClient, message: Required<HiveMessage>): void;
  /**
   * Every BROADCAST, PROPAGATE and ESCALATE a client sends that the hub routes (as it
   * arrived, named by the hub, with the client's hop in `route`): hivemind-core's
   * broadcast, propagate and escalate callbacks.
   */
  onRoute?(client: HiveMindConnectedClient, message: Required<HiveMessage>): void;
  /** The hub's site id: a wrapper whose `target_site_id` is this one is also delivered to `onMessage`. */
  siteId?: string | undefined;
  /**
   * The hub's RSA private key (PEM, DER or `CryptoKey`): its public half goes in the HELLO
   * (`pubkey`), INTERCOMs sealed for it are opened and delivered to `onMessage`, and it
   * names this hub in routes (loop detection).
   */
  rsaKey?: RSAKeyInput | undefined;
  /**
   * An upstream hub this hub is a node of: it connects with `HiveMindNode`
   * (reconnecting with exponential backoff), sends PROPAGATE and ESCALATE up, and passes
   * BROADCAST and PROPAGATE coming down to every client.
   */
  upstream?: HiveMindUpstreamOptions | undefined;
  /** Every message the upstream hub sends (an INTERCOM sealed for this hub: opened). */
  onUpstreamMessage?(message: Required<HiveMessage>): void;
  /** The upstream link connected, dropped or failed to connect. */
  onUpstream?(event: HiveMindUpstreamEvent): void;
  /**
   * Routed messages (BROADCAST, PROPAGATE, ESCALATE, relayed INTERCOM) one client may send
   * per second, and at once (default 100); past it they are not relayed, the first refusal of
   * each second is answered with `hive.policy.denied` (`relay_rate_limited`), and a client
   * refused more than this many times within a second is closed (1008), so that one client cannot flood
   * the others nor keep the hub decrypting what it will refuse.
   */
  maxRelaysPerSecond?: number | undefined;
  /** A client finished its handshake and HELLO. */
  onConnect?(client: HiveMindConnectedClient): void;
  /** A connected client went away. */
  onDisconnect?(client: HiveMindConnectedClient, event: { code: number; reason: string }): void;
  /**
   * A connection ended before its HELLO was accepted: refused by the hub (bad or unknown
   * authorization, rate limit, failed handshake, refused key) or abandoned by the client
   * (a wrong password shows up this way with XXpsk2). For logs and metrics.
   */
  onRefused?(event: HiveMindRefusal): void;
  /** Failed-handshake limits. */
  rateLimit?: HiveMindRateLimit | undefined;
  /** Time a client has from connecting to its HELLO (default 10 000 ms). */
  handshakeTimeoutMs?: number | undefined;
  /**
   * Most bytes queued to one client that it has not read yet (default 16 MiB). A client
   * that lets more pile up (answers it never reads, broadcasts it cannot keep up with) is
   * closed with 1008, so an idle reader cannot make the hub hold unbounded memory.
   */
  maxUnreadBytes?: number | undefined;
  /** Largest message a client may send, reassembled from chunk frames (default and most 32 MiB); over it, 1009. */
  maxMessageBytes?: number | undefined;
  /**
   * Most bytes held at once, across all clients, for messages still being reassembled
   * (default 64 MiB); a chunk past it closes its connection with 1013.
   */
  maxReassemblyBytes?: number | undefined;
  /** Most TCP connections at once, upgraded or not (default 1024); more are dropped at accept. */
  maxConnections?: number | undefined;
  /** Time a connection has to send its upgrade request (default 10 000 ms). */
  upgradeTimeoutMs?: number | undefined;
}

/** Default of {@link ServeHiveMindOptions.maxReassemblyBytes}. */
export const DEFAULT_MAX_REASSEMBLY_BYTES = 64 * 1024 * 1024;
/** Default of {@link ServeHiveMindOptions.maxConnections}. */
export const DEFAULT_MAX_CONNECTIONS = 1024;

/** Default of {@link ServeHiveMindOptions.maxUnreadBytes}. */
export const DEFAULT_MAX_UNREAD_BYTES = 16 * 1024 * 1024;
/** The close reason of a client that stopped reading. */
export const NOT_READING_REASON = "too much unread data: the client is not reading";

/** A connection that ended before its HELLO was accepted. */
export interface HiveMindRefusal {
  /** The remote address. */
  readonly address: string;
  /** The access key, once the authorization was read. */
  readonly accessKey?: string | undefined;
  /** Why. */
  readonly reason: string;
}

/** A connected client, as `onMessage` and friends see it. */
export interface HiveMindConnectedClient {
  /** Its record's name. */
  readonly name: string;
  /** The useragent of its authorization. */
  readonly useragent: string;
  /**
   * `useragent::name::session_id`, unique among the connected clients (a second connection
   * with the same three gets `#2`, then `#3`, ... appended): how everything the hub passes
   * on from it is named (`context.peer`, `context.source`, `source_peer`).
   */
  readonly peer: string;
  /** Its session id (from its HELLO). */
  readonly sessionId: string;
  /** Its site id (from its HELLO). */
  readonly siteId: string;
  /** Its X25519 static key. */
  readonly remoteStaticKey: Uint8Array;
  /** The remote address. */
  readonly address: string;
  /** May send BROADCAST (its record's `isAdmin`). */
  readonly isAdmin: boolean;
  /** May send PROPAGATE and CASCADE (its record's `canPropagate`). */
  readonly canPropagate: boolean;
  /** May send ESCALATE and QUERY (its record's `canEscalate`). */
  readonly canEscalate: boolean;
  /** Bus types it may send (its record's `allowedTypes`; all when undefined). */
  readonly allowedTypes: readonly string[] | undefined;
  /** The RSA public key (PEM) its HELLO presented, when it matches its pin: INTERCOMs sealed for it reach it. */
  readonly rsaPublicKey: string | undefined;
  /** Sends it a HiveMessage. */
  send(message: HiveMessage): Promise<void>;
  /** Sends it an OVOS bus message. */
  sendBus(type: string, data?: Record<string, unknown>, context?: Record<string, unknown>): Promise<void>;
  /** Disconnects it. */
  close(code?: number, reason?: string): void;
}

/** A running hub. */
export interface HiveMindHubServer {
  /** `ws://host:port`. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** The hub's X25519 static public key (what nodes pin). */
  readonly publicKey: Uint8Array;
  /** The connected clients. */
  readonly clients: ReadonlySet<HiveMindConnectedClient>;
  /** Sends `message` to every connected client. */
  broadcast(message: HiveMessage): Promise<void>;
  /** The link to the upstream hub, when `upstream` was given. */
  readonly upstream: HiveMindUpstreamLink | undefined;
  /** Disconnects everyone (1001) and stops listening. */
  close(): Promise<void>;
}

const remoteAddress = (request: IncomingMessage) => request.socket.remoteAddress ?? "unknown";

/**
 * Starts a hub.
 * @throws InvalidArgumentError for bad options (bad records, repeated keys or names)
 */
export async function serveHiveMind(options: ServeHiveMindOptions): Promise<HiveMindHubServer> {
  if (options === null || typeof options !== "object") throw new InvalidArgumentError("options must be an object");
  const store = clientStore(options.clients);
  const staticKeyPair = staticPrivateKey(options.staticKey);
  const staticKey = staticKeyPair.privateKey;
  const nodeId = options.nodeId ?? "poorman-handshake-hub";
  const limits = options.rateLimit ?? {};
  const windowMs = limits.windowMs ?? 60_000;
  const maxTracked = limits.maxTracked ?? 10_000;
  const byKey = new FailureLimiter({ maxFailures: limits.perKey ?? 10, windowMs, maxTracked });
  const byAddress = new FailureLimiter({ maxFailures: limits.perAddress ?? 50, windowMs, maxTracked });
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const maxUnreadBytes = aint(options.maxUnreadBytes ?? DEFAULT_MAX_UNREAD_BYTES, "options.maxUnreadBytes", 1);
  const maxPending = limits.maxPendingPerAddress ?? 32;
  // Sockets that connected but have not sent their HELLO yet, per address (entries at 0 are removed).
  const pending = new Map<string, number>();
  const settle = (address: string) => {
    const left = (pending.get(address) ?? 1) - 1;
    if (left <= 0) pending.delete(address);
    else pending.set(address, left);
  };
  const connected = new Set<HiveMindConnectedClient>();
  // The peer names in use: each connected client's is unique.
  const peers = new Set<string>();
  const uniquePeer = (base: string) => {
    let peer = base;
    for (let n = 2; peers.has(peer); n++) peer = `${base}#${n}`;
    peers.add(peer);
    return peer;
  };

  const maxMessageBytes = aint(options.maxMessageBytes ?? MAX_MESSAGE_BYTES, "options.maxMessageBytes", 1, MAX_MESSAGE_BYTES);
  const reassemblyBudget = new ReassemblyBudget(aint(options.maxReassemblyBytes ?? DEFAULT_MAX_REASSEMBLY_BYTES, "options.maxReassemblyBytes", 1));
  const upgradeTimeoutMs = aint(options.upgradeTimeoutMs ?? 10_000, "options.upgradeTimeoutMs", 1);
  const relaysPerSecond = aint(options.maxRelaysPerSecond ?? 100, "options.maxRelaysPerSecond", 1);
  const rsaPubkey = options.rsaKey === undefined ? undefined : await rsaPublicKeyPem(options.rsaKey);
  // The RSA keys pinned by record name on first HELLO (hivemind-core pins them per access key, in memory).
  const rsaPins = new Map<string, string>();
  const upstreamLink = options.upstream === undefined ? undefined : new UpstreamLink(
    { ...options.upstream, rsaKey: options.upstream.rsaKey ?? options.rsaKey }, maxUnreadBytes,
    (message) => void router.fromUpstream(message).catch(() => undefined),
    (event) => runCallback(() => options.onUpstream?.(event)),
  );
  const router: HubRouter<HiveMindConnectedClient> = new HubRouter({
    hubPeer: nodeId,
    nodeIdentity: rsaPubkey ?? toHex(staticKeyPair.publicKey),
    siteId: options.siteId,
    rsaKey: options.rsaKey,
    rsaKeyId: rsaKeyId(rsaPubkey),
    relaysPerSecond,
    clients: () => connected,
    upstream: (message) => upstreamLink?.send(message) ?? false,
    deliver: (client, message) => runCallback(() => options.onMessage?.(client, message)),
    routed: (client, message) => options.onRoute?.(client, message),
    fromUpstream: (message) => options.onUpstreamMessage?.(message),
  });

  // Our own HTTP server: connections that never upgrade are bounded by count and time.
  const http = createServer({ connectionsCheckingInterval: Math.min(1000, upgradeTimeoutMs) }, (_request, response) => response.writeHead(426, { connection: "close" }).end("a HiveMind hub speaks WebSocket only\n"));
  http.maxConnections = aint(options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, "options.maxConnections", 1);
  http.timeout = upgradeTimeoutMs; // silent connections (ws clears it on upgrade)
  http.headersTimeout = upgradeTimeoutMs; // slow ones
  http.requestTimeout = upgradeTimeoutMs;
  const server = new WebSocketServer({ server: http, maxPayload: 256 * 1024 });
  await new Promise<void>((resolve, reject) => {
    http.once("listening", resolve);
    http.once("error", reject);
    http.listen(options.port ?? 0, options.host ?? "127.0.0.1");
  });

  const pinOf = async (record: HiveMindClientRecord) =>
    record.pinnedKey !== undefined ? parseX25519Key(record.pinnedKey, `pinnedKey of ${record.name}`) : await options.pinStore?.get(record.name);

  async function accept(socket: WebSocket, request: IncomingMessage): Promise<void> {
    const address = remoteAddress(request);
    const refuse = (code: number, reason: string, accessKey?: string) => {
      socket.close(code, closeReason(reason));
      runCallback(() => options.onRefused?.({ address, accessKey, reason }));
    };
    // Each attempt holds a slot of its address's and key's failure limits from now until it
    // is settled (a failure, or a completed handshake), so concurrency cannot multiply guesses.
    if (!byAddress.reserve(address)) return refuse(CLOSE.tryAgainLater, "too many failed handshakes from this address; try again later");
    let keyReserved: string | undefined;
    let settledLimits = false;
    const settleLimits = (failed: boolean) => {
      if (settledLimits) return;
      settledLimits = true;
      byAddress.settle(address, failed);
      if (keyReserved !== undefined) byKey.settle(keyReserved, failed);
    };
    if ((pending.get(address) ?? 0) >= maxPending) {
      settleLimits(false);
      return refuse(CLOSE.tryAgainLater, "too many handshakes in progress from this address; try again later");
    }
    pending.set(address, (pending.get(address) ?? 0) + 1);
    let settled = false;
    const done = () => {
      if (!settled) settle(address);
      settled = true;
    };
    socket.once("close", () => {
      done();
      // After the other close listeners: an attempt that ended unsettled (an internal error) frees its slots.
      queueMicrotask(() => settleLimits(false));
    });
    let useragent: string, accessKey: string;
    try {
      ({ useragent, accessKey } = parseAuthorization(request.url ?? "/"));
    } catch (error) {
      settleLimits(true);
      return refuse(CLOSE.policy, (error as PoormanError).message);
    }
    if (!byKey.reserve(accessKey)) {
      settleLimits(false);
      return refuse(CLOSE.tryAgainLater, "too many failed handshakes for this access key; try again later", accessKey);
    }
    keyReserved = accessKey;
    // Frames (and the close) may arrive while the record and pin are read: keep them in order.
    const early: (string | Uint8Array)[] = [];
    let onFrame = (frame: string | Uint8Array) => void early.push(frame);
    let onClose = (_code: number, _reason: string) => undefined as void;
    let closedEarly = false;
    socket.on("message", (data, isBinary) => onFrame(isBinary ? frameData(data) : data.toString()));
    socket.on("close", (code, reason) => {
      closedEarly = true;
      onClose(code, reason.toString());
    });
    const record = await store.get(accessKey);
    if (record === undefined) {
      // An unknown key counts against the address only.
      byKey.settle(accessKey, false);
      keyReserved = undefined;
      settleLimits(true);
      return refuse(CLOSE.policy, "unknown access key", accessKey);
    }
    let client: HiveMindConnectedClient | undefined;
    let reported = false;
    const failure = (reason: string) => {
      if (reported || client !== undefined) return;
      reported = true;
      settleLimits(true); // nothing once the handshake has completed: that was no guess
      runCallback(() => options.onRefused?.({ address, accessKey, reason }));
    };
    if (closedEarly) return failure("the client left during the handshake");
    const pinnedKey = await pinOf(record);
    const permissions = { isAdmin: record.isAdmin ?? false, canPropagate: record.canPropagate ?? true, canEscalate: record.canEscalate ?? true };
    const connection = await HubConnection.open({
      password: record.password, nodeId, staticKey, pinnedKey, suites: options.suites, allowedTypes: record.allowedTypes, maxMessageBytes, reassemblyBudget,
      pubkey: rsaPubkey, permission: (message) => forbidden(permissions, message.msg_type),
      peer: `${useragent}::${record.name}`,
      namePeer: (sessionId) => uniquePeer(`${useragent}::${record.name}::${sessionId}`),
      send: (frame) => {
        // ws queues without limit: stop sending to a client that does not read.
        if (socket.bufferedAmount > maxUnreadBytes) {
          if (socket.readyState === socket.OPEN) socket.close(CLOSE.policy, NOT_READING_REASON);
          return;
        }
        socket.send(frame);
      },
      close: (code, reason) => socket.close(code, closeReason(reason)),
      onHandshake: async (key) => {
        if (pinnedKey !== undefined) {
          if (!equalBytes(pinnedKey, key)) throw new KeyMismatchError(`the client key does not match the pin of ${record.name}`);
          return settleLimits(false);
        }
        const existing = await options.pinStore?.pinIfAbsent(record.name, key);
        if (existing !== undefined && !equalBytes(existing, key)) throw new KeyMismatchError(`the client key does not match the pin of ${record.name}`);
        settleLimits(false);
      },
      onReady: () => {
        clearTimeout(timer);
        done();
        const sessionId = connection.sessionId!;
        // The RSA pin: the record's, else the first key a HELLO of this client presented.
        const presented = connection.helloPubkey;
        const pin = record.rsaPublicKey ?? rsaPins.get(record.name) ?? presented;
        if (pin !== undefined && record.rsaPublicKey === undefined && !rsaPins.has(record.name) && rsaKeyId(pin) !== undefined) rsaPins.set(record.name, pin);
        const rsaPublicKey = presented !== undefined && rsaKeyId(presented) !== undefined && rsaKeyId(presented) === rsaKeyId(pin) ? presented : undefined;
        client = {
          name: record.name, useragent, peer: connection.peer!, sessionId, siteId: connection.siteId!,
          remoteStaticKey: connection.remoteStaticKey!, address, ...permissions, allowedTypes: record.allowedTypes, rsaPublicKey,
          send: (message) => connection.send(message),
          sendBus: (type, data, context) => connection.sendBus(type, data, context),
          close: (code = CLOSE.normal, reason = "") => connection.close(code, reason),
        };
        connected.add(client);
        runCallback(() => options.onConnect?.(client!));
      },
      // Awaited: a client's messages are routed in the order it sent them.
      onMessage: (message) => router.fromClient(client!, message).catch(() => undefined),
    });
    const timer = setTimeout(() => {
      failure("handshake timeout");
      connection.close(CLOSE.policy, "handshake timeout");
    }, handshakeTimeoutMs);
    onClose = (code, reason) => {
      clearTimeout(timer);
      connection.closed();
      failure("the client left during the handshake");
      if (client !== undefined && connected.delete(client)) {
        peers.delete(client.peer);
        runCallback(() => options.onDisconnect?.(client!, { code, reason }));
      }
    };
    onFrame = (frame) => void connection.receive(frame).catch((error: Error) => failure(error.message));
    for (const frame of early.splice(0)) onFrame(frame);
    if (closedEarly) onClose(1006, "");
  }

  server.on("connection", (socket, request) => {
    socket.on("error", () => undefined); // a reset peer: the close event follows
    accept(socket, request).catch((error: unknown) => {
      const reason = error instanceof PoormanError ? error.message : "internal error";
      socket.close(error instanceof HandshakeRejectedError ? CLOSE.policy : 1011, closeReason(reason));
    });
  });

  upstreamLink?.start();
  const port = (http.address() as AddressInfo).port;
  const host = options.host ?? "127.0.0.1";
  return {
    url: `ws://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    publicKey: Uint8Array.from(staticKeyPair.publicKey),
    clients: connected,
    upstream: upstreamLink,
    async broadcast(message) {
      await Promise.all([...connected].map((c) => c.send(message).catch(() => undefined)));
    },
    close() {
      upstreamLink?.stop();
      for (const socket of server.clients) socket.close(1001, "hub shutting down");
      return new Promise<void>((resolve) => {
        server.close(() => http.close(() => resolve()));
        for (const socket of server.clients) socket.terminate();
        http.closeAllConnections();
      });
    },
  };
}
