/**
 * The client (Noise initiator) of a HiveMind v3 session. Sans-I/O: the caller hands it
 * the hub's HELLO and HANDSHAKE, sends what `start` returns, feeds the hub's reply to
 * `receive`, and sends what that returns (the third message of XX).
 *
 * @module
 */
import { astring, toHex, utf8 } from "../common/bytes.js";
import { HandshakeRejectedError, HandshakeStateError, InvalidArgumentError } from "../common/errors.js";
import { HandshakeState } from "../noise/index.js";
import { type HiveMindPattern, type HiveMindSuite, PROTOCOL_VERSION, SUITES } from "./constants.js";
import { canonicalJson } from "./json.js";
import { jsonNumber } from "./json-parse.js";
import { deriveHiveMindPsk, pskKdfFromHandshake } from "./psk.js";
import {
  asJsonObject, buildPrologue, envelope, HiveMindSession, type JsonObject, type NoiseEnvelope,
  parseX25519Key, payloadObject, protocolName, readEnvelope, staticPrivateKey,
} from "./session.js";

/** Options of {@link HiveMindClient.create}. */
export interface HiveMindClientOptions {
  /** The shared HiveMind password. */
  password: string;
  /** The client's X25519 static private key (32 bytes or hex); random when absent. */
  staticKey?: Uint8Array | string | undefined;
  /** The hub's pinned static key; enables KKpsk0 when the hub offers it. */
  pinnedHubKey?: Uint8Array | string | undefined;
  /** Suites in preference order (default ChaChaPoly then AESGCM). */
  suites?: readonly HiveMindSuite[] | undefined;
  /** Ask for binary (HIVEMIND-WIRE-1) messages. Default false. */
  binarize?: boolean | undefined;
  /** Encodings in preference order (default `["JSON-HEX"]`). */
  encodings?: readonly string[] | undefined;
  /** Ephemeral private key. For test vectors only; never set it in production. */
  ephemeralKey?: Uint8Array | undefined;
}

type ClientPhase = "idle" | "awaiting-m2" | "done" | "failed";

/**
 * One client-side HiveMind v3 session. `start` may be called again on a new connection
 * after a failure; if the failed attempt used KKpsk0, the hub pin is dropped first and
 * the retry uses XXpsk2 (read `pinnedHubKey` to update your pin store).
 */
export class HiveMindClient extends HiveMindSession {
  /** The pattern of the current attempt. */
  pattern: HiveMindPattern | undefined;
  /** The suite of the current attempt. */
  suite: HiveMindSuite | undefined;
  /** The encoding the hub chose, once known. */
  encoding: string | undefined;
  /** The RSA public key (PEM) the hub presented in its HELLO (`pubkey`), if any. */
  hubRsaPublicKey: string | undefined;
  readonly #password: string;
  readonly #suites: readonly HiveMindSuite[];
  readonly #binarize: boolean;
  readonly #encodings: readonly string[];
  readonly #ephemeralKey: Uint8Array | undefined;
  #pinnedHubKey: Uint8Array | undefined;
  #handshakeState: HandshakeState | undefined;
  #phase: ClientPhase = "idle";

