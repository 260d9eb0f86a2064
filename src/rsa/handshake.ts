/**
 * `HandShake` (mutual) and `HalfHandShake` (one-way) of poorman_handshake: each side
 * sends `lowercase_hex(PSS(own_priv, ct) || ct)` with `ct = OAEP-SHA1(peer_pub, 32
 * random bytes)`. Wire-compatible with the Python reference; its faults are fixed
 * without touching the wire (see docs/protocol.md).
 *
 * @module
 */
import { astring, hexBytesOrUndefined, randomBytes, toHex, wipe, xorBytes } from "../common/bytes.js";
import { HandshakeRejectedError, HandshakeStateError, InvalidArgumentError } from "../common/errors.js";
import { DEFAULT_KEY_BITS, MIN_PEER_KEY_BITS, SECRET_BYTES } from "./constants.js";
import { exportPublicKeyPem, generateRSAKeyPair, importRSAKey, modulusBytes, type RSAKeyInput } from "./keys.js";
import { decryptRSA, encryptRSA, signRSA, verifyRSA } from "./primitives.js";
import { minKeyBitsOf } from "./validate.js";
import type { WarningHandler } from "../common/warnings.js";

/** Options of {@link HandShake.create}. */
export interface RSAHandShakeOptions {
  /** Modulus size in bits of a generated key (2048 by default). */
  keySize?: number | undefined;
  /** Our private key (PEM, DER or `CryptoKey`); a fresh key is generated when omitted. */
  privateKey?: RSAKeyInput | undefined;
  /**
   * Node only: a PKCS#1 PEM key file, loaded if it exists, else generated and saved
   * (see `poorman-handshake/node` for the rules on corrupt files).
   */
  path?: string | undefined;
  /**
   * Smallest peer key accepted, in bits: 2048 by default, 1024 at the lowest (for old
   * peers). Smaller keys, and keys with unsafe numbers, are a `KeyFormatError`.
   */
  minPeerKeyBits?: number | undefined;
  /**
   * Node only: called with what is wrong but not fatal about the key file `path` (it
   * is readable by others; a corrupt file was replaced). A `process` warning otherwise.
   */
  onWarning?: WarningHandler | undefined;
}
/**
 * The former name of {@link RSAHandShakeOptions}.
 * @deprecated Use `RSAHandShakeOptions` (this name differed from Noise's `HandshakeStateOptions` by one capital).
 */
export type HandShakeOptions = RSAHandShakeOptions;

/** A peer's public key, imported once for both uses, and the policy it was accepted under. */
interface PeerKey {
  encrypt: CryptoKey;
  verify: CryptoKey;
  bytes: number;
  options: { minKeyBits: number };
}

/** Our key pair, imported once for both uses. */
interface OwnKey {
  input: RSAKeyInput;
  pubkey: string;
  sign: CryptoKey;
  decrypt: CryptoKey;
  bytes: number;
}

/** Imports our private key for both uses, concurrently; a bad key fails here. */
async function importOwnKey(input: RSAKeyInput): Promise<OwnKey> {
  const [sign, decrypt, pubkey] = await Promise.all([
    importRSAKey(input, "sign", undefined, "privateKey"),
    importRSAKey(input, "decrypt", undefined, "privateKey"),
    exportPublicKeyPem(input),
  ]);
  return { input, pubkey, sign, decrypt, bytes: modulusBytes(sign) };
}

/** Key-file operations, supplied on Node by the main entry's `node` export condition. */
export interface HandShakeKeyFiles {
  /** Loads the private key of `path`, or generates and saves one (`bits`) when there is none. */
  loadOrCreate(path: string, bits: number, options: { onWarning?: WarningHandler }): Promise<RSAKeyInput>;
  /** Loads the private key of an existing file. */
  load(path: string, options: { onWarning?: WarningHandler }): Promise<RSAKeyInput>;
  /** Saves a private key as PKCS#1 PEM, atomically, mode 0600. */
  save(key: RSAKeyInput, path: string): Promise<void>;
}

let keyFiles: HandShakeKeyFiles | undefined;

/** Installs the key-file operations (done by the Node entry point; not for users). */
export function installHandShakeKeyFiles(files: HandShakeKeyFiles): void {
  keyFiles = files;
}

