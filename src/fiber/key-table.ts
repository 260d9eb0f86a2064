/**
 * The bounded table behind the in-memory and file key stores: symmetric keys by
 * (validator hotkey, uuid), with O(1) insert, lookup and eviction, and an eviction
 * order that is fair between hotkeys.
 *
 * When full, an insert first drops the oldest key if it has expired (keys share one TTL
 * in Fiber, so the oldest is the first to expire); otherwise it drops the oldest key of
 * the hotkey that holds the most. A validator flooding exchanges under one hotkey
 * therefore evicts only its own keys, never another validator's. (Under `allowAll`,
 * hotkeys cost nothing: many hotkeys can still crowd out others; gate who may exchange.)
 *
 * @module
 */
import { aint } from "../common/bytes.js";

/** What the table needs of an entry; the key bytes are zeroed when the entry leaves. */
export interface KeyTableEntry {
  /** The symmetric key (owned by the table; zeroed on removal). */
  readonly key: Uint8Array;
  /** Expiry time in milliseconds. */
  readonly expiresAt: number;
}

interface Slot<E> {
  hotkey: string;
  uuid: string;
  entry: E;
}

/** A bounded map (hotkey, uuid) → entry with fair O(1) eviction; see the module comment. */
export class FairKeyTable<E extends KeyTableEntry> {
  /** Every entry in insertion order (oldest first). */
  readonly #slots = new Map<string, Slot<E>>();
  /** Each hotkey's slot ids in insertion order. */
  readonly #byHotkey = new Map<string, Set<string>>();
  /** Hotkeys by how many keys they hold, so the largest holder is found in O(1). */
  readonly #byCount = new Map<number, Set<string>>();
  #maxCount = 0;
  readonly #maxEntries: number;
  readonly #clock: () => number;

  /**
   * @param maxEntries - most entries held (at least 1)
   * @param clock - current time in milliseconds
   * @param name - the option name, for the error message
   */
  constructor(maxEntries: number, clock: () => number, name = "options.maxEntries") {
    this.#maxEntries = aint(maxEntries, name, 1);
    this.#clock = clock;
  }

  /** Number of entries held (expired ones linger until looked up, swept or evicted). */
  get size(): number {
    return this.#slots.size;
  }

  /** The live entry of (hotkey, uuid); an expired one is removed (and zeroed) here. */
  get(hotkey: string, uuid: string): E | undefined {
    const id = slotId(hotkey, uuid);
    const slot = this.#slots.get(id);
    if (slot === undefined) return undefined;
    if (slot.entry.expiresAt <= this.#clock()) {
      this.#remove(id);
      return undefined;
    }
    return slot.entry;
  }

  /** Stores (or replaces, as the newest) the entry of (hotkey, uuid), evicting one entry when full. */
  set(hotkey: string, uuid: string, entry: E): void {
    const id = slotId(hotkey, uuid);
    this.#remove(id);
    if (this.#slots.size >= this.#maxEntries) this.#evictOne();
    this.#slots.set(id, { hotkey, uuid, entry });
    let ids = this.#byHotkey.get(hotkey);
    if (ids === undefined) this.#byHotkey.set(hotkey, (ids = new Set()));
    ids.add(id);
    this.#moveCount(hotkey, ids.size - 1, ids.size);
  }

  /** Removes (and zeroes) the entry of (hotkey, uuid), if any. */
  delete(hotkey: string, uuid: string): void {
    this.#remove(slotId(hotkey, uuid));
  }

  /** Removes (and zeroes) every expired entry: O(n), for periodic or pre-save cleanup. */
  sweep(now: number = this.#clock()): void {
    for (const [id, slot] of this.#slots) if (slot.entry.expiresAt <= now) this.#remove(id);
  }

  /** Removes (and zeroes) every entry. */
  clear(): void {
    for (const id of [...this.#slots.keys()]) this.#remove(id);
  }

  /** Every entry, oldest first, with its hotkey and uuid. */
  *entries(): IterableIterator<[hotkey: string, uuid: string, entry: E]> {
    for (const { hotkey, uuid, entry } of this.#slots.values()) yield [hotkey, uuid, entry];
  }

  #evictOne(): void {
    const oldest = this.#slots.entries().next().value as [string, Slot<E>];
    if (oldest[1].entry.expiresAt <= this.#clock()) {
      this.#remove(oldest[0]);
      return;
    }
    const hotkey = this.#byCount.get(this.#maxCount)!.values().next().value as string;
    this.#remove(this.#byHotkey.get(hotkey)!.values().next().value as string);
  }

  #remove(id: string): void {
    const slot = this.#slots.get(id);
    if (slot === undefined) return;
    slot.entry.key.fill(0);
    this.#slots.delete(id);
    const ids = this.#byHotkey.get(slot.hotkey)!;
    ids.delete(id);
    if (ids.size === 0) this.#byHotkey.delete(slot.hotkey);
    this.#moveCount(slot.hotkey, ids.size + 1, ids.size);
  }

  /** Moves a hotkey between count buckets; the largest count changes by at most one per call. */
  #moveCount(hotkey: string, from: number, to: number): void {
    const source = this.#byCount.get(from);
    source?.delete(hotkey);
    if (source?.size === 0) this.#byCount.delete(from);
    if (to > 0) {
      let target = this.#byCount.get(to);
      if (target === undefined) this.#byCount.set(to, (target = new Set()));
      target.add(hotkey);
    }
    if (to > this.#maxCount) this.#maxCount = to;
    else if (from === this.#maxCount && !this.#byCount.has(from)) this.#maxCount = to;
  }
}

function slotId(hotkey: string, uuid: string): string {
  return `${hotkey}\n${uuid}`;
}
