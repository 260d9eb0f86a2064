/**
 * A minimal typed event emitter (isomorphic: no `node:events`).
 *
 * @module
 */

/**
 * Runs an application callback; what it throws is rethrown asynchronously (as an
 * EventEmitter listener's would surface), never mistaken for the peer's fault.
 */
export function runCallback(run: () => void): void {
  try {
    run();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** Listeners per event name. A listener that throws does not stop the others; its error is rethrown asynchronously. */
export class Listeners<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  readonly #byEvent = new Map<keyof Events, Set<Events[keyof Events]>>();

  /** Adds `listener` for `event`. */
  on<E extends keyof Events>(event: E, listener: Events[E]): void {
    if (typeof listener !== "function") throw new TypeError("listener must be a function");
    let set = this.#byEvent.get(event);
    if (set === undefined) this.#byEvent.set(event, (set = new Set()));
    set.add(listener);
  }

  /** Removes `listener` for `event`. */
  off<E extends keyof Events>(event: E, listener: Events[E]): void {
    this.#byEvent.get(event)?.delete(listener);
  }

  /** Calls every listener of `event` with `args`. */
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    for (const listener of [...(this.#byEvent.get(event) ?? [])]) runCallback(() => (listener as (...a: Parameters<Events[E]>) => void)(...args));
  }
}
