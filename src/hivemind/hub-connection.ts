/**
 * One hub-side HiveMind connection after its authorization was accepted: HELLO and
 * HANDSHAKE out, the v3 handshake by {@link HiveMindHub}, the client's encrypted HELLO,
 * then HiveMessages with the `allowedTypes` policy. Sans-I/O: frames come in through
 * `receive`, go out through the `send`/`close` callbacks the transport supplies.
 *
 * @module
 */
import { HandshakeRejectedError, PoormanError, ProtocolError } from "../common/errors.js";
import { CLOSE, DEFAULT_SESSION_ID, type HiveMindSuite, JSON_MAX_CHARS } from "./constants.js";
import { HiveMindHub } from "./hub.js";
import { asJsonObject } from "./session.js";
import { type ReassemblyBudget, TransportLimitError } from "./transport.js";
import { isSealedIntercom } from "./intercom.js";
import { type BusMessage, busMessage, busPayload, type HiveMessage, parseHiveMessage, policyDeniedMessage, serializeHiveMessage, toWireMessage } from "./message.js";

/**
 * The code of the `hive.policy.denied` answer to a type outside `allowedTypes`: the one
 * hivemind-core's MessageTypeACLPolicy sends (`DenyCodes.ACL_DISALLOWED_TYPE`).
 */
export const TYPE_NOT_ALLOWED = "acl_disallowed_type";
/**
 * The code of the `hive.policy.denied` answer to a message the hub does not pass on because
 * of its envelope: a type it does not know or read (`hello` after the handshake, `ping`,
 * `bin`, ...), a wrapper that carries no HiveMessage, or wrappers nested too deep.
 */
export const ENVELOPE_NOT_SUPPORTED = "unsupported_envelope";
/**
 * HiveMessage types that carry another HiveMessage in `payload`; the hub looks through
 * them (at most {@link MAX_ENVELOPE_DEPTH} deep) to the OVOS message inside.
 */
export const WRAPPER_TYPES: readonly string[] = ["broadcast", "propagate", "escalate", "intercom", "query", "cascade"];
/** Most wrappers the hub looks through around one OVOS message. */
export const MAX_ENVELOPE_DEPTH = 8;
/** Close code for a frame this hub does not read (a HIVEMIND-WIRE-1 bitstring). */
const UNSUPPORTED_DATA = 1003;

/** What the transport and the hub's configuration give one connection. */
export interface HubConnectionOptions {
  /** The hub's password for this client. */
  password: string;
  /** The hub's node id (HELLO `node_id`, PSK salt). */
  nodeId: string | null;
  /** The hub's X25519 static private key. */
  staticKey: Uint8Array;
  /** The client's pinned static key: KKpsk0 is offered only then. */
  pinnedKey?: Uint8Array | undefined;
  /** Suites to offer. */
  suites?: readonly HiveMindSuite[] | undefined;
  /** HELLO `pubkey`: the hub's RSA public key (PEM), when it has one. */
  pubkey?: string | undefined;
  /** Largest multi-frame message reassembled (default and most 32 MiB); over it, 1009. */
  maxMessageBytes?: number | undefined;
  /** A byte budget for unfinished messages shared by the hub's connections; past it, 1013. */
  reassemblyBudget?: ReassemblyBudget | undefined;
  /** Bus types the client may send; all when absent. */
  allowedTypes?: readonly string[] | undefined;
  /** HELLO `peer`: how the hub names the client before its HELLO. */
  peer: string;
  /**
   * Names the client once its HELLO gave its session id: the `peer` the hub writes into
   * everything it passes on (default `` `${peer}::${sessionId}` ``). A hub with several
   * connections keeps the names unique here.
   */
  namePeer?(sessionId: string): string;
  /** Sends a frame (text during the handshake, binary after). */
  send(frame: string | Uint8Array): void;
  /** Closes the connection with a code and reason. */
  close(code: number, reason: string): void;
  /** Called once the handshake is complete; throw a PoormanError to refuse the client's key. */
  onHandshake?(remoteStaticKey: Uint8Array): Promise<void> | void;
  /** Called once the client's HELLO was accepted. */
  onReady?(): void;
  /**
   * Called for every message after the HELLO, before the policy: a reason to disconnect the
   * client (hivemind-core disconnects a client that sends a routing envelope it may not
   * use), or `undefined` to go on.
   */
  permission?(message: Required<HiveMessage>): string | undefined;
  /** Called for every HiveMessage the policy lets through; the next frame waits for its promise. */
  onMessage?(message: Required<HiveMessage>): void | Promise<void>;
}

type Phase = "handshake" | "hello" | "ready" | "closed";

