/**
 * Counts failed handshakes per key (an access key, an address) in fixed windows, in a
 * bounded map: past `maxTracked` keys the least recently failed is forgotten, so a flood
 * of distinct keys costs bounded memory.
 *
 * @module
 */
import { aint } from "../../shared/bytes.js";

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
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** True while `key` has used up its failures for the current window. */
  blocked(key: string): boolean {
    return (this.#live(key)?.count ?? 0) >= this.#options.maxFailures;
  }

  /** Records one failure of `key`. */
  fail(key: string): void {
    const entry = this.#live(key) ?? { count: 0, since: this.#now() };
    entry.count++;
    this.#entries.delete(key); // re-inserted last: the map's order is the eviction order
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#options.maxTracked) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