  private constructor(options: HiveMindClientOptions) {
    super(staticPrivateKey(options.staticKey));
    this.#password = astring(options.password, "password");
    this.#suites = options.suites ?? SUITES;
    if (this.#suites.length === 0 || !this.#suites.every((s) => (SUITES as readonly string[]).includes(s))) throw new InvalidArgumentError(`suites must be a non-empty list of ${SUITES.join(", ")}`);
    this.#binarize = options.binarize ?? false;
    this.#encodings = options.encodings ?? ["JSON-HEX"];
    if (this.#encodings.length === 0 || !this.#encodings.every((e) => typeof e === "string")) throw new InvalidArgumentError("encodings must be a non-empty list of strings");
    this.#ephemeralKey = options.ephemeralKey;
    this.#pinnedHubKey = options.pinnedHubKey === undefined ? undefined : parseX25519Key(options.pinnedHubKey, "pinnedHubKey");
  }

  /** Creates a client. @throws InvalidArgumentError / KeyFormatError for bad options */
  static async create(options: HiveMindClientOptions): Promise<HiveMindClient> {
    if (options === null || typeof options !== "object") throw new InvalidArgumentError("options must be an object");
    return new HiveMindClient(options);
  }

  /** The pinned hub key still in use; `undefined` after a KKpsk0 failure dropped it. */
  get pinnedHubKey(): Uint8Array | undefined {
    return this.#pinnedHubKey === undefined ? undefined : Uint8Array.from(this.#pinnedHubKey);
  }

  #fail(): void {
    if (this.pattern === "KKpsk0") this.#pinnedHubKey = undefined;
    this.#handshakeState = undefined;
    this.#phase = "failed";
  }

  /**
   * Chooses the pattern and suite, derives the PSK (cached per password and node id)
   * and writes the first message.
   * @param hello - the hub's HELLO payload (object or JSON text), exactly as received
   * @param handshake - the hub's HANDSHAKE payload, exactly as received
   * @returns the HANDSHAKE payload to send: `{"noise": {pattern, suite, msg}}`
   * @throws HandshakeRejectedError when the hub offers nothing this client accepts
   */
  async start(hello: unknown, handshake: unknown): Promise<NoiseEnvelope> {
    if (this.#phase === "done") throw new HandshakeStateError("the handshake is already complete");
    if (this.#phase === "awaiting-m2") this.#fail(); // a restart abandons the attempt in flight
    try {
      return await this.#start(asJsonObject(hello, "HELLO payload"), asJsonObject(handshake, "HANDSHAKE payload"));
    } catch (error) {
      this.#fail();
      throw error;
    }
  }

  async #start(hello: JsonObject, handshake: JsonObject): Promise<NoiseEnvelope> {
    const noise = handshake.noise as JsonObject | undefined;
    const version = jsonNumber(handshake.max_protocol_version);
    if (version === undefined || !(version >= PROTOCOL_VERSION) || noise === null || typeof noise !== "object") {
      throw new HandshakeRejectedError("the hub does not offer protocol v3 (Noise); use the legacy transport");
    }
    const offeredSuites = Array.isArray(noise.suites) ? noise.suites : [];
    const offeredPatterns = Array.isArray(noise.patterns) ? noise.patterns : [];
    const suite = this.#suites.find((s) => offeredSuites.includes(s));
    if (suite === undefined) throw new HandshakeRejectedError(`no common Noise suite: the hub offers ${JSON.stringify(offeredSuites)}`);
    const pattern: HiveMindPattern | undefined =
      this.#pinnedHubKey !== undefined && offeredPatterns.includes("KKpsk0") ? "KKpsk0" : offeredPatterns.includes("XXpsk2") ? "XXpsk2" : undefined;
    if (pattern === undefined) throw new HandshakeRejectedError(`no usable Noise pattern: the hub offers ${JSON.stringify(offeredPatterns)}`);
    this.hubRsaPublicKey = typeof hello.pubkey === "string" ? hello.pubkey : undefined;
    const nodeId = hello.node_id;
    if (nodeId !== undefined && nodeId !== null && typeof nodeId !== "string") throw new HandshakeRejectedError("HELLO node_id must be a string or null");
    const psk = await deriveHiveMindPsk(this.#password, nodeId, pskKdfFromHandshake(handshake));
    const name = protocolName(pattern, suite);
    this.pattern = pattern;
    this.suite = suite;
    this.#handshakeState = HandshakeState.initialize({
      protocol: name, initiator: true, prologue: buildPrologue(hello, handshake, name), psks: [psk],
      staticKey: this.staticKey, ephemeralKey: this.#ephemeralKey,
      remoteStaticKey: pattern === "KKpsk0" ? this.#pinnedHubKey : undefined,
    });
    const m1 = await this.#handshakeState.writeMessage(utf8(canonicalJson({ binarize: this.#binarize, encodings: [...this.#encodings] })));
    this.#phase = "awaiting-m2";
    return envelope({ pattern, suite, msg: toHex(m1) });
  }

  /**
   * Processes the hub's reply (m2).
   * @returns the third message to send (XXpsk2), or `null` (KKpsk0)
   * @throws HandshakeRejectedError on a wrong password, a wrong hub key or tampering
   */
  async receive(payload: unknown): Promise<NoiseEnvelope | null> {
    if (this.#phase !== "awaiting-m2") throw new HandshakeStateError(this.#phase === "done" ? "the handshake is already complete" : "call start() first");
    try {
      const state = this.#handshakeState!;
      const { message } = readEnvelope(payload);
      const m2Payload = payloadObject(await state.readMessage(message), "msg2 payload");
      const encoding = m2Payload.encoding;
      if (typeof encoding !== "string" || !this.#encodings.includes(encoding)) throw new HandshakeRejectedError(`the hub chose encoding ${JSON.stringify(encoding)}, which this client did not offer`);
      this.encoding = encoding;
      const reply = state.isComplete ? null : envelope({ msg: toHex(await state.writeMessage()) });
      await this.finish(state);
      this.#handshakeState = undefined;
      this.#phase = "done";
      return reply;
    } catch (error) {
      this.#fail();
      throw error;
    }
  }
}
