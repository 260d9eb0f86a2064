/**
 * `NoiseHandShake`: poorman_handshake's Noise key exchange (`poorman_handshake.noise`),
 * XXpsk2 or KKpsk0 over 25519 / ChaChaPoly / SHA256, keyed by a password stretched with
 * argon2id. Raw Noise messages in and out, no HiveMind framing. Built on the engine's
 * public {@link HandshakeState}; wire-identical to the Python class on `noiseprotocol`.
 *
 * @module
 */
import { abytes, astring, toHex, utf8 } from "../common/bytes.js";
import { HandshakeRejectedError, HandshakeStateError, InvalidArgumentError } from "../common/errors.js";
import { noiseBackend } from "./backend.js";
import { KEY_BYTES, KK_PSK0, XX_PSK2 } from "./constants.js";
import { HandshakeState, type NoiseTransport } from "./handshake.js";
import { deriveNoisePsk } from "./psk.js";
import type { CipherState } from "./symmetric.js";
import { parseX25519Key } from "./x25519-key.js";

/** A pattern `NoiseHandShake` speaks: {@link XX_PSK2} or {@link KK_PSK0}. */
export type NoiseHandShakePattern = typeof XX_PSK2 | typeof KK_PSK0;

/** Options of {@link NoiseHandShake.create}; the names of Python's keyword arguments, in camelCase. */
export interface NoiseHandShakeOptions {
  /** True for the side that sends the first message. */
  initiator: boolean;
  /** The shared password, stretched by argon2id (see {@link deriveNoisePsk}); ignored when `psk` is given. */
  password?: string | Uint8Array;
  /** A pre-derived 32-byte PSK. */
  psk?: Uint8Array;
  /** The server's node id: the PSK salt is SHA-256(nodeId). */
  nodeId?: string | Uint8Array;
  /** An explicit PSK salt (our addition: Python takes one only in `derive_psk`). */
  salt?: Uint8Array;
  /** The peer's static public key (32 bytes or 64 hex digits): selects KKpsk0. */
  remotePubkey?: Uint8Array | string;
  /** Bytes bound into the handshake hash (text is UTF-8); both sides must agree. */
  prologue?: Uint8Array | string;
  /** The full protocol name; KKpsk0 when `remotePubkey` is given, else XXpsk2. */
  pattern?: NoiseHandShakePattern;
  /** Our static X25519 private key, 32 bytes or hex (our addition; Python takes one only through `path`). */
  staticKey?: Uint8Array | string;
  /**
   * Node only: the static key file (lowercase hex, mode 0600), loaded, or created with
   * a fresh key when absent, as Python's `path`. Import the package on Node for it.
   */
  path?: string;
  /** Our ephemeral private key. For test vectors only: normally fresh per handshake. */
  ephemeralKey?: Uint8Array;
}

/** Loads or creates the key file at `path`; installed by the Node entry of `./noise`. */
export type NoiseKeyFileLoader = (path: string) => Promise<{ readonly privateKey: Uint8Array }>;

let keyFileLoader: NoiseKeyFileLoader | undefined;

/** Lets the Node entry provide key files without a `node:` import in the portable core. */
export function installNoiseKeyFiles(loader: NoiseKeyFileLoader): void {
  keyFileLoader = loader;
}

const EMPTY = new Uint8Array(0);
const isGiven = (key: Uint8Array | string | undefined | null): key is Uint8Array | string => key !== undefined && key !== null && key.length > 0;

/**
 * One side of poorman_handshake's Noise handshake. Step it with {@link writeMessage} /
 * {@link readMessage} (XX: three messages, KK: two); once {@link handshakeFinished},
 * {@link encrypt} / {@link decrypt} carry transport messages with counter nonces, so a
 * replayed or reordered message fails.
 *
 * Safer than the Python class without changing the wire: an explicit `pattern` of XX
 * with a `remotePubkey` makes that key a pin (a peer with another static key is
 * refused), and {@link destroy} wipes the transport keys.
 *
 * @example
 * ```ts
 * const alice = await NoiseHandShake.create({ initiator: true, password, nodeId: "server-01" });
 * const bob = await NoiseHandShake.create({ initiator: false, password, nodeId: "server-01" });
 * await bob.readMessage(await alice.writeMessage());
 * await alice.readMessage(await bob.writeMessage());
 * await bob.readMessage(await alice.writeMessage());
 * await bob.decrypt(await alice.encrypt(utf8("hello")));
 * ```
 */
