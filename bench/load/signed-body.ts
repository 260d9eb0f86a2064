/**
 * The signed-request bodies of the Fiber benchmarks: JSON of exactly {@link SIGNED_BODY_BYTES}
 * bytes, different per request, shared by the load generator (which signs them) and the
 * bench process (whose bound hashes one of the same size).
 */

/** Size of each signed POST body. */
export const SIGNED_BODY_BYTES = 1024;

/** The `n`th body: `{"n":n,"pad":"xx…"}`, padded to {@link SIGNED_BODY_BYTES} bytes of ASCII. */
export function signedBody(n: number): string {
  const head = `{"n":${n},"pad":"`, tail = `"}`;
  return head + "x".repeat(SIGNED_BODY_BYTES - head.length - tail.length) + tail;
}

/** Paths of the signed routes (those of `pmh serve --protocol signed`). */
export const SIGNED_PATHS = { post: "/echo-signed", get: "/example-subnet-get" } as const;