function requireKeyFiles(what: string): HandShakeKeyFiles {
  if (!keyFiles) {
    throw new InvalidArgumentError(
      `${what} needs key files (the file system), which this build of poorman-handshake (browsers, workers, bundles) cannot use: ` +
        "keep the key yourself (exportPrivateKeyPem, then HandShake.create({ privateKey })) or run on Node, where the main entry has key files",
    );
  }
  return keyFiles;
}

/** Splits a shake's bytes at `at`; the reference puts the signature first. */
function split(data: Uint8Array, at: number): { signature: Uint8Array; ciphertext: Uint8Array } {
  return { signature: data.subarray(0, at), ciphertext: data.subarray(at) };
}

/**
 * The mutual RSA handshake: both sides send a shake, and the secret is
 * `own_secret XOR peer_secret`, so neither side chooses it alone.
 *
 * Fixed compared with the reference, same wire: {@link receiveAndVerify} throws on a
 * bad signature (Python silently keeps a wrong secret); peers with different key sizes
 * work; using a peer key before one is loaded, or receiving before generating, is a
 * typed error; `secret` is `undefined` until the peer's shake is received (Python
 * exposes our own half, use {@link HalfHandShake} for that).
 *
 * @example
 * ```ts
 * const alice = await HandShake.create(), bob = await HandShake.create();
 * await alice.loadPublic(bob.pubkey); await bob.loadPublic(alice.pubkey);
 * const a = await alice.generateHandshake(), b = await bob.generateHandshake();
 * await alice.receiveAndVerify(b); await bob.receiveAndVerify(a);
 * // alice.secret and bob.secret are the same 32 bytes
 * ```
 */
export class HandShake {
  #key: OwnKey;
  #minPeerKeyBits = MIN_PEER_KEY_BITS;
  #onWarning: WarningHandler | undefined;
  #peer: PeerKey | undefined;
  #own: Uint8Array | undefined;
  #secret: Uint8Array | undefined;
  #receiving = false;

  /**
   * Use {@link HandShake.create}.
   * @internal
   */
  protected constructor(key: OwnKey) {
    this.#key = key;
  }

  /**
   * Makes a handshake object with a generated key, a given key, or (Node) a key file.
   * @param options - see {@link RSAHandShakeOptions}; at most one of `privateKey` and `path`
   * @throws KeyFormatError when `privateKey` is not an RSA private key
   * @throws FileError (Node) when `path` cannot be read or written
   */
  static async create<T extends HandShake>(this: { prototype: T }, options: RSAHandShakeOptions = {}): Promise<T> {
    if (options === null || typeof options !== "object") throw new InvalidArgumentError("options must be an object");
    const { keySize = DEFAULT_KEY_BITS, privateKey, path, onWarning } = options;
    const minPeerKeyBits = minKeyBitsOf({ minKeyBits: options.minPeerKeyBits }, "options.minPeerKeyBits");
    if (onWarning !== undefined && typeof onWarning !== "function") throw new InvalidArgumentError("options.onWarning must be a function");
    if (privateKey !== undefined && path !== undefined) {
      throw new InvalidArgumentError("options.privateKey and options.path cannot be used together");
    }
    let key: RSAKeyInput;
    if (path !== undefined) key = await requireKeyFiles("options.path").loadOrCreate(astring(path, "options.path"), keySize, { onWarning });
    else key = privateKey ?? (await generateRSAKeyPair(keySize)).privateKey;
    const Self = this as unknown as new (key: OwnKey) => T;
    const shake = new Self(await importOwnKey(key));
    shake.#minPeerKeyBits = minPeerKeyBits;
    shake.#onWarning = onWarning;
    return shake;
  }

  /** Our public key as SPKI PEM, exactly as Python's `pubkey` (64-char lines, LF, no trailing newline). */
  get pubkey(): string {
    return this.#key.pubkey;
  }

  /** The 32-byte shared secret, or `undefined` until the peer's shake was received. */
  get secret(): Uint8Array | undefined {
    return this.#secret;
  }

  /** Our own random contribution of the latest {@link generateHandshake}, if any. */
  protected get ownSecret(): Uint8Array | undefined {
    return this.#own;
  }

  /** Whether a peer's shake was received, or receiving one was attempted (even if it failed). */
  protected get receiving(): boolean {
    return this.#receiving;
  }