export class NoiseHandShake {
  /** True on the side that sent the first message. */
  readonly initiator: boolean;
  /** The full Noise protocol name in use. */
  readonly pattern: NoiseHandShakePattern;
  /** Our static X25519 public key, 32 raw bytes (share or pin this). */
  readonly pubkeyBytes: Uint8Array;
  readonly #state: HandshakeState;
  readonly #pinned: Uint8Array | undefined;
  #remote: Uint8Array | undefined;
  #transport: NoiseTransport | undefined;
  #failed = false;

  private constructor(state: HandshakeState, pattern: NoiseHandShakePattern, remote: Uint8Array | undefined) {
    this.#state = state;
    this.initiator = state.initiator;
    this.pattern = pattern;
    this.pubkeyBytes = state.staticPublicKey!;
    this.#remote = remote;
    this.#pinned = pattern === XX_PSK2 ? remote : undefined;
  }

  /**
   * Derives the PSK (argon2id, about 64 MiB and tens of milliseconds, cached per
   * process), loads or makes the static key, and starts the handshake.
   * @throws InvalidArgumentError without `password` or `psk`, for a PSK not of 32 bytes, or a bad option
   * @throws KeyFormatError for a malformed key or key file
   * @throws HandshakeStateError for `path` outside Node
   */
  static async create(options: NoiseHandShakeOptions): Promise<NoiseHandShake> {
    if (options === null || typeof options !== "object") throw new InvalidArgumentError("options must be an object");
    if (typeof options.initiator !== "boolean") throw new InvalidArgumentError("options.initiator must be a boolean");
    const remote = isGiven(options.remotePubkey) ? parseX25519Key(options.remotePubkey, "remotePubkey") : undefined;
    const pattern = options.pattern ?? (remote === undefined ? XX_PSK2 : KK_PSK0);
    if (pattern !== XX_PSK2 && pattern !== KK_PSK0) throw new InvalidArgumentError(`pattern must be ${XX_PSK2} or ${KK_PSK0}, got ${String(pattern)}`);
    if (pattern === KK_PSK0 && remote === undefined) throw new InvalidArgumentError(`${KK_PSK0} needs remotePubkey`);
    const psk = await pskOf(options);
    const staticKey = await staticKeyOf(options);
    const prologue = options.prologue === undefined ? EMPTY : typeof options.prologue === "string" ? utf8(options.prologue) : abytes(options.prologue, "prologue");
    const state = HandshakeState.initialize({
      protocol: pattern,
      initiator: options.initiator,
      prologue,
      staticKey,
      psks: [psk],
      ...(pattern === KK_PSK0 ? { remoteStaticKey: remote } : {}),
      ...(options.ephemeralKey === undefined ? {} : { ephemeralKey: options.ephemeralKey }),
    });
    staticKey.fill(0);
    psk.fill(0);
    return new NoiseHandShake(state, pattern, remote);
  }

  /** Our static public key as lowercase hex. */
  get pubkey(): string {
    return toHex(this.pubkeyBytes);
  }

  /** The peer's static public key: the given one (KK), or the one learned during XX, once read. */
  get remotePubkey(): Uint8Array | undefined {
    return this.#remote === undefined ? undefined : Uint8Array.from(this.#remote);
  }

  /** True once the handshake completed and the transport keys exist. */
  get handshakeFinished(): boolean {
    return this.#transport !== undefined;
  }

  /** Alias of {@link handshakeFinished}, as Python's `complete`. */
  get complete(): boolean {
    return this.handshakeFinished;
  }

  /** The 32-byte handshake hash (channel binding), or `undefined` until the handshake completes. */
  get handshakeHash(): Uint8Array | undefined {
    return this.#transport === undefined ? undefined : Uint8Array.from(this.#transport.handshakeHash);
  }

