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
