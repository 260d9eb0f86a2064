/**
 * How {@link serveHiveMind} is configured and what it reports: its options, the defaults of
 * its limits, and the shapes of its clients, refusals and server handle. The serving itself
 * is `server.ts`.
 *
 * @module
 */
import type { HiveMessage, HiveMindSuite } from "../index.js";
import type { HiveMindClientRecord, HiveMindClientStore } from "./clients.js";
import type { X25519PinStore } from "../../noise/node/x25519-key-files.js";
import type { HiveMindUpstreamEvent, HiveMindUpstreamLink, HiveMindUpstreamOptions } from "./upstream.js";
import type { RSAKeyInput } from "../../rsa/index.js";
import type { serveHiveMind } from "./server.js";

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
   * Routed messages (BROADCAST, PROPAGATE, ESCALATE, relayed INTERCOM) one client record
   * may send per second over all its connections, and at once (default 100: a client closed
   * for flooding gets no fresh allowance by connecting again); past it they are not relayed, the first refusal of
   * each second is answered with `hive.policy.denied` (`relay_rate_limited`), and a client
   * refused more than this many times within a second is closed (1008), so that one client cannot flood
   * the others nor keep the hub decrypting what it will refuse.
   */
  maxRelaysPerSecond?: number | undefined;
  /**
   * How long a client record closed for flooding (see `maxRelaysPerSecond`) is refused
   * (1013, before any handshake work) when it connects again, in milliseconds (default
   * 10 000; 0 lets it back at once). Without it a flooder that reconnects at once costs the
   * hub a handshake per close and floods again with each new connection.
   */
  floodCooldownMs?: number | undefined;
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
/** Default of {@link ServeHiveMindOptions.floodCooldownMs}. */
export const DEFAULT_FLOOD_COOLDOWN_MS = 10_000;
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
