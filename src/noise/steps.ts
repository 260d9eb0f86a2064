/**
 * The engine's steps run without a promise per step when the backend is synchronous.
 *
 * A step is a generator that `yield`s each value a backend call returned (a DH result, an
 * imported cipher key, a ciphertext). {@link runSteps} hands a plain value straight back
 * and carries on synchronously; only when a backend returns a promise (Web Crypto's
 * AES-GCM, a wrapped backend) does it switch to awaiting, and from there on it awaits only
 * the values that are promises. The same code therefore runs both backends, and a
 * handshake message on the `node:crypto` backend costs one promise (the public method's),
 * not one per MixKey, EncryptAndHash and DH.
 *
 * @module
 */

/** Steps of one operation: yields backend results (maybe promises) and returns a `T`. */
export type Steps<T> = Generator<unknown, T, unknown>;

/** A value a backend returned, synchronously or not. */
export type MaybePromise<T> = T | PromiseLike<T>;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as { then?: unknown }).then === "function";

/**
 * Yields a backend result and resumes with it settled: `const key = yield* settle(cipher.importKey(k))`.
 * A plain value is returned without yielding: a yield travels up through every `yield*`
 * of the chain (DH, MixKey, the message, the guard) and back down, for nothing to await.
 */
export function* settle<T>(value: MaybePromise<T>): Steps<T> {
  return isThenable(value) ? ((yield value) as T) : value;
}

/** Feeds plain values back until the steps finish or yield a promise. */
function advance<T>(steps: Steps<T>, next: IteratorResult<unknown, T>): IteratorResult<unknown, T> {
  while (!next.done && !isThenable(next.value)) next = steps.next(next.value);
  return next;
}

async function resume<T>(steps: Steps<T>, pending: PromiseLike<unknown>): Promise<T> {
  for (;;) {
    let outcome: { value: unknown } | { error: unknown };
    try {
      outcome = { value: await pending };
    } catch (error) {
      outcome = { error };
    }
    // A rejection is thrown into the steps where the promise was yielded.
    const next = advance(steps, "value" in outcome ? steps.next(outcome.value) : steps.throw(outcome.error));
    if (next.done) return next.value;
    pending = next.value as PromiseLike<unknown>;
  }
}

/**
 * Runs steps: synchronously (returning the result, or throwing) while every yielded value
 * is plain, then asynchronously from the first promise on.
 */
export function runSteps<T>(steps: Steps<T>): MaybePromise<T> {
  const next = advance(steps, steps.next());
  return next.done ? next.value : resume(steps, next.value as PromiseLike<unknown>);
}