/** A hub-side connection. */
export class HubConnection {
  /** The client's static key, once the handshake is complete. */
  remoteStaticKey: Uint8Array | undefined;
  /** The client's session id, from its HELLO. */
  sessionId: string | undefined;
  /** The client's site id, from its HELLO. */
  siteId: string | undefined;
  /** The RSA public key (PEM) the client presented in its HELLO (`pubkey`), if any. */
  helloPubkey: string | undefined;
  /** The client's name in `context.peer`, `context.source` and `source_peer`, from its HELLO on. */
  peer: string | undefined;
  readonly #hub: HiveMindHub;
  readonly #options: HubConnectionOptions;
  #phase: Phase = "handshake";
  #queue: Promise<void> = Promise.resolve();

  private constructor(hub: HiveMindHub, options: HubConnectionOptions) {
    this.#hub = hub;
    this.#options = options;
  }

  /** Creates the connection and sends the HELLO and HANDSHAKE frames. */
  static async open(options: HubConnectionOptions): Promise<HubConnection> {
    const hub = await HiveMindHub.create({
      password: options.password, nodeId: options.nodeId, staticKey: options.staticKey, peer: options.peer, pubkey: options.pubkey,
      pinnedClients: options.pinnedKey === undefined ? [] : [options.pinnedKey], suites: options.suites,
      maxMessageBytes: options.maxMessageBytes, reassemblyBudget: options.reassemblyBudget,
    });
    const connection = new HubConnection(hub, options);
    options.send(serializeHiveMessage({ msg_type: "hello", payload: hub.hello }));
    options.send(serializeHiveMessage({ msg_type: "shake", payload: hub.handshake }));
    return connection;
  }

  /** True once the client's HELLO was accepted. */
  get ready(): boolean {
    return this.#phase === "ready";
  }

  /** The Noise pattern the client chose, once known. */
  get pattern(): string | undefined {
    return this.#hub.pattern;
  }

  /**
   * Feeds one received frame. Frames are processed in order; a violation closes the
   * connection (1008 with the reason; 1003 for a bitstring) and rejects.
   */
  receive(frame: string | Uint8Array): Promise<void> {
    const run = this.#queue.then(() => (this.#phase === "closed" ? undefined : this.#receive(frame)));
    this.#queue = run.catch(() => undefined);
    return run.catch((error: unknown) => {
      const wrapped = error instanceof PoormanError ? error : new ProtocolError("connection failure", { cause: error });
      this.close(error instanceof UnsupportedFrame ? UNSUPPORTED_DATA : error instanceof TransportLimitError ? error.closeCode : CLOSE.policy, wrapped.message);
      throw wrapped;
    });
  }

