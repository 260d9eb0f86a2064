/**
 * CipherState and SymmetricState (Noise spec revision 34, section 5.1 and 5.2).
 *
 * @module
 */
import { abytes, utf8, wipe } from "../common/bytes.js";
import { HandshakeStateError, InvalidArgumentError, NonceExhaustedError } from "../common/errors.js";
import { KEY_BYTES, MAX_MESSAGE_BYTES, MAX_NONCE } from "./constants.js";
import type { AeadKey, CipherFunction, HashFunction } from "./primitives.js";
import { runSteps, settle, type Steps } from "./steps.js";

const EMPTY = new Uint8Array(0);

/** CipherState's steps, for SymmetricState (they share this module; not public API). */
let cipherSteps!: {
  initializeKey(state: CipherState, key: Uint8Array | undefined): Steps<void>;
  encryptWithAd(state: CipherState, ad: Uint8Array, plaintext: Uint8Array): Steps<Uint8Array>;
  decryptWithAd(state: CipherState, ad: Uint8Array, ciphertext: Uint8Array): Steps<Uint8Array>;
};

/**
 * A key and a nonce counter. Without a key, encryption and decryption pass data through
 * (as Noise requires during the first handshake messages).
 */
export class CipherState {
  readonly #cipher: CipherFunction;
  #key: Uint8Array | undefined;
  #aead: AeadKey | undefined;
  #nonce = 0n;
  /** Set by destroy(): a keyless state would pass data through in the clear. */
  #destroyed = false;

  static {
    cipherSteps = {
      initializeKey: (state, key) => state.#initializeKey(key),
      encryptWithAd: (state, ad, plaintext) => state.#encryptWithAd(ad, plaintext),
      decryptWithAd: (state, ad, ciphertext) => state.#decryptWithAd(ad, ciphertext),
    };
  }

  /** @param cipher - the cipher function this state uses */
  constructor(cipher: CipherFunction) {
    this.#cipher = cipher;
  }

  /** Creates a state holding `key` with the nonce at 0. */
  static async withKey(cipher: CipherFunction, key: Uint8Array): Promise<CipherState> {
    const state = new CipherState(cipher);
    await state.initializeKey(key);
    return state;
  }

