/** The Python reference's RSA keys (test/vectors/poorman/rsa_keys.json), by name. */
import { loadVectors } from "./vectors.js";

/** One key of rsa_keys.json. */
export interface VectorKey {
  bits: number;
  size_in_bytes: number;
  e: number;
  n_hex: string;
  private_pem_pkcs1: string;
  public_pem_spki: string;
  "private_pkcs8_pem (not used by poorman, for convenience)": string;
}

/** alice, bob (2048) and carol_3072. */
export const keys: Record<"alice" | "bob" | "carol_3072", VectorKey> = loadVectors("poorman/rsa_keys.json").keys;

/** The PKCS#8 PEM of a vector key. */
export function pkcs8Pem(key: VectorKey): string {
  return key["private_pkcs8_pem (not used by poorman, for convenience)"];
}

import { mock } from "node:test";
import { fromHex } from "../../src/common/bytes.js";

/**
 * Runs `fn` with `crypto.getRandomValues` returning `hex` (as the vectors' patched RNG
 * did for the handshake secret). Web Crypto's own OAEP seed and PSS salt do not come
 * from it, so only our 32-byte contribution is fixed.
 */
export async function withRandom<T>(hex: string, fn: () => Promise<T>): Promise<T> {
  const bytes = fromHex(hex);
  const spy = mock.method(globalThis.crypto, "getRandomValues", (buf: Uint8Array) => {
    buf.set(bytes.subarray(0, buf.length));
    return buf;
  });
  try {
    return await fn();
  } finally {
    spy.mock.restore();
  }
}
