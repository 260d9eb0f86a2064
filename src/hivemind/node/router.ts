/**
 * The hub's routing, as hivemind-core's `HiveMindListenerProtocol` does it: BROADCAST
 * (admins only) to every other client, PROPAGATE to every other client and upstream,
 * ESCALATE upstream only, INTERCOM opened when sealed for this hub and relayed otherwise,
 * and what comes down from an upstream hub. QUERY and CASCADE are answered "no answer".
 *
 * @module
 */
import { CLOSE } from "../constants.js";
import { admitMessage } from "../hub-connection.js";
import { isSealedIntercom, openIntercom, rsaKeyId, verifyIntercom } from "../intercom.js";
import { type HiveMessage, policyDeniedMessage, randomSessionId, toWireMessage } from "../message.js";
import { arrivedFrom, isRoutingLoop, MAX_ROUTE_HOPS, routeOf, unpackMessage, withOwnHop } from "../routing.js";
import type { RSAKeyInput } from "../../rsa/index.js";
import { runCallback } from "../listeners.js";

/** The bus type of the answer to a QUERY or CASCADE nobody here answers (hivemind-core's). */
export const QUERY_NO_ANSWER_TYPE = "hive.query.timeout";
/** `hive.policy.denied` code: the client sends routed messages faster than its relay rate. */
export const RELAY_RATE_LIMITED = "relay_rate_limited";
/** `hive.policy.denied` code: a route longer than {@link MAX_ROUTE_HOPS}. */
export const ROUTE_TOO_LONG = "route_too_long";
/** `hive.policy.denied` code: an INTERCOM for this hub that it cannot authenticate or open. */
export const INTERCOM_REFUSED = "intercom_refused";

/** What the router needs of a connected client. */
export interface RoutedClient {
  readonly peer: string;
  /**
   * The client's record: its connections share one relay allowance, so a client closed for
   * flooding does not get a fresh one by connecting again. Without it, each connection has its own.
   */
  readonly name?: string;
  readonly isAdmin: boolean;
  readonly canPropagate: boolean;
  readonly canEscalate: boolean;
  /** The RSA key the client is pinned to, if it presented one that matches its pin. */
  readonly rsaPublicKey: string | undefined;
  readonly allowedTypes: readonly string[] | undefined;
  send(message: HiveMessage): Promise<void>;
  close(code?: number, reason?: string): void;
}

/** The router's view of the hub. */
export interface RouterOptions<C extends RoutedClient> {
  /** The hub's name: `source_peer` of what it passes on (its HELLO `node_id`). */
  hubPeer: string;
  /** The id of this hub in routes, for loop detection (its RSA public key, else its X25519 key). */
  nodeIdentity: string;
  /** The hub's site: an inner `bus` message of a wrapper targeting it goes to `deliver`. */
  siteId: string | undefined;
  /** The hub's RSA private key: INTERCOMs sealed for it are opened. */
  rsaKey: RSAKeyInput | undefined;
  /** Its public key's id ({@link rsaKeyId}). */
  rsaKeyId: string | undefined;
  /** Relays per second (and burst) a client may cause. */
  relaysPerSecond: number;
  /** The clock of the relay allowance, in milliseconds (default `Date.now`). */
  now?(): number;
  clients(): Iterable<C>;
  /**
   * Sends one message to several clients; the router's relays go through it, so that the
   * hub can serialize the message once for all of them (default: `send` to each).
   */
  relay?(clients: Iterable<C>, message: HiveMessage): void;
  /** Sends upstream; false when dropped. */
  upstream(message: HiveMessage): boolean;
  /** Local delivery (`onMessage`). */
  deliver(client: C, message: Required<HiveMessage>): void;
  /** A wrapper was routed (`onRoute`). */
  routed(client: C, message: Required<HiveMessage>): void;
  /** A message from upstream, after routing (`onUpstreamMessage`). */
  fromUpstream(message: Required<HiveMessage>): void;
  /** A client is being closed for flooding (the hub keeps it out for a while). */
  flooded?(client: C): void;
}

/** Why a client may not send `message` (hivemind-core disconnects it), or `undefined`. */
export function forbidden(client: Pick<RoutedClient, "isAdmin" | "canPropagate" | "canEscalate">, msgType: string): string | undefined {
  if (msgType === "broadcast" && !client.isAdmin) return "broadcast is allowed only from an admin client";
  if ((msgType === "propagate" || msgType === "cascade") && !client.canPropagate) return `${msgType} is not allowed for this client (can_propagate)`;
  if ((msgType === "escalate" || msgType === "query") && !client.canEscalate) return `${msgType} is not allowed for this client (can_escalate)`;
  return undefined;
}

const send = (client: RoutedClient, message: HiveMessage) => void client.send(message).catch(() => undefined);

/** A client's relay allowance: a token bucket, and the refusals of the current second. */
interface RelayBucket {
  tokens: number;
  at: number;
  refused: number;
  refusedSince: number;
}
/**
 * Past this many relay buckets, those untouched for a second are forgotten: they are full
 * again and their refusals a second old, so a fresh bucket is the same thing.
 */