  /**
   * Remembers the peer's public key for later calls without a `pub` argument.
   * @param pub - the peer's public key (PEM, DER or `CryptoKey`)
   * @throws KeyFormatError when it is not an RSA public key, or one we refuse (unsafe
   *   numbers, under `minPeerKeyBits`)
   */
  async loadPublic(pub: RSAKeyInput): Promise<void> {
    this.#peer = await this.#importPeer(pub, "pub");
  }

  /**
   * Makes our shake: a fresh 32-byte secret encrypted to the peer and signed by us.
   * @param pub - the peer's key; the loaded one when omitted
   * @returns `lowercase_hex(signature || ciphertext)` (1024 digits for two 2048-bit keys)
   * @throws HandshakeStateError when no peer key is given or loaded
   */
  async generateHandshake(pub?: RSAKeyInput): Promise<string> {
    const peer = await this.#peerFor(pub, "generateHandshake");
    const own = randomBytes(SECRET_BYTES);
    const ciphertext = await encryptRSA(peer.encrypt, own, peer.options);
    const signature = await signRSA(this.#key.sign, ciphertext);
    wipe(this.#own);
    this.#own = own;
    return toHex(signature) + toHex(ciphertext);
  }

  /**
   * Checks the shake's signature with the sender's key.
   * @param shake - the sender's shake (hex, either case)
   * @param pub - the sender's key; the loaded one when omitted
   * @returns whether it verifies; `false`, never an exception, for any malformed or forged shake
   * @throws HandshakeStateError when no sender key is given or loaded
   */
  async verify(shake: string, pub?: RSAKeyInput): Promise<boolean> {
    astring(shake, "shake");
    const peer = await this.#peerFor(pub, "verify");
    const data = shake.length / 2 <= peer.bytes ? undefined : hexBytesOrUndefined(shake);
    if (data === undefined) return false;
    const { signature, ciphertext } = split(data, peer.bytes);
    return verifyRSA(peer.verify, ciphertext, signature, peer.options);
  }

  /**
   * Decrypts the peer's secret without checking the signature (as the reference
   * does); prefer {@link receiveAndVerify}. The shake is split by our own key size
   * from the end, so a sender with another key size works.
   * @param shake - the peer's shake (hex, either case)
   * @throws HandshakeStateError for a mutual handshake before {@link generateHandshake}
   * @throws InvalidArgumentError when `shake` is not hex longer than our ciphertext
   * @throws DecryptionError when the ciphertext was not made for our key
   */
  async receiveHandshake(shake: string): Promise<void> {
    this.#startReceiving();
    this.#secret = this.combine(await this.#decryptShake(this.#shakeBytes(shake)));
  }

  /**
   * Verifies the peer's signature and only then takes its secret.
   * @param shake - the peer's shake (hex, either case)
   * @param pub - the sender's key; the loaded one when omitted
   * @throws HandshakeRejectedError when the signature does not verify with `pub`
   *   (the reference silently ignores this); no secret is kept then
   * @throws HandshakeStateError when no sender key is given or loaded, or (mutual)
   *   before {@link generateHandshake}
   * @throws DecryptionError when the ciphertext was not made for our key
   */
  async receiveAndVerify(shake: string, pub?: RSAKeyInput): Promise<void> {
    this.#startReceiving();
    const data = this.#shakeBytes(shake);
    const peer = await this.#peerFor(pub, "receiveAndVerify");
    this.combine(undefined, true); // state check before any work
    const { signature, ciphertext } = split(data, data.length - this.#key.bytes);
    // Verify and decrypt concurrently; the secret is used only if the signature holds.
    const [valid, peerSecret] = await Promise.all([
      signature.length === peer.bytes ? verifyRSA(peer.verify, ciphertext, signature, peer.options) : false,
      this.#decryptShake(data).then(
        (secret) => ({ secret }),
        (error: unknown) => ({ error }),
      ),
    ]);
    if (!valid) {
      if ("secret" in peerSecret) wipe(peerSecret.secret);
      throw new HandshakeRejectedError("the shake's signature does not verify with the sender's public key");
    }
    if ("error" in peerSecret) throw peerSecret.error;
    this.#secret = this.combine(peerSecret.secret);
  }

  /**
   * Turns the peer's decrypted contribution into the shared secret: `own XOR peer`
   * for the mutual handshake. With `checkOnly`, only checks that it can.
   * @param peerSecret - the peer's 32 bytes (consumed)
   * @param checkOnly - only throw if the state does not allow combining
   */
  protected combine(peerSecret: Uint8Array | undefined, checkOnly = false): Uint8Array {
    const own = this.#own;
    if (own === undefined) {
      wipe(peerSecret);
      throw new HandshakeStateError("call generateHandshake() before receiving: the mutual secret needs our own half");
    }
    if (checkOnly || peerSecret === undefined) return own;
    const secret = xorBytes(own, peerSecret);
    wipe(peerSecret);
    return secret;
  }

  /** Overwrites the secrets with zeros and forgets them. */
  destroy(): void {
    wipe(this.#secret);
    wipe(this.#own);
    this.#secret = undefined;
    this.#own = undefined;
  }

  /**
   * Node only: saves our private key as a PKCS#1 PEM file (atomically, mode 0600),
   * creating parent folders; Python's `HandShake(path)` loads it.
   * @param path - where to write
   */
  async exportPrivateKey(path: string): Promise<void> {
    await requireKeyFiles("exportPrivateKey()").save(this.#key.input, astring(path, "path"));
  }

  /**
   * Node only: replaces our private key with the one of an existing file (Python's
   * `load_private`), so `pubkey` changes; secrets of the old key are forgotten.
   * @param path - a PKCS#1 or PKCS#8 PEM private key file
   * @throws KeyFormatError when the file holds no private key (our key is kept then)
   * @throws FileError when the file cannot be read
   */
  async loadPrivate(path: string): Promise<void> {
    const key = await importOwnKey(await requireKeyFiles("loadPrivate()").load(astring(path, "path"), { onWarning: this.#onWarning }));
    this.destroy();
    this.#key = key;
  }

  /** A receive attempt forgets the previous secret first, so a failed one leaves none. */
  #startReceiving(): void {
    this.#receiving = true;
    this.#secret = undefined;
  }

  #shakeBytes(shake: string): Uint8Array {
    astring(shake, "shake");
    const bytes = this.#key.bytes;
    const data = shake.length / 2 <= bytes ? undefined : hexBytesOrUndefined(shake);
    if (data === undefined) {
      throw new InvalidArgumentError(`shake must be hex of signature || ${bytes}-byte ciphertext, got a string of length ${shake.length}`);
    }
    return data;
  }

  #decryptShake(data: Uint8Array): Promise<Uint8Array> {
    return decryptRSA(this.#key.decrypt, data.subarray(data.length - this.#key.bytes));
  }

  async #importPeer(pub: RSAKeyInput, name: string): Promise<PeerKey> {
    const options = { minKeyBits: this.#minPeerKeyBits };
    const [encrypt, verify] = await Promise.all([importRSAKey(pub, "encrypt", undefined, name, options), importRSAKey(pub, "verify", undefined, name, options)]);
    return { encrypt, verify, bytes: modulusBytes(encrypt), options };
  }

  async #peerFor(pub: RSAKeyInput | undefined, method: string): Promise<PeerKey> {
    if (pub !== undefined) return this.#importPeer(pub, "pub");
    if (this.#peer === undefined) {
      throw new HandshakeStateError(`${method}() needs the peer's public key: pass it, or call loadPublic() first`);
    }
    return this.#peer;
  }
}

/**
 * The one-way RSA handshake: the sender's random 32 bytes become the secret of both
 * sides. After {@link generateHandshake} the sender's `secret` is what it sent; after
 * receiving, the receiver's `secret` is what it decrypted. This is what HiveMind hubs
 * do on the RSA path.
 *
 * An object that has received, or tried to, is a receiver from then on: its `secret`
 * is only ever the peer's, and a refused or failed receive leaves it `undefined`
 * (never our own sent key, which a caller would take for the peer's).
 */
export class HalfHandShake extends HandShake {
  /** The sender's secret: ours after generating, the peer's once receiving (`undefined` if that failed). */
  override get secret(): Uint8Array | undefined {
    return this.receiving ? super.secret : this.ownSecret;
  }

  /** The secret is the peer's contribution as is; no own half is needed. */
  protected override combine(peerSecret: Uint8Array | undefined, checkOnly = false): Uint8Array {
    if (checkOnly || peerSecret === undefined) return new Uint8Array(0);
    return peerSecret;
  }
}
