/**
 * HandshakeState (Noise spec revision 34, section 5.3) and the transport it splits into.
 * Sans-I/O: the caller moves the bytes.
 *
 * @module
 */
import { abytes, concatBytes, wipe } from "../common/bytes.js";
import { DecryptionError, HandshakeRejectedError, HandshakeStateError, InvalidArgumentError } from "../common/errors.js";
import { KEY_BYTES, TAG_BYTES } from "./constants.js";
import type { Token } from "./patterns.js";
import type { KeyPair } from "./primitives.js";
import { type NoiseProtocol, parseProtocolName } from "./protocol.js";
import { runSteps, settle, type Steps } from "./steps.js";
import { assertMessageSize, type CipherState, SymmetricState, symmetricSteps } from "./symmetric.js";

/** Options of {@link HandshakeState.initialize}. */
export interface HandshakeStateOptions {
  /** Full protocol name, e.g. `Noise_XXpsk2_25519_ChaChaPoly_SHA256`, or a parsed one. */
  protocol: string | NoiseProtocol;
  /** True for the initiator (the party that sends the first message). */
  initiator: boolean;
  /** Prologue both sides must agree on; empty by default. */
  prologue?: Uint8Array | undefined;
  /**
   * Our static private key (copied, and wiped after split), or a key pair (used as given,
   * so its derived public key and any backend key cache are reused), when the pattern uses one.
   */
  staticKey?: Uint8Array | KeyPair | undefined;
  /** Our ephemeral private key. For test vectors only: normally generated. */
  ephemeralKey?: Uint8Array | undefined;
  /** The peer's static public key, when known in advance (K and I-side patterns). */
  remoteStaticKey?: Uint8Array | undefined;
  /** The pre-shared keys (32 bytes each), one per `psk` token, in order. */
  psks?: readonly Uint8Array[] | undefined;
}
/**
 * The former name of {@link HandshakeStateOptions}.
 * @deprecated Use `HandshakeStateOptions` (this name differed from RSA's `RSAHandShakeOptions` by one capital).
 */
export type HandshakeOptions = HandshakeStateOptions;

type Phase = "running" | "complete" | "failed" | "split";

/** The transport after a handshake: one cipher state per direction. */
export interface NoiseTransport {
  /** Encrypts what we send. */
  readonly send: CipherState;
  /** Decrypts what we receive. */
  readonly receive: CipherState;
  /** The handshake hash, for channel binding. */
  readonly handshakeHash: Uint8Array;
}

/**
 * One side of a Noise handshake. Call `writeMessage`/`readMessage` in the pattern's
 * order, then `split()`. A message that fails authentication (a wrong PSK, a wrong
 * static key, tampering) throws {@link HandshakeRejectedError} and the state is dead:
 * every later call throws {@link HandshakeStateError}.
 */
export class HandshakeState {
  /** The protocol this handshake runs. */
  readonly protocol: NoiseProtocol;
  /** True on the initiator's side. */
  readonly initiator: boolean;
  readonly #symmetric: SymmetricState;
  readonly #psks: Uint8Array[];
  #s: KeyPair | undefined;
  #ownsStatic: boolean;
  #e: KeyPair | undefined;
  #rs: Uint8Array | undefined;
  #re: Uint8Array | undefined;
  #messageIndex = 0;
  #phase: Phase = "running";

  private constructor(options: HandshakeStateOptions, protocol: NoiseProtocol) {
    this.protocol = protocol;
    this.initiator = options.initiator;
    const { dh, pattern } = protocol;
    const keyPair = (key: Uint8Array | undefined, name: string): KeyPair | undefined =>
      key === undefined ? undefined : { privateKey: Uint8Array.from(abytes(key, name, dh.dhLen)), publicKey: dh.publicKey(abytes(key, name, dh.dhLen)) };
    const s = options.staticKey;
    // A key pair is used as given (not copied, not wiped): the caller owns it.
    this.#ownsStatic = s === undefined || s instanceof Uint8Array;
    this.#s = s === undefined || s instanceof Uint8Array
      ? keyPair(s, "staticKey")
      : { privateKey: abytes(s.privateKey, "staticKey.privateKey", dh.dhLen), publicKey: abytes(s.publicKey, "staticKey.publicKey", dh.dhLen) };
    this.#e = keyPair(options.ephemeralKey, "ephemeralKey");
    this.#rs = options.remoteStaticKey === undefined ? undefined : Uint8Array.from(abytes(options.remoteStaticKey, "remoteStaticKey", dh.dhLen));
    const psks = options.psks ?? [];
    if (!Array.isArray(psks) || psks.length !== pattern.pskCount) {
      throw new InvalidArgumentError(`psks must hold ${pattern.pskCount} key(s) for ${pattern.name}, got ${Array.isArray(psks) ? psks.length : typeof psks}`);
    }
    this.#psks = psks.map((psk, i) => Uint8Array.from(abytes(psk, `psks[${i}]`, KEY_BYTES)));
    this.#checkKeys();
    this.#symmetric = SymmetricState.initialize(protocol.name, protocol.cipher, protocol.hash);
    this.#symmetric.mixHash(options.prologue === undefined ? new Uint8Array(0) : abytes(options.prologue, "prologue"));
    for (const [tokens, ours] of [[pattern.initiatorPre, this.initiator], [pattern.responderPre, !this.initiator]] as const) {
      for (const token of tokens) this.#symmetric.mixHash(this.#preMessageKey(token, ours));
    }
  }