  /**
   * The next handshake message to send.
   * @param payload - bytes to piggyback (encrypted from the first message that has a key)
   * @throws HandshakeStateError out of turn or after the handshake
   */
  async writeMessage(payload: Uint8Array = EMPTY): Promise<Uint8Array> {
    this.#alive();
    const message = await this.#state.writeMessage(payload);
    await this.#step();
    return message;
  }

  /**
   * Processes the peer's next handshake message.
   * @returns the peer's payload (possibly empty)
   * @throws HandshakeRejectedError for a wrong password or PSK, a wrong static key, a different prologue or a tampered message
   */
  async readMessage(message: Uint8Array): Promise<Uint8Array> {
    this.#alive();
    const payload = await this.#state.readMessage(message);
    await this.#step();
    return payload;
  }

  /**
   * The transport cipher states `[send, receive]`, the ones {@link encrypt} and
   * {@link decrypt} use (shared nonce counters), as Python's `split()`.
   * @throws HandshakeStateError before the handshake finished
   */
  split(): readonly [send: CipherState, receive: CipherState] {
    const transport = this.#requireTransport();
    return [transport.send, transport.receive];
  }

  /** Encrypts a transport message (empty associated data, next send nonce). */
  async encrypt(plaintext: Uint8Array): Promise<Uint8Array> {
    return this.#requireTransport().send.encryptWithAd(EMPTY, abytes(plaintext, "plaintext"));
  }

  /**
   * Decrypts the peer's next transport message.
   * @throws DecryptionError for a tampered, replayed or reordered message
   */
  async decrypt(ciphertext: Uint8Array): Promise<Uint8Array> {
    return this.#requireTransport().receive.decryptWithAd(EMPTY, abytes(ciphertext, "ciphertext"));
  }

  /** Wipes the transport keys; later calls to encrypt, decrypt or split fail. */
  destroy(): void {
    this.#transport?.send.destroy();
    this.#transport?.receive.destroy();
    this.#transport = undefined;
    this.#failed = true;
  }

  async #step(): Promise<void> {
    const learned = this.#state.remoteStaticKey;
    if (learned !== undefined) {
      if (this.#pinned !== undefined && toHex(learned) !== toHex(this.#pinned)) {
        this.#failed = true;
        throw new HandshakeRejectedError("the peer's static key is not the pinned remotePubkey");
      }
      this.#remote = learned;
    }
    if (this.#state.isComplete) this.#transport = await this.#state.split();
  }

  #alive(): void {
    if (this.#failed) throw new HandshakeStateError("this handshake failed earlier and cannot continue; start a new one");
  }

  #requireTransport(): NoiseTransport {
    if (this.#transport === undefined) {
      throw new HandshakeStateError(this.#failed ? "this handshake was destroyed or failed" : "handshake not finished: keep calling writeMessage/readMessage");
    }
    return this.#transport;
  }
}

async function pskOf(options: NoiseHandShakeOptions): Promise<Uint8Array> {
  if (options.psk !== undefined && options.psk !== null) {
    const psk = abytes(options.psk, "psk");
    if (psk.length !== KEY_BYTES) throw new InvalidArgumentError(`psk must be exactly ${KEY_BYTES} bytes, got ${psk.length}`);
    return Uint8Array.from(psk);
  }
  if (options.password === undefined || options.password === null) throw new InvalidArgumentError("either password or psk is required");
  return deriveNoisePsk(options.password, {
    ...(options.nodeId === undefined ? {} : { nodeId: options.nodeId }),
    ...(options.salt === undefined ? {} : { salt: options.salt }),
  });
}

async function staticKeyOf(options: NoiseHandShakeOptions): Promise<Uint8Array> {
  if (options.path !== undefined && options.path !== null) {
    if (options.staticKey !== undefined) throw new InvalidArgumentError("give staticKey or path, not both");
    if (keyFileLoader === undefined) throw new HandshakeStateError("path needs Node's file system: import poorman-handshake/noise on Node (the browser build has no key files)");
    return Uint8Array.from((await keyFileLoader(astring(options.path, "path"))).privateKey);
  }
  if (options.staticKey !== undefined) return parseX25519Key(options.staticKey, "staticKey");
  return noiseBackend().dh["25519"]!.generateKeyPair().privateKey;
}
