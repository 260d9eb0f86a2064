/**
 * The hub (Noise responder) of a HiveMind v3 session. Sans-I/O: the caller sends
 * `hello` and `handshake`, feeds each HANDSHAKE payload to `receive`, and sends back
 * what it returns.
 *
 * @module
 */
import { astring, toHex, utf8, wipe } from "../common/bytes.js";
import { HandshakeRejectedError, HandshakeStateError, InvalidArgumentError } from "../common/errors.js";
import { type DhFunction, HandshakeState, type NoiseProtocol, parseProtocolName } from "../noise/index.js";
import { HUB_HANDSHAKE_DEFAULTS, type HiveMindPattern, type HiveMindSuite, MAX_KK_CANDIDATES, PATTERNS, SUITES } from "./constants.js";
import { pythonJsonDumps } from "./json.js";
import type { ReassemblyBudget } from "./transport.js";
import { ARGON2ID_KDF, deriveHiveMindPsk, type PskKdf } from "./psk.js";
import {
  buildPrologue, envelope, HiveMindSession, type JsonObject, type NoiseEnvelope,
  parseX25519Key, payloadObject, protocolName, readEnvelope, staticPrivateKey,
} from "./session.js";

/** Options of {@link HiveMindHub.create}. */
export interface HiveMindHubOptions {
  /** The shared HiveMind password. */
  password: string;
  /** The hub's node id (HELLO `node_id`); salts the PSK. `null` for none. */
  nodeId: string | null;
  /** The hub's X25519 static private key (32 bytes or hex); random when absent. */
  staticKey?: Uint8Array | string | undefined;
  /**
   * The client's pinned static keys; KKpsk0 is offered only when there is one. At most
   * `MAX_KK_CANDIDATES` (64): each is tried on an unauthenticated first message, so pass
   * only the connecting client's pin when the transport tells you who it is.
   */
  pinnedClients?: readonly (Uint8Array | string)[] | undefined;
  /** Patterns to offer, in order (default `["KKpsk0", "XXpsk2"]`). */
  patterns?: readonly HiveMindPattern[] | undefined;
  /** Suites to offer, in order (default ChaChaPoly then AESGCM). */
  suites?: readonly HiveMindSuite[] | undefined;
  /** HELLO `pubkey` (the legacy RSA public key PEM), when the hub has one. */
  pubkey?: string | undefined;
  /** HELLO `peer`: the client's address as the hub sees it. */
  peer?: string | undefined;
  /** Encodings the hub accepts, in order (default `["JSON-HEX"]`). */
  encodings?: readonly string[] | undefined;
  /** PSK KDF to advertise; argon2id by default. */
  kdf?: PskKdf | undefined;
  /** Write the m2 payload as compact JSON, as the vector generator did (default: Python's default form). */
  compactM2?: boolean;
  /** Ephemeral private key. For test vectors only; never set it in production. */
  ephemeralKey?: Uint8Array | undefined;
  /** Largest multi-frame message reassembled (default and most 32 MiB). */
  maxMessageBytes?: number | undefined;
  /** A byte budget for unfinished messages, shared with the hub's other connections. */
  reassemblyBudget?: ReassemblyBudget | undefined;
}

type HubPhase = "awaiting-m1" | "awaiting-m3" | "done" | "failed";

/** A DH result kept by {@link sharedDh}: the bytes, the error, or a backend's promise. */
type SharedResult = { readonly value: Uint8Array } | { readonly error: unknown } | Promise<Uint8Array>;

/**
 * The protocol with a DH function that computes each (private key, public key) result
 * once until `close()` (which wipes the results and makes it compute every call again).
 * Rejections are shared too, so a low-order key costs one DH, not one per candidate. A
 * synchronous backend stays synchronous (the handshake then runs without a promise per step).
 */