  /**
   * InitializeHandshakeState.
   * @throws InvalidArgumentError for an unknown protocol or a missing/wrong-size key
   */
  static initialize(options: HandshakeStateOptions): HandshakeState {
    if (options === null || typeof options !== "object") throw new InvalidArgumentError("options must be an object");
    if (typeof options.initiator !== "boolean") throw new InvalidArgumentError("options.initiator must be a boolean");
    const protocol = typeof options.protocol === "string" ? parseProtocolName(options.protocol) : options.protocol;
    return new HandshakeState(options, protocol);
  }

  #checkKeys(): void {
    const { pattern } = this.protocol;
    const mine = this.initiator ? pattern.initiatorPre : pattern.responderPre;
    const theirs = this.initiator ? pattern.responderPre : pattern.initiatorPre;
    const sendsStatic = pattern.messages.some((tokens, i) => this.#isOurs(i) && tokens.includes("s"));
    if ((mine.includes("s") || sendsStatic) && this.#s === undefined) {
      throw new InvalidArgumentError(`staticKey is required for the ${this.initiator ? "initiator" : "responder"} of ${pattern.name}`);
    }
    if (theirs.includes("s") && this.#rs === undefined) {
      throw new InvalidArgumentError(`remoteStaticKey is required for the ${this.initiator ? "initiator" : "responder"} of ${pattern.name}`);
    }
  }

  #preMessageKey(token: Token, ours: boolean): Uint8Array {
    const key = token === "s" ? (ours ? this.#s?.publicKey : this.#rs) : ours ? this.#e?.publicKey : this.#re;
    if (key === undefined) throw new InvalidArgumentError(`pre-message key ${token} is missing for ${this.protocol.pattern.name}`);
    return key;
  }

