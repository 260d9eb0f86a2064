/**
 * Trust on first use: the first public key seen for a peer name is pinned (by its
 * fingerprint); a different key later for the same name is refused. Storage is an
 * interface so any runtime can back it (memory here, a JSON file on Node in
 * `poorman-handshake/node`, IndexedDB or a database elsewhere).
 *
 * @module
 */
import { astring, equalStrings } from "../common/bytes.js";
import { KeyMismatchError } from "../common/errors.js";
import { publicKeyFingerprint, type RSAKeyInput } from "./keys.js";

/** Where pins live: peer name -> public-key fingerprint. */
export interface PinStore {
  /** The pinned fingerprint of `peer`, or `undefined` if it has none. */
  get(peer: string): Promise<string | undefined>;
  /**
   * Pins `fingerprint` for `peer` unless it has a pin, as one atomic step (two
   * concurrent first contacts must not both pin).
   * @returns the existing pin, or `undefined` when this call pinned
   */
  pinIfAbsent(peer: string, fingerprint: string): Promise<string | undefined>;
  /** Pins `fingerprint` for `peer`, replacing any pin (for a deliberate key rotation). */
  set(peer: string, fingerprint: string): Promise<void>;
  /** Forgets the pin of `peer` (for a deliberate key rotation). */
  delete(peer: string): Promise<void>;
}

/** A {@link PinStore} in memory: pins last as long as the object. */
export class MemoryPinStore implements PinStore {
  readonly #pins = new Map<string, string>();
  /** @inheritDoc */
  async get(peer: string): Promise<string | undefined> {
    return this.#pins.get(peer);
  }
  /** @inheritDoc */
  async pinIfAbsent(peer: string, fingerprint: string): Promise<string | undefined> {
    const pinned = this.#pins.get(peer); // no await between the read and the write
    if (pinned === undefined) this.#pins.set(peer, fingerprint);
    return pinned;
  }
  /** @inheritDoc */
  async set(peer: string, fingerprint: string): Promise<void> {
    this.#pins.set(peer, fingerprint);
  }
  /** @inheritDoc */
  async delete(peer: string): Promise<void> {
    this.#pins.delete(peer);
  }
}

/** What {@link TrustOnFirstUse.check} found. */
export interface PinResult {
  /** The fingerprint of the presented key. */
  fingerprint: string;
  /** True when the key was pinned by this call (first sight of the peer). */
  firstUse: boolean;
}

/**
 * Checks peers' public keys against pins, pinning on first sight.
 *
 * @example
 * ```ts
 * const tofu = new TrustOnFirstUse();
 * await tofu.check("hub", hubPubkey); // pins it
 * await tofu.check("hub", otherKey);  // throws KeyMismatchError
 * ```
 */
export class TrustOnFirstUse {
  /** The store the pins are kept in. */
  readonly store: PinStore;

  /** @param store - where pins live; in memory when omitted */
  constructor(store: PinStore = new MemoryPinStore()) {
    this.store = store;
  }

  /**
   * Pins `publicKey` for `peer` on first sight, else checks it is the pinned one. First
   * use is one atomic {@link PinStore.pinIfAbsent}: of two concurrent first contacts with
   * different keys, exactly one pins and the other gets `KeyMismatchError`.
   * @param peer - the peer's stable name (host, node id, ...)
   * @param publicKey - the key the peer presents now
   * @throws KeyMismatchError when `peer` is pinned to another key (a possible man in the middle)
   */
  async check(peer: string, publicKey: RSAKeyInput): Promise<PinResult> {
    astring(peer, "peer");
    const fingerprint = await publicKeyFingerprint(publicKey);
    const pinned = await this.store.pinIfAbsent(peer, fingerprint);
    if (pinned === undefined) return { fingerprint, firstUse: true };
    if (!equalStrings(pinned, fingerprint)) {
      throw new KeyMismatchError(`peer "${peer}" presented key ${fingerprint}, but ${pinned} is pinned for it`);
    }
    return { fingerprint, firstUse: false };
  }
}
