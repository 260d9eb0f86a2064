/**
 * What RSA keys we accept, checked on their numbers before Web Crypto sees them.
 * Web Crypto imports e = 1 (whose "ciphertext" is the plaintext), e = 0 (all zeros),
 * even e and e >= n, and 768-bit or 16400-bit moduli, then fails later with an untyped
 * error or not at all; every one of those is a {@link UnsupportedKeyError} here.
 *
 * @module
 */
import { InvalidArgumentError, UnsupportedKeyError } from "../common/errors.js";
import { MAX_KEY_BITS, MIN_KEY_BITS, MIN_PEER_KEY_BITS, MIN_PUBLIC_EXPONENT } from "./constants.js";
import type { RSAPublicNumbers } from "./der.js";

/** Options for a peer's public key (to encrypt to it or verify its signatures). */
export interface RSAPeerKeyOptions {
  /**
   * Smallest modulus accepted, in bits: 2048 by default; 1024 at the lowest, for old
   * peers whose keys were made with the reference's minimum (RSA-1024 is weak: prefer
   * asking the peer for a new key).
   */
  minKeyBits?: number | undefined;
}

/** Bit length of an unsigned big-endian number without leading zeros. */
function bitLength(bytes: Uint8Array): number {
  return bytes.length === 0 ? 0 : (bytes.length - 1) * 8 + (32 - Math.clz32(bytes[0]!));
}

/** `a < b` for unsigned big-endian numbers without leading zeros. */
function lessThan(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return a.length < b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

function describeExponent(exponent: Uint8Array): string {
  return exponent.length <= 6 ? `e = ${exponent.reduce((v, b) => v * 256 + b, 0)}` : `a ${bitLength(exponent)}-bit e`;
}

/** Refuses a modulus size outside 1024..16384 bits. */
function checkBits(bits: number, name: string): void {
  if (bits < MIN_KEY_BITS || bits > MAX_KEY_BITS) {
    throw new UnsupportedKeyError(`${name} has a ${bits}-bit RSA modulus; keys from ${MIN_KEY_BITS} to ${MAX_KEY_BITS} bits are accepted`);
  }
}

/** Refuses e < 3 and even e (the size check against n is the caller's). */
function checkExponent(exponent: Uint8Array, name: string): void {
  const small = exponent.length === 0 || (exponent.length === 1 && exponent[0]! < MIN_PUBLIC_EXPONENT);
  if (small || (exponent.at(-1)! & 1) === 0) {
    throw new UnsupportedKeyError(`${name} has RSA public exponent ${describeExponent(exponent)}; it must be odd and at least ${MIN_PUBLIC_EXPONENT}`);
  }
}

/**
 * Checks an RSA key's numbers: an odd modulus of 1024 to 16384 bits, an odd public
 * exponent from 3 to n - 1.
 * @param numbers - as read from the key's DER
 * @param name - the key's name, for the message
 * @returns the modulus size in bits
 * @throws UnsupportedKeyError naming the key and the refused value
 */
export function checkRSAPublicNumbers({ modulus, exponent }: RSAPublicNumbers, name: string): number {
  const bits = bitLength(modulus);
  checkBits(bits, name);
  if ((modulus.at(-1)! & 1) === 0) throw new UnsupportedKeyError(`${name} has an even RSA modulus, which no RSA key has`);
  checkExponent(exponent, name);
  if (!lessThan(exponent, modulus)) throw new UnsupportedKeyError(`${name} has an RSA public exponent that is not smaller than its modulus`);
  return bits;
}

/**
 * Checks the numbers Web Crypto reports for a `CryptoKey` we did not parse: its
 * modulus size and exponent (e must have fewer bits than n; no real key comes close).
 * @throws UnsupportedKeyError when the key is not RSA or its numbers are refused
 */
export function checkCryptoKeyNumbers(key: CryptoKey, name: string): void {
  const algorithm = key.algorithm as Partial<RsaHashedKeyAlgorithm>;
  if (typeof algorithm.modulusLength !== "number" || !(algorithm.publicExponent instanceof Uint8Array)) {
    throw new UnsupportedKeyError(`${name} must be an RSA key, got one for ${key.algorithm.name}`);
  }
  const bits = algorithm.modulusLength;
  checkBits(bits, name);
  const first = algorithm.publicExponent.findIndex((b) => b !== 0);
  const exponent = first < 0 ? new Uint8Array(0) : algorithm.publicExponent.subarray(first);
  checkExponent(exponent, name);
  if (bitLength(exponent) >= bits) throw new UnsupportedKeyError(`${name} has an RSA public exponent that is not smaller than its modulus`);
}

/**
 * Reads `minKeyBits` of peer-key options.
 * @throws InvalidArgumentError when it is not an integer from 1024 to 16384
 */
export function minKeyBitsOf(options: RSAPeerKeyOptions | undefined, name = "options.minKeyBits"): number {
  const value = options?.minKeyBits;
  if (value === undefined) return MIN_PEER_KEY_BITS;
  if (!Number.isInteger(value) || value < MIN_KEY_BITS || value > MAX_KEY_BITS) {
    throw new InvalidArgumentError(`${name} must be an integer from ${MIN_KEY_BITS} to ${MAX_KEY_BITS}, got ${String(value)}`);
  }
  return value;
}

/**
 * Refuses a peer's key under `minKeyBits`.
 * @param bits - the key's modulus size
 * @param minKeyBits - from {@link minKeyBitsOf}
 * @param name - the key's name, for the message
 * @throws UnsupportedKeyError saying how to accept older keys
 */
export function checkPeerKeyBits(bits: number, minKeyBits: number, name: string): void {
  if (bits >= minKeyBits) return;
  const hint = bits >= MIN_KEY_BITS ? `; to accept an old peer's key, pass minKeyBits: ${bits} (minPeerKeyBits of HandShake.create)` : "";
  throw new UnsupportedKeyError(`${name} is a ${bits}-bit RSA key; peer keys of at least ${minKeyBits} bits are accepted${hint}`);
}