const BUCKET_SWEEP_AT = 1024;

function* othersThan<C>(clients: Iterable<C>, sender: C): Iterable<C> {
  for (const client of clients) if (client !== sender) yield client;
}

/** The hub's router (one per hub). */
export class HubRouter<C extends RoutedClient> {
  readonly #o: RouterOptions<C>;
  readonly #buckets = new Map<string | C, RelayBucket>();
  #sweepAt = BUCKET_SWEEP_AT;

  constructor(options: RouterOptions<C>) {
    this.#o = options;
  }

  #relay(clients: Iterable<C>, message: HiveMessage): void {
    if (this.#o.relay !== undefined) this.#o.relay(clients, message);
    else for (const client of clients) send(client, message);
  }

  #deny(client: C, deniedType: string, code: string, reason: string): void {
    send(client, policyDeniedMessage(deniedType, code, reason, client.peer, { msg_type: deniedType }));
  }

  /**
   * Takes one relay from the client's bucket (`relaysPerSecond`, refilled continuously).
   * When it is empty the message is not relayed, and only the first refusal of each second
   * is answered (`relay_rate_limited`): each answer costs the hub an encryption. A client
   * refused more than `relaysPerSecond` times within a second (it sends over twice its
   * allowance) is closed (1008): it keeps flooding after being told, and every message it
   * sends still costs the hub a decryption that honest clients wait behind.
   * @returns true when the message may be relayed
   */
  #admitRelay(client: C, type: string): boolean {
    const rate = this.#o.relaysPerSecond;
    const now = this.#o.now?.() ?? Date.now();
    const bucket = this.#bucket(client, now);
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    if (now - bucket.refusedSince >= 1000) (bucket.refused = 0), (bucket.refusedSince = now);
    bucket.refused++;
    if (bucket.refused === 1) this.#deny(client, type, RELAY_RATE_LIMITED, `at most ${rate} routed messages a second`);
    else if (bucket.refused > rate) {
      runCallback(() => this.#o.flooded?.(client));
      client.close(CLOSE.policy, `flooding: more than ${rate} routed messages refused within a second (at most ${rate} a second)`);
    }
    return false;
  }

  #bucket(client: C, now: number): RelayBucket {
    const key = client.name ?? client;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#sweepAt) {
        for (const [k, b] of this.#buckets) if (now - b.at >= 1000) this.#buckets.delete(k);
        this.#sweepAt = Math.max(BUCKET_SWEEP_AT, 2 * this.#buckets.size); // a sweep costs O(size): at most once per doubling
      }
      bucket = { tokens: this.#o.relaysPerSecond, at: now, refused: 0, refusedSince: now };
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  #clientByKey(key: string | null): C | undefined {
    const id = rsaKeyId(key);
    if (id === undefined) return undefined;
    for (const c of this.#o.clients()) if (c.rsaPublicKey !== undefined && rsaKeyId(c.rsaPublicKey) === id) return c;
    return undefined;
  }

  /** A message a client sent, admitted by the policy (named by the hub on every level). */
  async fromClient(client: C, message: Required<HiveMessage>): Promise<void> {
    switch (message.msg_type) {
      case "bus":
      case "shared_bus":
        return this.#o.deliver(client, message);
      case "broadcast":
      case "propagate":
      case "escalate":
        return this.#wrapper(client, message);
      case "intercom": {
        const arrived = arrivedFrom(message, client.peer);
        if (await this.#intercom(client, arrived)) return;
        // Not for this hub: hivemind-core drops a bare INTERCOM here; this hub hands it to
        // the connected client it is sealed for, when there is one.
        const target = this.#clientByKey(message.target_pubkey);
        if (target !== undefined && target !== client) {
          if (this.#admitRelay(client, "intercom")) send(target, { ...arrived, source_peer: this.#o.hubPeer });
          return;
        }
        return this.#deny(client, "intercom", INTERCOM_REFUSED, "no connected client holds the INTERCOM's target_pubkey; wrap it in propagate to send it through the hive");
      }
      case "query":
      case "cascade":
        return this.#noAnswer(client, message);
    }
  }

  async #wrapper(client: C, message: Required<HiveMessage>): Promise<void> {
    const type = message.msg_type;
    const arrived = arrivedFrom(message, client.peer);
    if (routeOf(arrived).length > MAX_ROUTE_HOPS) return this.#deny(client, type, ROUTE_TOO_LONG, `a route may hold at most ${MAX_ROUTE_HOPS} hops`);
    if (!this.#admitRelay(client, type)) return;
    let inner = unpackMessage(arrived, this.#o.hubPeer);
    runCallback(() => this.#o.routed(client, arrived));
    const looped = type !== "broadcast" && isRoutingLoop(arrived, this.#o.nodeIdentity);
    if (type !== "broadcast" && !looped) inner = withOwnHop(inner, this.#o.nodeIdentity, this.#o.hubPeer);
    if (inner.msg_type === "intercom") {
      if (await this.#intercom(client, inner)) return;
    } else if (inner.msg_type === "bus" && message.target_site_id !== null && message.target_site_id === this.#o.siteId) {
      this.#o.deliver(client, { ...inner, source_peer: client.peer });
    }
    if (looped) return;
    if (type !== "escalate") {
      // An INTERCOM sealed for a client of this hub goes to that client only.
      const target = inner.msg_type === "intercom" ? this.#clientByKey(inner.target_pubkey) : undefined;
      if (target !== undefined && target !== client) return send(target, inner);
      this.#relay(othersThan(this.#o.clients(), client), inner);
    }
    // hivemind-core's wrapper upstream carries only the route; this one keeps the target
    // site too, so a site-targeted ESCALATE or PROPAGATE can reach a hub further up.
    if (type !== "broadcast") this.#o.upstream({ msg_type: type, payload: inner, route: inner.route, target_site_id: message.target_site_id });
  }

  /**
   * An INTERCOM that reached this hub: true when it was consumed here (opened and handled,
   * or refused), false when it is not for this hub and should travel on.
   */
  async #intercom(client: C, message: Required<HiveMessage>): Promise<boolean> {
    const target = message.target_pubkey;
    if (target !== null && (this.#o.rsaKeyId === undefined || rsaKeyId(target) !== this.#o.rsaKeyId)) return false;
    let inner: Required<HiveMessage>;
    if (isSealedIntercom(message)) {
      if (this.#o.rsaKey === undefined) return false; // no key: nothing here can be for this hub
      // As hivemind-core: the origin signature must verify against the key the client's HELLO pinned.
      const refuse = (reason: string) => (this.#deny(client, "intercom", INTERCOM_REFUSED, reason), true);
      if (client.rsaPublicKey === undefined) return refuse("an INTERCOM needs the sender's RSA key in its HELLO (pinned on first use)");
      if (!(await verifyIntercom(message, client.rsaPublicKey))) return refuse("the INTERCOM signature does not verify against the key pinned for this client");
      try {
        inner = await openIntercom(message, this.#o.rsaKey);
      } catch {
        if (target !== null) return refuse("the INTERCOM could not be opened");
        return false;
      }
    } else {
      try {
        inner = toWireMessage(message.payload as HiveMessage);
      } catch {
        return false;
      }
    }
    // What was inside is the client's own message: the policy applies to it as if sent directly.
    const admitted = admitMessage(inner, client.peer, client.allowedTypes);
    if ("denied" in admitted) return (send(client, admitted.denied), true);
    const reason = forbidden(client, admitted.message.msg_type);
    if (reason !== undefined) return (client.close(CLOSE.policy, reason), true);
    if (admitted.message.msg_type === "intercom") return true; // an INTERCOM in an INTERCOM: nothing more to open
    await this.fromClient(client, admitted.message);
    return true;
  }

  /**
   * QUERY and CASCADE: this hub has no agent that answers them and keeps no return paths,
   * so it answers as hivemind-core's top-level hub does when nobody answers: a response of
   * the same type carrying `hive.query.timeout` `{query_id, error: "no_answer"}`.
   */
  #noAnswer(client: C, message: Required<HiveMessage>): void {
    const metadata = message.metadata;
    if (metadata.is_response === true) return this.#deny(client, message.msg_type, "unsupported_envelope", `${message.msg_type} responses are not routed by this hub`);
    const queryId = typeof metadata.query_id === "string" ? metadata.query_id : randomSessionId();
    const originator = typeof metadata.originator_peer === "string" ? metadata.originator_peer : client.peer;
    send(client, {
      msg_type: message.msg_type,
      payload: { msg_type: "bus", payload: { type: QUERY_NO_ANSWER_TYPE, data: { query_id: queryId, error: "no_answer" }, context: {} } },
      metadata: { query_id: queryId, originator_peer: originator, responder_peer: this.#o.hubPeer, is_response: true },
      route: routeOf(message),
    });
  }

  /**
   * What the upstream hub sends: BROADCAST and PROPAGATE go to every client as they are
   * (hivemind-core's `broadcast_from_master` / `propagate_from_master`); an INTERCOM sealed
   * for a client of this hub goes to it, one sealed for this hub is opened; everything is
   * then reported (the opened INTERCOM's inner message in its place).
   */
  async fromUpstream(message: Required<HiveMessage>): Promise<void> {
    if (message.msg_type === "broadcast" || message.msg_type === "propagate") {
      this.#relay(this.#o.clients(), message);
    } else if (isSealedIntercom(message)) {
      const target = this.#clientByKey(message.target_pubkey);
      if (target !== undefined) send(target, message);
      else if (this.#o.rsaKey !== undefined && rsaKeyId(message.target_pubkey) === this.#o.rsaKeyId) {
        const inner = await openIntercom(message, this.#o.rsaKey).catch(() => undefined);
        if (inner !== undefined) return runCallback(() => this.#o.fromUpstream(inner));
      }
    }
    runCallback(() => this.#o.fromUpstream(message));
  }
}