  async #receive(frame: string | Uint8Array): Promise<void> {
    if (this.#phase === "handshake") {
      if (typeof frame !== "string") throw new ProtocolError("a binary frame arrived before the handshake was complete");
      if (frame.length > JSON_MAX_CHARS) throw new ProtocolError(`a handshake frame must be at most ${JSON_MAX_CHARS} characters`);
      const message = asJsonObject(frame, "handshake frame");
      if (message.msg_type !== "shake") throw new ProtocolError(`expected a shake message during the handshake, got ${JSON.stringify(message.msg_type)}`);
      const reply = await this.#hub.receive(message.payload);
      // Every await may have let the close event in: nothing more happens on a closed connection.
      if (this.#isClosed()) return;
      if (reply !== null) this.#options.send(serializeHiveMessage({ msg_type: "shake", payload: reply }));
      if (this.#hub.done) {
        this.remoteStaticKey = this.#hub.remoteStaticKey;
        await this.#options.onHandshake?.(this.remoteStaticKey!);
        if (this.#isClosed()) return;
        this.#phase = "hello";
      }
      return;
    }
    if (typeof frame === "string") throw new ProtocolError("a text frame arrived on an encrypted v3 session");
    const decoded = await this.#hub.decrypt(frame);
    if (decoded === undefined || this.#isClosed()) return;
    if (decoded.marker !== 0) throw new UnsupportedFrame("this hub reads JSON HiveMessages only (binarize was declined)");
    const message = parseHiveMessage(decoded.body);
    if (this.#phase === "hello") return this.#hello(message);
    await this.#dispatch(message);
  }

  /** The phase as it is now (a getter, so that the compiler does not narrow it across an await). */
  #isClosed(): boolean {
    return this.#phase === "closed";
  }

  #hello(message: Required<HiveMessage>): void {
    if (message.msg_type !== "hello") throw new ProtocolError(`the first encrypted message must be the client's HELLO, got ${JSON.stringify(message.msg_type)}`);
    const payload = (message.payload ?? {}) as Record<string, unknown>;
    const session = (payload.session ?? {}) as Record<string, unknown>;
    const sessionId = session.session_id;
    // hivemind-core disconnects a non-admin client on the "default" session; an absent id is the same thing.
    if (typeof sessionId !== "string" || sessionId.length === 0 || sessionId === DEFAULT_SESSION_ID) {
      throw new HandshakeRejectedError(`HELLO must carry a session_id other than "${DEFAULT_SESSION_ID}"`);
    }
    this.sessionId = sessionId;
    const siteId = payload.site_id ?? session.site_id;
    this.siteId = typeof siteId === "string" ? siteId : "unknown";
    if (typeof payload.pubkey === "string" && payload.pubkey.length > 0) this.helloPubkey = payload.pubkey;
    this.peer = this.#options.namePeer?.(sessionId) ?? `${this.#options.peer}::${sessionId}`;
    this.#phase = "ready";
    this.#options.onReady?.();
  }

  /**
   * The policy, whatever the envelope: the OVOS message a `bus` or `shared_bus` carries,
   * directly or inside wrappers, must be of an allowed type; anything else is refused.
   * What passes on is named by the hub on every level (`source_peer`, `context.peer`,
   * `context.source`), whatever the client wrote there.
   */
  async #dispatch(message: Required<HiveMessage>): Promise<void> {
    const peer = this.peer!;
    const refusal = this.#options.permission?.(message);
    if (refusal !== undefined) throw new ProtocolError(refusal);
    const admitted = admitMessage(message, peer, this.#options.allowedTypes);
    if ("denied" in admitted) return void this.send(admitted.denied).catch(() => undefined);
    const session = admitted.bus?.context.session as Record<string, unknown> | undefined;
    if (message.msg_type === "bus" && session?.session_id === DEFAULT_SESSION_ID) throw new HandshakeRejectedError(`a bus message must not use the "${DEFAULT_SESSION_ID}" session`);
    await this.#options.onMessage?.(admitted.message);
  }

  /** Sends a HiveMessage to the client (chunked above 65000 bytes). */
  send(message: HiveMessage): Promise<void> {
    return this.sendSerialized(serializeHiveMessage(message));
  }

  /**
   * Sends a HiveMessage already serialized by {@link serializeHiveMessage}: a relay to many
   * clients serializes once, and only the encryption is per client.
   */
  async sendSerialized(text: string): Promise<void> {
    if (this.#phase === "closed" || !this.#hub.done) throw new ProtocolError("the connection is not open");
    for (const frame of await this.#hub.encrypt(0, text)) this.#options.send(frame);
  }

  /** Sends an OVOS bus message to the client. */
  sendBus(type: string, data?: Record<string, unknown>, context?: Record<string, unknown>): Promise<void> {
    return this.send(busMessage(type, data, context));
  }

  /** Closes the connection once. */
  close(code: number, reason: string): void {
    if (this.#phase === "closed") return;
    this.closed();
    this.#options.close(code, reason);
  }

  /** Marks the connection closed by the peer (what it held for an unfinished message is given back). */
  closed(): void {
    this.#phase = "closed";
    this.#hub.closeTransport();
  }
}

class UnsupportedFrame extends ProtocolError {}

/**
 * The policy, whatever the envelope: `message` named by the hub on every level (see
 * {@link HubConnection}), or the `hive.policy.denied` answer to send back when it carries
 * no message the hub reads or an OVOS message outside `allowedTypes`. A sealed INTERCOM
 * passes unread (`bus` undefined): only its recipient can apply a policy to it.
 */
export function admitMessage(
  message: Required<HiveMessage>, peer: string, allowed: readonly string[] | undefined,
): { message: Required<HiveMessage>; bus: BusMessage | undefined } | { denied: HiveMessage } {
  const admitted = stamp(message, peer, 0);
  if (admitted === undefined) return { denied: policyDeniedMessage(message.msg_type, ENVELOPE_NOT_SUPPORTED, `${message.msg_type} messages are not passed on by this hub`, peer, { msg_type: message.msg_type }) };
  const { bus } = admitted;
  // As hivemind-core words it: reason "<type> not in allowed_types", data {msg_type, allowed}.
  if (bus !== undefined && allowed !== undefined && !allowed.includes(bus.type)) {
    return { denied: policyDeniedMessage(bus.type, TYPE_NOT_ALLOWED, `${bus.type} not in allowed_types`, peer, { msg_type: bus.type, allowed: [...allowed] }) };
  }
  return admitted;
}

/**
 * A copy of `message` named by the hub on every level, with the OVOS message it carries;
 * `undefined` when it carries none the hub reads.
 */
function stamp(message: Required<HiveMessage>, peer: string, depth: number): { message: Required<HiveMessage>; bus: BusMessage | undefined } | undefined {
  if (message.msg_type === "bus" || message.msg_type === "shared_bus") {
    const carried = busPayload(message);
    if (carried === undefined) return undefined;
    const bus = { ...carried, context: { ...carried.context, peer, source: peer } };
    return { message: { ...message, payload: bus, source_peer: peer }, bus };
  }
  if (isSealedIntercom(message)) return { message: { ...message, source_peer: peer }, bus: undefined };
  if (!WRAPPER_TYPES.includes(message.msg_type) || depth >= MAX_ENVELOPE_DEPTH) return undefined;
  let inner: Required<HiveMessage>;
  try {
    inner = toWireMessage(message.payload as HiveMessage);
  } catch {
    return undefined;
  }
  const admitted = stamp(inner, peer, depth + 1);
  return admitted && { message: { ...message, payload: admitted.message, source_peer: peer }, bus: admitted.bus };
}