  /** True when message `index` is ours to write. */
  #isOurs(index: number): boolean {
    const initiatorWrites = this.protocol.pattern.oneWay || index % 2 === 0;
    return initiatorWrites === this.initiator;
  }

  /** True once every handshake message has been written or read. */
  get isComplete(): boolean {
    return this.#phase === "complete";
  }

  /** True when the next step is ours (writeMessage), false when it is the peer's. */
  get isMyTurn(): boolean {
    return this.#phase === "running" && this.#isOurs(this.#messageIndex);
  }

  /** The handshake hash h so far (final once complete): for channel binding. */
  get handshakeHash(): Uint8Array {
    return this.#symmetric.handshakeHash();
  }

  /** The peer's static public key, once known. */
  get remoteStaticKey(): Uint8Array | undefined {
    return this.#rs === undefined ? undefined : Uint8Array.from(this.#rs);
  }

  /** Our static public key, if we have one. */
  get staticPublicKey(): Uint8Array | undefined {
    return this.#s === undefined ? undefined : Uint8Array.from(this.#s.publicKey);
  }

  #begin(writing: boolean): readonly Token[] {
    if (this.#phase === "failed") throw new HandshakeStateError("this handshake failed earlier and cannot continue; start a new one");
    if (this.#phase === "split") throw new HandshakeStateError("this handshake was already split into a transport");
    if (this.#phase === "complete") throw new HandshakeStateError("the handshake is complete: call split()");
    if (this.#isOurs(this.#messageIndex) !== writing) {
      const owner = writing ? "the peer's" : "ours";
      throw new HandshakeStateError(`out of order: message ${this.#messageIndex + 1} of ${this.protocol.pattern.name} is ${owner} to write`);
    }
    return this.protocol.pattern.messages[this.#messageIndex]!;
  }

  /** Runs a message's steps; any failure kills the handshake and wipes its keys. */
  *#guard<T>(steps: Steps<T>): Steps<T> {
    try {
      const result = yield* steps;
      this.#messageIndex++;
      if (this.#messageIndex === this.protocol.pattern.messages.length) this.#phase = "complete";
      return result;
    } catch (error) {
      this.#phase = "failed";
      this.#symmetric.destroy();
      this.#wipeKeys();
      if (error instanceof DecryptionError) {
        throw new HandshakeRejectedError("handshake message failed authentication: wrong pre-shared key (password), wrong static key, or a tampered message", { cause: error });
      }
      throw error;
    }
  }

  /**
   * Zeroes the private keys and PSKs this state owns (after split or a failure). A static
   * key pair the caller passed in is theirs and is left alone.
   */
  #wipeKeys(): void {
    if (this.#ownsStatic) wipe(this.#s?.privateKey);
    wipe(this.#e?.privateKey);
    for (const psk of this.#psks) wipe(psk);
  }

  /** Performs a DH token (`ee`, `es`, `se`, `ss`) from our side. */
  *#dh(token: "ee" | "es" | "se" | "ss"): Steps<void> {
    // The first letter is the initiator's key, the second the responder's.
    const [initiatorKey, responderKey] = [token[0] as "e" | "s", token[1] as "e" | "s"];
    const ourKey = this.initiator ? initiatorKey : responderKey;
    const theirKey = this.initiator ? responderKey : initiatorKey;
    const local = ourKey === "e" ? this.#e : this.#s;
    const remote = theirKey === "e" ? this.#re : this.#rs;
    if (local === undefined || remote === undefined) throw new HandshakeStateError(`token ${token} needs a key that is missing`);
    const shared = yield* settle(this.protocol.dh.dh(local.privateKey, remote, local.publicKey));
    try {
      yield* symmetricSteps.mixKey(this.#symmetric, shared);
    } finally {
      wipe(shared);
    }
  }

  /** A `psk` or DH token (the same from either side). */
  *#token(token: Token): Steps<void> {
    if (token === "psk") {
      const psk = this.#psks.shift()!;
      try {
        yield* symmetricSteps.mixKeyAndHash(this.#symmetric, psk);
      } finally {
        wipe(psk);
      }
    } else if (token === "ee" || token === "es" || token === "se" || token === "ss") {
      yield* this.#dh(token);
    }
  }

  /**
   * WriteMessage(payload): the next handshake message.
   * @param payload - bytes to carry (encrypted once a key is mixed in)
   * @throws HandshakeStateError when it is not our turn or the handshake is over
   */
  async writeMessage(payload: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    abytes(payload, "payload");
    return runSteps(this.#guard(this.#write(this.#begin(true), payload)));
  }

  *#write(tokens: readonly Token[], payload: Uint8Array): Steps<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (const token of tokens) {
      if (token === "e") {
        this.#e ??= this.protocol.dh.generateKeyPair();
        parts.push(this.#e.publicKey);
        this.#symmetric.mixHash(this.#e.publicKey);
        if (this.protocol.pattern.pskCount > 0) yield* symmetricSteps.mixKey(this.#symmetric, this.#e.publicKey);
      } else if (token === "s") {
        parts.push(yield* symmetricSteps.encryptAndHash(this.#symmetric, this.#s!.publicKey));
      } else {
        yield* this.#token(token);
      }
    }
    parts.push(yield* symmetricSteps.encryptAndHash(this.#symmetric, payload));
    const message = concatBytes(...parts);
    assertMessageSize(message, "handshake message");
    return message;
  }

  /**
   * ReadMessage(message): processes the peer's next handshake message.
   * @returns the decrypted payload
   * @throws HandshakeRejectedError when the message fails authentication
   */
  async readMessage(message: Uint8Array): Promise<Uint8Array> {
    abytes(message, "message");
    return runSteps(this.#guard(this.#read(this.#begin(false), message)));
  }

  *#read(tokens: readonly Token[], message: Uint8Array): Steps<Uint8Array> {
    assertMessageSize(message, "handshake message");
    const { dhLen } = this.protocol.dh;
    let offset = 0;
    const take = (length: number): Uint8Array => {
      if (offset + length > message.length) throw new HandshakeRejectedError(`handshake message is too short (${message.length} bytes)`);
      const part = message.subarray(offset, offset + length);
      offset += length;
      return part;
    };
    for (const token of tokens) {
      if (token === "e") {
        this.#re = Uint8Array.from(take(dhLen));
        this.#symmetric.mixHash(this.#re);
        if (this.protocol.pattern.pskCount > 0) yield* symmetricSteps.mixKey(this.#symmetric, this.#re);
      } else if (token === "s") {
        const length = this.#symmetric.hasKey() ? dhLen + TAG_BYTES : dhLen;
        this.#rs = yield* symmetricSteps.decryptAndHash(this.#symmetric, take(length));
      } else {
        yield* this.#token(token);
      }
    }
    return yield* symmetricSteps.decryptAndHash(this.#symmetric, message.subarray(offset));
  }

  /**
   * Split(): the transport cipher states. Allowed once, after the last message; the
   * handshake state forgets its keys.
   */
  async split(): Promise<NoiseTransport> {
    if (this.#phase !== "complete") {
      throw new HandshakeStateError(this.#phase === "split" ? "split() was already called" : "split() needs a complete handshake");
    }
    const handshakeHash = this.#symmetric.handshakeHash();
    const [c1, c2] = await runSteps(symmetricSteps.split(this.#symmetric));
    this.#phase = "split";
    this.#wipeKeys();
    return this.initiator ? { send: c1, receive: c2, handshakeHash } : { send: c2, receive: c1, handshakeHash };
  }
}