  /** InitializeKey(key): sets the key and resets the nonce to 0. */
  async initializeKey(key: Uint8Array | undefined): Promise<void> {
    return runSteps(this.#initializeKey(key));
  }

  *#initializeKey(key: Uint8Array | undefined): Steps<void> {
    this.#assertAlive();
    const next = key === undefined ? undefined : Uint8Array.from(abytes(key, "key", KEY_BYTES));
    const aead = next === undefined ? undefined : yield* settle(this.#cipher.importKey(next));
    // Swap only once the new key is ready, then zero the old key and the backend's copy.
    this.#aead?.destroy();
    wipe(this.#key);
    this.#key = next;
    this.#aead = aead;
    this.#nonce = 0n;
  }

  /** HasKey(). */
  hasKey(): boolean {
    return this.#key !== undefined;
  }

  /** The nonce the next message will use. */
  get nonce(): bigint {
    return this.#nonce;
  }

  /** SetNonce(n): for out-of-order transports and tests; `n` is below 2^64. */
  setNonce(n: bigint): void {
    if (typeof n !== "bigint" || n < 0n || n > MAX_NONCE) throw new InvalidArgumentError("nonce must be a bigint from 0 to 2^64-1");
    this.#nonce = n;
  }

  #takeNonce(): bigint {
    if (this.#nonce >= MAX_NONCE) throw new NonceExhaustedError("cipher state nonce exhausted: start a new handshake");
    return this.#nonce;
  }

  /** EncryptWithAd(ad, plaintext): ciphertext || tag, or the plaintext itself without a key. */
  async encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    return runSteps(this.#encryptWithAd(ad, plaintext));
  }

  *#encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Steps<Uint8Array> {
    this.#assertAlive();
    if (this.#aead === undefined) return Uint8Array.from(plaintext);
    // Reserve the nonce before the cipher runs, so concurrent calls never share one.
    const n = this.#takeNonce();
    this.#nonce = n + 1n;
    return yield* settle(this.#aead.encrypt(n, ad, plaintext));
  }

  /**
   * DecryptWithAd(ad, ciphertext). On a bad tag it throws `DecryptionError` and the
   * nonce does not move, as the spec requires.
   */
  async decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array> {
    return runSteps(this.#decryptWithAd(ad, ciphertext));
  }

  *#decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Steps<Uint8Array> {
    this.#assertAlive();
    if (this.#aead === undefined) return Uint8Array.from(ciphertext);
    const n = this.#takeNonce();
    this.#nonce = n + 1n;
    try {
      return yield* settle(this.#aead.decrypt(n, ad, ciphertext));
    } catch (error) {
      if (this.#nonce === n + 1n) this.#nonce = n;
      throw error;
    }
  }

  /** Rekey(): k = first 32 bytes of ENCRYPT(k, 2^64-1, empty, 32 zero bytes). */
  async rekey(): Promise<void> {
    return runSteps(this.#rekey());
  }

  *#rekey(): Steps<void> {
    if (this.#aead === undefined) throw new HandshakeStateError("cannot rekey a cipher state without a key");
    const sealed = yield* settle(this.#aead.encrypt(MAX_NONCE, EMPTY, new Uint8Array(KEY_BYTES)));
    const nonce = this.#nonce;
    try {
      yield* this.#initializeKey(sealed.subarray(0, KEY_BYTES));
    } finally {
      wipe(sealed);
    }
    this.#nonce = nonce;
  }

  #assertAlive(): void {
    if (this.#destroyed) throw new HandshakeStateError("this cipher state was destroyed: it can no longer encrypt or decrypt");
  }

  /**
   * Forgets the key (ours and the cipher backend's copy). Every later encrypt, decrypt or
   * re-key throws `HandshakeStateError` (a keyless state would pass data in the clear).
   */
  destroy(): void {
    this.#destroyed = true;
    this.#aead?.destroy();
    wipe(this.#key);
    this.#key = undefined;
    this.#aead = undefined;
  }
}

/**
 * SymmetricState's steps, for HandshakeState: they run without a promise when the
 * backend is synchronous (see `steps.ts`). Not public API: the methods are.
 */
export let symmetricSteps!: {
  /** MixKey. */
  mixKey(state: SymmetricState, inputKeyMaterial: Uint8Array): Steps<void>;
  /** MixKeyAndHash. */
  mixKeyAndHash(state: SymmetricState, inputKeyMaterial: Uint8Array): Steps<void>;
  /** EncryptAndHash. */
  encryptAndHash(state: SymmetricState, plaintext: Uint8Array): Steps<Uint8Array>;
  /** DecryptAndHash. */
  decryptAndHash(state: SymmetricState, ciphertext: Uint8Array): Steps<Uint8Array>;
  /** Split. */
  split(state: SymmetricState): Steps<[CipherState, CipherState]>;
};

/**
 * The initial h of a protocol name by hash function: a handshake per connection runs the
 * same few names, and encoding the name (and hashing it when longer than HASHLEN) cost
 * about 1 µs per side. Shared and never written: callers copy it.
 */
const initialHashes = new WeakMap<HashFunction, Map<string, Uint8Array>>();
const INITIAL_HASH_LIMIT = 64;

function initialHash(protocolName: string, hash: HashFunction): Uint8Array {
  let byName = initialHashes.get(hash);
  const known = byName?.get(protocolName);
  if (known !== undefined) return known;
  const name = utf8(protocolName);
  let h: Uint8Array;
  if (name.length <= hash.hashLen) {
    h = new Uint8Array(hash.hashLen);
    h.set(name);
  } else {
    h = hash.hash(name);
  }
  if (byName === undefined) initialHashes.set(hash, (byName = new Map()));
  byName.set(protocolName, h);
  if (byName.size > INITIAL_HASH_LIMIT) byName.delete(byName.keys().next().value!);
  return h;
}

/** The chaining key, the handshake hash and the current cipher state of a handshake. */
export class SymmetricState {
  /** The cipher function of the protocol name (`ChaChaPoly`, `AESGCM`), used by its cipher state. */
  readonly cipher: CipherFunction;
  /** The hash function of the protocol name: MixHash and the HKDF of MixKey use it. */
  readonly hash: HashFunction;
  readonly #cipherState: CipherState;
  #ck: Uint8Array;
  #h: Uint8Array;

  static {
    symmetricSteps = {
      mixKey: (state, inputKeyMaterial) => state.#mixKey(inputKeyMaterial),
      mixKeyAndHash: (state, inputKeyMaterial) => state.#mixKeyAndHash(inputKeyMaterial),
      encryptAndHash: (state, plaintext) => state.#encryptAndHash(plaintext),
      decryptAndHash: (state, ciphertext) => state.#decryptAndHash(ciphertext),
      split: (state) => state.#split(),
    };
  }

  private constructor(cipher: CipherFunction, hash: HashFunction, h: Uint8Array) {
    this.cipher = cipher;
    this.hash = hash;
    this.#cipherState = new CipherState(cipher);
    this.#h = h;
    this.#ck = Uint8Array.from(h);
  }

  /** InitializeSymmetric(protocol_name). */
  static initialize(protocolName: string, cipher: CipherFunction, hash: HashFunction): SymmetricState {
    return new SymmetricState(cipher, hash, Uint8Array.from(initialHash(protocolName, hash)));
  }

  /** True once a key has been mixed in (payloads are then encrypted). */
  hasKey(): boolean {
    return this.#cipherState.hasKey();
  }

  /** MixKey(input_key_material). */
  async mixKey(inputKeyMaterial: Uint8Array): Promise<void> {
    return runSteps(this.#mixKey(inputKeyMaterial));
  }

  *#mixKey(inputKeyMaterial: Uint8Array): Steps<void> {
    const outputs = this.hash.hkdf(this.#ck, inputKeyMaterial, 2);
    const tempK = outputs[1]!;
    wipe(this.#ck);
    this.#ck = outputs[0]!;
    try {
      yield* cipherSteps.initializeKey(this.#cipherState, tempK.subarray(0, KEY_BYTES));
    } finally {
      wipe(tempK);
    }
  }

  /** MixHash(data). */
  mixHash(data: Uint8Array): void {
    const h = this.#h;
    const input = new Uint8Array(h.length + data.length);
    input.set(h);
    input.set(data, h.length);
    this.#h = this.hash.hash(input);
  }

  /** MixKeyAndHash(input_key_material), used by `psk` tokens. */
  async mixKeyAndHash(inputKeyMaterial: Uint8Array): Promise<void> {
    return runSteps(this.#mixKeyAndHash(inputKeyMaterial));
  }

  *#mixKeyAndHash(inputKeyMaterial: Uint8Array): Steps<void> {
    const [ck, tempH, tempK] = this.hash.hkdf(this.#ck, inputKeyMaterial, 3);
    wipe(this.#ck);
    this.#ck = ck!;
    this.mixHash(tempH!);
    try {
      yield* cipherSteps.initializeKey(this.#cipherState, tempK!.subarray(0, KEY_BYTES));
    } finally {
      wipe(tempK);
    }
  }

  /** GetHandshakeHash(): a copy of h. */
  handshakeHash(): Uint8Array {
    return Uint8Array.from(this.#h);
  }

  /** EncryptAndHash(plaintext). */
  async encryptAndHash(plaintext: Uint8Array): Promise<Uint8Array> {
    return runSteps(this.#encryptAndHash(plaintext));
  }

  *#encryptAndHash(plaintext: Uint8Array): Steps<Uint8Array> {
    const ciphertext = yield* cipherSteps.encryptWithAd(this.#cipherState, this.#h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  /** DecryptAndHash(ciphertext); throws `DecryptionError` on a bad tag. */
  async decryptAndHash(ciphertext: Uint8Array): Promise<Uint8Array> {
    return runSteps(this.#decryptAndHash(ciphertext));
  }

  *#decryptAndHash(ciphertext: Uint8Array): Steps<Uint8Array> {
    const plaintext = yield* cipherSteps.decryptWithAd(this.#cipherState, this.#h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** Split(): the two transport cipher states (initiator → responder first). */
  async split(): Promise<[CipherState, CipherState]> {
    return runSteps(this.#split());
  }

  *#split(): Steps<[CipherState, CipherState]> {
    const [k1, k2] = this.hash.hkdf(this.#ck, EMPTY, 2);
    const states: [CipherState, CipherState] = [new CipherState(this.cipher), new CipherState(this.cipher)];
    try {
      yield* cipherSteps.initializeKey(states[0], k1!.subarray(0, KEY_BYTES));
      yield* cipherSteps.initializeKey(states[1], k2!.subarray(0, KEY_BYTES));
    } finally {
      wipe(k1);
      wipe(k2);
    }
    this.destroy();
    return states;
  }

  /** Forgets the chaining key and the handshake key. */
  destroy(): void {
    wipe(this.#ck);
    this.#cipherState.destroy();
  }
}

/** Throws unless `message` fits in one Noise message. */
export function assertMessageSize(message: Uint8Array, name: string): void {
  if (message.length > MAX_MESSAGE_BYTES) {
    throw new InvalidArgumentError(`${name} must be at most ${MAX_MESSAGE_BYTES} bytes, got ${message.length}`);
  }
}
