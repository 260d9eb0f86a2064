/**
 * What the HiveMind v3 hub and client share: key parsing, the prologue, payload
 * parsing, and the transport once the handshake is done.
 *
 * @module
 */
import { fromHex, isHex, toHex, utf8, wipe } from "../common/bytes.js";
import { parseX25519Key } from "../noise/x25519-key.js";
import { HandshakeRejectedError, HandshakeStateError } from "../common/errors.js";
import { type HandshakeState, type KeyPair, NOISE_WIRE, noiseBackend } from "../noise/index.js";
import type { HiveMindPattern, HiveMindSuite } from "./constants.js";
import { canonicalJson } from "./json.js";
import { parseJsonKeepingNumbers } from "./json-parse.js";
import { type HiveMindFrameMessage, HiveMindTransport, type TransportLimits } from "./transport.js";

/** A JSON object payload as sent or received on the wire. */
export type JsonObject = Record<string, unknown>;

/** The HANDSHAKE payload carrying a Noise message: `{"noise": {...}}`. */
export interface NoiseEnvelope {
  /** The Noise part; `pattern` and `suite` only in the client's first message. */
  noise: { pattern?: HiveMindPattern; suite?: HiveMindSuite; msg: string };
}

export { parseX25519Key } from "../noise/x25519-key.js";

/** How many static key pairs {@link staticPrivateKey} keeps (a process has one or a few). */
const STATIC_KEY_CACHE_LIMIT = 16;
const staticKeyPairs = new Map<string, KeyPair>();

/**
 * Our static key pair: a fresh random one, or the given key's. A given key's pair is kept
 * (by a SHA-256 of the key, at most 16) so that a hub or client made per connection with
 * the same key reuses one array, whose public key and backend key handle (a `KeyObject` on
 * Node) are then computed and imported once per process, not per connection.
 */
export function staticPrivateKey(key: Uint8Array | string | undefined): KeyPair {
  const dh = noiseBackend().dh["25519"]!;
  if (key === undefined) return dh.generateKeyPair();
  const privateKey = parseX25519Key(key, "staticKey");
  const id = toHex(noiseBackend().hash.SHA256!.hash(privateKey));
  const cached = staticKeyPairs.get(id);
  if (cached !== undefined) {
    wipe(privateKey);
    return cached;
  }
  const pair = { privateKey, publicKey: dh.publicKey(privateKey) };
  staticKeyPairs.set(id, pair);
  // Dropped, not wiped: sessions made with an evicted pair may still be using it.
  if (staticKeyPairs.size > STATIC_KEY_CACHE_LIMIT) staticKeyPairs.delete(staticKeyPairs.keys().next().value!);
  return pair;
}

/**
 * Forgets the static key pairs kept for hubs and clients created with a given `staticKey`
 * (call it when a key is retired); hubs and clients already made keep theirs.
 */
export function clearStaticKeyCache(): void {
  staticKeyPairs.clear();
}

/** The Noise protocol name of a HiveMind pattern and suite. */
export function protocolName(pattern: HiveMindPattern, suite: HiveMindSuite): string {
  return `Noise_${pattern}_${suite}`;
}

/** The prologue: `canon(HELLO) || canon(HANDSHAKE) || utf8(protocol name)`. */
export function buildPrologue(hello: JsonObject, handshake: JsonObject, name: string): Uint8Array {
  return utf8(canonicalJson(hello) + canonicalJson(handshake) + name);
}

/**
 * Accepts a payload as a parsed object or as JSON text. Text is parsed keeping each
 * number's source (a {@link RawNumber}), so the prologue carries it as Python would;
 * pass the text as received whenever it feeds the prologue.
 * @throws HandshakeRejectedError when it is not a JSON object
 */
