/**
 * A setting (a backend, an implementation) whose choice may wait for its first use: a
 * Node entry registers how to choose (load an optional addon, check it, fall back), and the
 * choosing runs, synchronously and once, when the setting is first read. Importing the
 * entry then loads nothing it may never need; every read still sees the one choice.
 *
 * @module
 */

/** One setting: its value, and the choice still to make, if any. */
export class ChosenOnFirstUse<T> {
  #value: T;
  #choose: (() => T | undefined) | undefined;

  /** @param value - what the setting is until something else is set or chosen */
  constructor(value: T) {
    this.#value = value;
  }

  /** The setting, after running the pending choice if there is one. */
  get(): T {
    const choose = this.#choose;
    if (choose !== undefined) {
      this.#choose = undefined;
      this.#value = choose() ?? this.#value;
    }
    return this.#value;
  }

  /** Sets the value now; a pending choice is dropped. */
  set(value: T): void {
    this.#choose = undefined;
    this.#value = value;
  }

  /** Defers the choice to the next {@link get}: `choose` runs then, once; `undefined` keeps the current value. */
  chooseOnFirstUse(choose: () => T | undefined): void {
    this.#choose = choose;
  }
}
