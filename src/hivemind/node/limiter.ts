/**
 * Counts failed handshakes per key (an access key, an address) in fixed windows, in a
 * bounded map: past `maxTracked` keys the least recently failed is forgotten, so a flood
 * of distinct keys costs bounded memory. A handshake in progress holds a reserved slot
 * ({@link FailureLimiter.reserve}) until it is settled, so concurrent attempts cannot
 * outnumber the failures left.
 *
 * @module
 */
import { aint } from "../../common/bytes.js";

/** Options of {@link FailureLimiter}. */
export interface FailureLimiterOptions {
  /** Failures allowed per key and window before the key is refused. */
  maxFailures: number;
  /** The window, in milliseconds. */
  windowMs: number;
  /** Most keys remembered at once. */
  maxTracked: number;
}

interface Entry {
  count: number;
  since: number;
  /** Attempts reserved and not settled yet. */
  pending: number;
}

/** A bounded per-key failure counter. */
export class FailureLimiter {
  readonly #options: FailureLimiterOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  /**
   * @param options - the limits
   * @param now - the clock (milliseconds)
   */
  constructor(options: FailureLimiterOptions, now: () => number = Date.now) {
    aint(options.maxFailures, "maxFailures", 1);
    aint(options.windowMs, "windowMs", 1);
    aint(options.maxTracked, "maxTracked", 1);
    this.#options = { ...options };
    this.#now = now;
  }

  /** How many keys are remembered (at most `maxTracked`). */
  get size(): number {
    return this.#entries.size;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined && this.#now() - entry.since >= this.#options.windowMs) {
      if (entry.pending === 0) {
        this.#entries.delete(key);
        return undefined;
      }
      // A new window; the attempts still in progress stay reserved.
      entry.count = 0;
      entry.since = this.#now();
    }
    return entry;
  }

  #touch(key: string, entry: Entry): void {
    this.#entries.delete(key); // re-inserted last: the map's order is the eviction order
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#options.maxTracked) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** True while `key`'s failures in the current window, plus its attempts in progress, reach the limit. */
  blocked(key: string): boolean {
    const entry = this.#live(key);
    return (entry?.count ?? 0) + (entry?.pending ?? 0) >= this.#options.maxFailures;
  }

  /**
   * Reserves a slot for one attempt of `key`, counted as a failure until it is settled.
   * @returns false (nothing reserved) when `key` is {@link FailureLimiter.blocked}
   */
  reserve(key: string): boolean {
    if (this.blocked(key)) return false;
    const entry = this.#live(key) ?? { count: 0, since: this.#now(), pending: 0 };
    entry.pending++;
    this.#touch(key, entry);
    return true;
  }

  /**
   * Settles an attempt {@link FailureLimiter.reserve | reserved} earlier: frees its slot,
   * and records a failure when `failed`.
   */
  settle(key: string, failed: boolean): void {
    const entry = this.#live(key);
    if (entry !== undefined && entry.pending > 0) entry.pending--;
    if (failed) this.fail(key);
    else if (entry !== undefined && entry.count === 0 && entry.pending === 0) this.#entries.delete(key);
  }

  /** Records one failure of `key`. */
  fail(key: string): void {
    const entry = this.#live(key) ?? { count: 0, since: this.#now(), pending: 0 };
    entry.count++;
    this.#touch(key, entry);
  }
}