export function asJsonObject(payload: unknown, name: string): JsonObject {
  let value = payload;
  if (typeof payload === "string") {
    try {
      value = parseJsonKeepingNumbers(payload);
    } catch (cause) {
      throw new HandshakeRejectedError(`${name} is not valid JSON`, { cause });
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new HandshakeRejectedError(`${name} must be a JSON object`);
  return value as JsonObject;
}

const utf8Decoder = new TextDecoder();

/**
 * Reads a decrypted handshake payload: UTF-8 JSON object text (see {@link asJsonObject}).
 * @throws HandshakeRejectedError when it is not a JSON object
 */
export function payloadObject(bytes: Uint8Array, name: string): JsonObject {
  return asJsonObject(utf8Decoder.decode(bytes), name);
}

/**
 * Reads `{"noise": {"msg": hex, ...}}` and returns the Noise part and the message bytes.
 * The hex is length-checked against Noise's message bound before it is read.
 */
export function readEnvelope(payload: unknown): { noise: JsonObject; message: Uint8Array } {
  const noise = asJsonObject(payload, "handshake payload").noise;
  const msg = noise !== null && typeof noise === "object" ? (noise as JsonObject).msg : undefined;
  if (typeof msg !== "string") throw new HandshakeRejectedError('handshake payload must be {"noise": {"msg": <hex>}}');
  if (msg.length > 2 * NOISE_WIRE.MAX_MESSAGE_BYTES) throw new HandshakeRejectedError(`handshake message must be at most ${NOISE_WIRE.MAX_MESSAGE_BYTES} bytes, got ${Math.ceil(msg.length / 2)}`);
  if (!isHex(msg)) throw new HandshakeRejectedError('handshake payload must be {"noise": {"msg": <hex>}}');
  return { noise: noise as JsonObject, message: fromHex(msg) };
}

/** Builds `{"noise": {...}}`. */
export function envelope(noise: NoiseEnvelope["noise"]): NoiseEnvelope {
  return { noise };
}

/** The state and transport both ends of a HiveMind v3 session share. */
export abstract class HiveMindSession {
  /** Our X25519 static public key (pin it on the other side). */
  readonly staticPublicKey: Uint8Array;
  /** Our static key pair, for the handshake. */
  protected readonly staticKey: KeyPair;
  /** Bounds on what the transport reassembles (set before the handshake completes). */
  protected transportLimits: TransportLimits = {};
  #transport: HiveMindTransport | undefined;
  #handshakeHash: Uint8Array | undefined;
  #remoteStaticKey: Uint8Array | undefined;

  /** @param staticKey - our X25519 static key pair (see {@link staticPrivateKey}) */
  protected constructor(staticKey: KeyPair) {
    this.staticKey = staticKey;
    this.staticPublicKey = Uint8Array.from(staticKey.publicKey);
  }

  /** True once the handshake is complete and `encrypt`/`decrypt` may be used. */
  get done(): boolean {
    return this.#transport !== undefined;
  }

  /** The Noise handshake hash (channel binding), once done. */
  get handshakeHash(): Uint8Array | undefined {
    return this.#handshakeHash === undefined ? undefined : Uint8Array.from(this.#handshakeHash);
  }

  /** The peer's X25519 static public key, once done (pin it for KKpsk0 next time). */
  get remoteStaticKey(): Uint8Array | undefined {
    return this.#remoteStaticKey === undefined ? undefined : Uint8Array.from(this.#remoteStaticKey);
  }

  /** Splits a completed handshake into the transport. */
  protected async finish(handshake: HandshakeState): Promise<void> {
    this.#remoteStaticKey = handshake.remoteStaticKey;
    const { send, receive, handshakeHash } = await handshake.split();
    this.#handshakeHash = handshakeHash;
    this.#transport = new HiveMindTransport(send, receive, this.transportLimits);
  }

  /** Drops what the transport holds for an unfinished message; later `decrypt`s fail. */
  closeTransport(): void {
    this.#transport?.close();
  }

  #ready(): HiveMindTransport {
    if (this.#transport === undefined) throw new HandshakeStateError("the handshake is not complete yet");
    return this.#transport;
  }

  /**
   * Encrypts one message into transport frames (several when over 65000 bytes).
   * @param marker - `0` for a JSON HiveMessage, `1` for a HIVEMIND-WIRE-1 bitstring
   * @param body - the message; a string is UTF-8 encoded
   */
  async encrypt(marker: 0 | 1, body: Uint8Array | string): Promise<Uint8Array[]> {
    return this.#ready().encrypt(marker, body);
  }

  /**
   * Decrypts one transport frame. Any failure is fatal for the session (close with 1008).
   * @returns the message, or `undefined` while a multi-frame message is incomplete
   */
  async decrypt(frame: Uint8Array): Promise<HiveMindFrameMessage | undefined> {
    return this.#ready().decrypt(frame);
  }
}