function sharedDh(protocol: NoiseProtocol): { protocol: NoiseProtocol; close(): void } {
  const cache = new Map<Uint8Array, Map<string, SharedResult>>();
  let open = true;
  const inner = protocol.dh;
  const dh: DhFunction = {
    ...inner,
    dh(privateKey, publicKey, ownPublicKey) {
      if (!open) return inner.dh(privateKey, publicKey, ownPublicKey);
      let byPeer = cache.get(privateKey);
      if (byPeer === undefined) cache.set(privateKey, (byPeer = new Map()));
      const peer = toHex(publicKey);
      let result = byPeer.get(peer);
      if (result === undefined) {
        try {
          const shared = inner.dh(privateKey, publicKey, ownPublicKey);
          result = shared instanceof Uint8Array ? { value: shared } : Promise.resolve(shared);
        } catch (error) {
          result = { error };
        }
        byPeer.set(peer, result);
      }
      // A copy each time: the handshake wipes what it gets.
      if (result instanceof Promise) return result.then((shared) => Uint8Array.from(shared));
      if ("error" in result) throw result.error;
      return Uint8Array.from(result.value);
    },
  };
  const close = () => {
    open = false;
    for (const byPeer of cache.values()) {
      for (const result of byPeer.values()) {
        if (result instanceof Promise) result.then(wipe, () => undefined);
        else if ("value" in result) wipe(result.value);
      }
    }
    cache.clear();
  };
  return { protocol: { ...protocol, dh }, close };
}

/**
 * One hub-side HiveMind v3 handshake and session (create one per connection; the PSK
 * is cached per password and node id, so only the first costs an argon2id run).
 */
export class HiveMindHub extends HiveMindSession {
  /** The HELLO payload to send first. */
  readonly hello: JsonObject;
  /** The HANDSHAKE payload to send second. */
  readonly handshake: JsonObject;
  /** The pattern the client chose, once known. */
  pattern: HiveMindPattern | undefined;
  /** The suite the client chose, once known. */
  suite: HiveMindSuite | undefined;
  /** The encoding chosen for this client, once known. */
  encoding: string | undefined;
  /** The client's `binarize` wish, once known. */
  binarize: boolean | undefined;
  readonly #psk: Uint8Array;
  readonly #pins: readonly Uint8Array[];
  readonly #options: HiveMindHubOptions;
  #handshakeState: HandshakeState | undefined;
  #phase: HubPhase = "awaiting-m1";

  private constructor(options: HiveMindHubOptions, psk: Uint8Array, pins: readonly Uint8Array[]) {
    super(staticPrivateKey(options.staticKey));
    this.#options = options;
    this.#psk = psk;
    this.#pins = pins;
    this.transportLimits = { maxMessageBytes: options.maxMessageBytes, budget: options.reassemblyBudget };
    const patterns = (options.patterns ?? PATTERNS).filter((p) => p !== "KKpsk0" || pins.length > 0);
    const suites = options.suites ?? SUITES;
    if (patterns.length === 0 || !patterns.every((p) => (PATTERNS as readonly string[]).includes(p))) throw new InvalidArgumentError(`patterns must be a non-empty list of ${PATTERNS.join(", ")} (KKpsk0 needs pinnedClients)`);
    if (suites.length === 0 || !suites.every((s) => (SUITES as readonly string[]).includes(s))) throw new InvalidArgumentError(`suites must be a non-empty list of ${SUITES.join(", ")}`);
    this.hello = {
      ...(options.pubkey === undefined ? {} : { pubkey: options.pubkey }),
      ...(options.peer === undefined ? {} : { peer: options.peer }),
      node_id: options.nodeId,
    };
    const kdf = options.kdf ?? ARGON2ID_KDF;
    this.handshake = {
      ...HUB_HANDSHAKE_DEFAULTS,
      encodings: [...(options.encodings ?? HUB_HANDSHAKE_DEFAULTS.encodings)],
      ciphers: [...HUB_HANDSHAKE_DEFAULTS.ciphers],
      noise: { patterns: [...patterns], suites: [...suites], ...(kdf.name === "pbkdf2" ? { kdf: { ...kdf } } : {}) },
    };
  }

  /**
   * Derives (or reuses) the PSK and prepares the HELLO and HANDSHAKE payloads.
   * @throws InvalidArgumentError / KeyFormatError for bad options
   */
  static async create(options: HiveMindHubOptions): Promise<HiveMindHub> {
    if (options === null || typeof options !== "object") throw new InvalidArgumentError("options must be an object");
    astring(options.password, "password");
    if (options.nodeId !== null) astring(options.nodeId, "nodeId");
    const pins = (options.pinnedClients ?? []).map((key, i) => parseX25519Key(key, `pinnedClients[${i}]`));
    if (pins.length > MAX_KK_CANDIDATES) throw new InvalidArgumentError(`pinnedClients must hold at most ${MAX_KK_CANDIDATES} keys (each is tried on an unauthenticated KKpsk0 message), got ${pins.length}`);
    const psk = await deriveHiveMindPsk(options.password, options.nodeId, options.kdf ?? ARGON2ID_KDF);
    return new HiveMindHub(options, psk, pins);
  }

