/**
 * Short, stable fingerprints for display and pinning.
 *
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { abytes, toHex } from "./bytes.js";

/**
 * Fingerprints bytes (a public key's DER, or a secret when two parties compare
 * them): the first 16 bytes of SHA-256 as lowercase hex, in groups of four digits.
 * Safe to print for a secret: it reveals nothing usable about it.
 * @param bytes - what to fingerprint
 * @returns e.g. `"9f86:d081:884c:7d65:9a2f:eaa0:c55a:d015"`
 */
export function fingerprint(bytes: Uint8Array): string {
  abytes(bytes, "bytes");
  return toHex(sha256(bytes).subarray(0, 16)).replace(/(.{4})(?!$)/g, "$1:");
}
