/**
 * Byte helpers shared by every protocol: encodings, constant-time comparison, random
 * bytes, and argument checks whose messages name the argument and what was expected.
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.js";

const textEncoder = new TextEncoder();
const HEX_DIGITS = "0123456789abcdef";
const HEX_PAIR = /^(?:[0-9a-fA-F]{2})*$/;

/** Describes a value for an error message without echoing secrets. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (typeof value === "string") return `string of length ${value.length}`;
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}

/**
 * Asserts that `value` is a `Uint8Array`, optionally of one of the given lengths.
 * @param value - the argument to check
 * @param name - the argument's name, for the error message
 * @param lengths - allowed lengths; any length when empty
 * @returns the same value, typed
 */
export function abytes(value: unknown, name: string, ...lengths: number[]): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${name} must be a Uint8Array, got ${describe(value)}`);
  }
  if (lengths.length > 0 && !lengths.includes(value.length)) {
    throw new InvalidArgumentError(
      `${name} must be ${lengths.join(" or ")} bytes long, got ${value.length}`,
    );
  }
  return value;
}

/**
 * Asserts that `value` is a string.
 * @param value - the argument to check
 * @param name - the argument's name, for the error message
 */
export function astring(value: unknown, name: string): string {
  if (typeof value !== "string") {
    throw new InvalidArgumentError(`${name} must be a string, got ${describe(value)}`);
  }
  return value;
}

/**
 * Asserts that `value` is an integer in `[min, max]`.
 * @param value - the argument to check
 * @param name - the argument's name, for the error message
 * @param min - smallest allowed value
 * @param max - largest allowed value
 */
export function aint(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `${name} must be an integer from ${min} to ${max}, got ${typeof value === "number" ? value : describe(value)}`,
    );
  }
  return value;
}

/** Encodes bytes as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!;
  return out;
}

/** True when `text` is an even number of hex digits (either case), and nothing else. */
export function isHex(text: string): boolean {
  return HEX_PAIR.test(text);
}

/**
 * Decodes hex (either case). Unlike Python's `bytes.fromhex`, whitespace is rejected.
 * @param text - an even number of hex digits
 * @param name - the argument's name, for the error message
 */
export function fromHex(text: string, name = "hex"): Uint8Array<ArrayBuffer> {
  astring(text, name);
  if (!isHex(text)) {
    throw new InvalidArgumentError(`${name} must be an even number of hex digits`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** UTF-8 encodes a string. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return textEncoder.encode(text);
}

/** Concatenates byte arrays into a new one. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** XORs two byte arrays of equal length into a new one. */
export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  if (a.length !== b.length) {
    throw new InvalidArgumentError(`xor operands must have equal lengths, got ${a.length} and ${b.length}`);
  }
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * Compares two byte arrays in time that depends only on their lengths, never on
 * where they differ. Use it for every secret, MAC and authenticator.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Constant-time comparison of two strings by their UTF-8 bytes. */
export function equalStrings(a: string, b: string): boolean {
  return equalBytes(utf8(a), utf8(b));
}

/** Returns `length` bytes from the platform's cryptographic RNG. */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  aint(length, "length", 0, 65536);
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/** Overwrites a buffer with zeros; a no-op for `undefined`. */
export function wipe(bytes: Uint8Array | undefined): void {
  bytes?.fill(0);
}

/**
 * Returns `bytes` typed as Web Crypto's `BufferSource`, copying only when it is
 * backed by a `SharedArrayBuffer` (which Web Crypto refuses).
 */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/** Encodes bytes as standard base64 with padding (as PEM bodies use). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Decodes standard base64 (padding required when the length needs it); whitespace is
 * not allowed, strip it first.
 * @param text - base64 text
 * @param name - the argument's name, for the error message
 */
export function fromBase64(text: string, name = "base64"): Uint8Array<ArrayBuffer> {
  astring(text, name);
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new InvalidArgumentError(`${name} must be padded standard base64`);
  }
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Encodes bytes as padded URL-safe base64 (`-_`), as Fernet tokens and keys use. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_");
}

/**
 * Decodes padded base64 in either the standard (`+/`) or the URL-safe (`-_`) alphabet,
 * not a mix of both. Whitespace and missing padding are rejected.
 * @param text - the base64 text
 * @param name - the argument's name, for the error message
 */
export function fromBase64Any(text: string, name = "base64"): Uint8Array<ArrayBuffer> {
  astring(text, name);
  const urlSafe = /[-_]/.test(text);
  if (urlSafe && /[+/]/.test(text)) {
    throw new InvalidArgumentError(`${name} mixes the standard and URL-safe base64 alphabets`);
  }
  try {
    return fromBase64(urlSafe ? text.replace(/-/g, "+").replace(/_/g, "/") : text, name);
  } catch {
    throw new InvalidArgumentError(`${name} must be padded base64 (standard or URL-safe)`);
  }
}