  /**
   * Processes the client's HANDSHAKE payload.
   * @param payload - the parsed object or its JSON text
   * @returns the HANDSHAKE payload to send back, or `null` when there is none
   * @throws HandshakeRejectedError when the client is refused (close the connection)
   */
  async receive(payload: unknown): Promise<NoiseEnvelope | null> {
    if (this.#phase === "done") throw new HandshakeStateError("the handshake is already complete");
    if (this.#phase === "failed") throw new HandshakeStateError("this handshake failed earlier and cannot continue");
    try {
      if (this.#phase === "awaiting-m1") return await this.#receiveFirst(payload);
      const { message } = readEnvelope(payload);
      await this.#handshakeState!.readMessage(message);
      await this.#complete();
      return null;
    } catch (error) {
      this.#phase = "failed";
      throw error;
    }
  }

  async #receiveFirst(payload: unknown): Promise<NoiseEnvelope> {
    const { noise, message } = readEnvelope(payload);
    const offer = this.handshake.noise as { patterns: string[]; suites: string[] };
    const pattern = noise.pattern as HiveMindPattern;
    const suite = noise.suite as HiveMindSuite;
    if (!offer.patterns.includes(pattern)) throw new HandshakeRejectedError(`the client chose pattern ${JSON.stringify(pattern)}, which this hub does not offer`);
    if (!offer.suites.includes(suite)) throw new HandshakeRejectedError(`the client chose suite ${JSON.stringify(suite)}, which this hub does not offer`);
    const name = protocolName(pattern, suite);
    const prologue = buildPrologue(this.hello, this.handshake, name);
    // KK: the client is one of the pinned keys; try each (normally exactly one). The
    // candidates share the ephemeral-dependent DH (es), so an unauthenticated m1 costs
    // one X25519 per pin plus one, not two per pin.
    const candidates = pattern === "KKpsk0" ? this.#pins : [undefined];
    const shared = candidates.length > 1 ? sharedDh(parseProtocolName(name)) : { protocol: name, close: () => undefined };
    let state: HandshakeState | undefined;
    let body: Uint8Array | undefined;
    let lastError: unknown;
    try {
      for (const remoteStaticKey of candidates) {
        const attempt = HandshakeState.initialize({
          protocol: shared.protocol, initiator: false, prologue, psks: [this.#psk],
          staticKey: this.staticKey, ephemeralKey: this.#options.ephemeralKey, remoteStaticKey,
        });
        try {
          body = await attempt.readMessage(message);
          state = attempt;
          break;
        } catch (error) {
          lastError = error;
        }
      }
    } finally {
      shared.close();
    }
    if (state === undefined || body === undefined) throw lastError;
    this.#handshakeState = state;
    this.pattern = pattern;
    this.suite = suite;
    const wishes = payloadObject(body, "msg1 payload");
    const wanted = Array.isArray(wishes.encodings) ? wishes.encodings : [];
    const accepted = this.handshake.encodings as string[];
    this.encoding = wanted.find((e): e is string => typeof e === "string" && accepted.includes(e));
    if (this.encoding === undefined) throw new HandshakeRejectedError(`no common encoding: the client wants ${JSON.stringify(wanted)}, the hub accepts ${JSON.stringify(accepted)}`);
    this.binarize = wishes.binarize === true && this.handshake.binarize === true;
    const m2Payload = pythonJsonDumps({ encoding: this.encoding }, this.#options.compactM2 ? { separators: [",", ":"] } : {});
    const m2 = await state.writeMessage(utf8(m2Payload));
    if (state.isComplete) await this.#complete();
    else this.#phase = "awaiting-m3";
    return envelope({ msg: toHex(m2) });
  }

  async #complete(): Promise<void> {
    await this.finish(this.#handshakeState!);
    this.#handshakeState = undefined;
    this.#phase = "done";
  }
}
