/**
 * `serveHiveMind`: a HiveMind v3 hub on a WebSocket server (the `ws` package). The
 * per-connection protocol is the sans-I/O {@link HubConnection}; this module adds the
 * authorization, the client records, pins, rate limiting and the socket.
 *
 * @module
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { WebSocket } from "ws";
import { aint, equalBytes, toHex } from "../../common/bytes.js";
import { HandshakeRejectedError, InvalidArgumentError, KeyMismatchError, PoormanError } from "../../common/errors.js";
import { HIVEMIND_WIRE, parseAuthorization, parseX25519Key } from "../index.js";
import "./install.js";
import { closeReason, frameData } from "../connection.js";
import { type HiveMessage, serializeHiveMessage } from "../message.js";
import { HubConnection } from "../hub-connection.js";
import { runCallback } from "../listeners.js";
import { staticPrivateKey } from "../session.js";
import { ReassemblyBudget } from "../transport.js";
import { MAX_MESSAGE_BYTES } from "../constants.js";
import { type HiveMindClientRecord, clientStore } from "./clients.js";
import { FailureLimiter } from "./limiter.js";
import { type ServeHiveMindOptions, DEFAULT_MAX_REASSEMBLY_BYTES, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_UNREAD_BYTES, DEFAULT_FLOOD_COOLDOWN_MS, NOT_READING_REASON, type HiveMindConnectedClient, type HiveMindHubServer } from "./server-config.js";
import { forbidden, HubRouter } from "./router.js";
import { UpstreamLink } from "./upstream.js";
import { loadWs } from "./ws.js";
import { rsaKeyId, rsaPublicKeyPem } from "../intercom.js";
import "../../rsa/node/install.js";

const { CLOSE } = HIVEMIND_WIRE;

const remoteAddress = (request: IncomingMessage) => request.socket.remoteAddress ?? "unknown";

/**
 * A sender that holds a connection's frames back until the current turn of the event
 * loop has run (its microtasks included), then writes them together: a client with many
 * messages in flight gets the answers to one read in one write, not one system call each.
 * `ws` writes to `request.socket` once the connection is upgraded.
 */
function batchedWrites(tcp: Socket): () => void {
  let corked = false;
  const flush = () => {
    corked = false;
    tcp.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    tcp.cork();
    process.nextTick(flush);
  };
}

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
  // Each connected client's connection, for relays that serialize a message once for all recipients.
  const connections = new WeakMap<HiveMindConnectedClient, HubConnection>();
  const relay = (clients: Iterable<HiveMindConnectedClient>, message: HiveMessage) => {
    let text: string | undefined;
    try {
      text = serializeHiveMessage(message);
    } catch {
      // Not serializable: each send below rejects on its own, as a single send would.
    }
    for (const client of clients) {
      const connection = connections.get(client);
      const sent = text !== undefined && connection !== undefined ? connection.sendSerialized(text) : client.send(message);
      sent.catch(() => undefined);
    }
  };
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
  const floodCooldownMs = aint(options.floodCooldownMs ?? DEFAULT_FLOOD_COOLDOWN_MS, "options.floodCooldownMs", 0);
  // Client records closed for flooding, until when they are refused. At most one entry per
  // record (records come from the operator, not from peers); expired ones go on the next insert.
  const floodedUntil = new Map<string, number>();
  const markFlooded = (name: string) => {
    if (floodCooldownMs === 0) return;
    const now = Date.now();
    for (const [record, until] of floodedUntil) if (until <= now) floodedUntil.delete(record);
    floodedUntil.set(name, now + floodCooldownMs);
  };
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
    relay,
    upstream: (message) => upstreamLink?.send(message) ?? false,
    deliver: (client, message) => runCallback(() => options.onMessage?.(client, message)),
    routed: (client, message) => options.onRoute?.(client, message),
    fromUpstream: (message) => options.onUpstreamMessage?.(message),
    flooded: (client) => markFlooded(client.name),
  });

  // Our own HTTP server: connections that never upgrade are bounded by count and time.
  const http = createServer({ connectionsCheckingInterval: Math.min(1000, upgradeTimeoutMs) }, (_request, response) => response.writeHead(426, { connection: "close" }).end("a HiveMind hub speaks WebSocket only\n"));
  http.maxConnections = aint(options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, "options.maxConnections", 1);
  http.timeout = upgradeTimeoutMs; // silent connections (ws clears it on upgrade)
  http.headersTimeout = upgradeTimeoutMs; // slow ones
  http.requestTimeout = upgradeTimeoutMs;
  const server = new (loadWs().WebSocketServer)({ server: http, maxPayload: 256 * 1024 });
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
    if ((floodedUntil.get(record.name) ?? 0) > Date.now()) {
      // Before any handshake work: a flooder that reconnects at once costs a lookup, not a handshake.
      settleLimits(false);
      return refuse(CLOSE.tryAgainLater, "closed for flooding; try again later", accessKey);
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
    const holdWrites = batchedWrites(request.socket);
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
        holdWrites();
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
        connections.set(client, connection);
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
