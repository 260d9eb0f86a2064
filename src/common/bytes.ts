/**
 * Byte helpers shared by every protocol: encodings, constant-time comparison, random
 * bytes, and argument checks whose messages name the argument and what was expected.
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.js";

/**
 * Bytes backed by an `ArrayBuffer` (what Web Crypto takes): `Uint8Array<ArrayBuffer>` for
 * TypeScript 5.7 and later, plain `Uint8Array` for the older compilers whose `Uint8Array`
 * is not generic, so that the published types work with both.
 */
export type ArrayBufferBytes = ReturnType<typeof Uint8Array.from>;

const textEncoder = new TextEncoder();
const asciiDecoder = new TextDecoder();
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const HEX_DIGITS = "0123456789abcdef";
const HEX_PAIR = /^(?:[0-9a-fA-F]{2})*$/;
/** The two hex digits of each byte value. */
const HEX_BYTES = Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!);
/** The value of each hex digit by character code (either case); -1 for any other character. */
const HEX_VALUES = Int8Array.from({ length: 128 }, (_, c) => HEX_DIGITS.indexOf(String.fromCharCode(c).toLowerCase()));

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

/** Both hex digits of each byte value as one UTF-16 code unit pair's bytes (little-endian: the first digit in the low byte). */
const HEX_CODES = Uint16Array.from({ length: 256 }, (_, b) => HEX_DIGITS.charCodeAt(b >> 4) | (HEX_DIGITS.charCodeAt(b & 15) << 8));
/** From this many bytes on, `toHex` fills an ASCII buffer and decodes it once instead of concatenating strings. */
const HEX_BUFFER_FROM = 32;

/** Encodes bytes as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  if (bytes.length >= HEX_BUFFER_FROM && LITTLE_ENDIAN) {
    const codes = new Uint16Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) codes[i] = HEX_CODES[bytes[i]!]!;
    return asciiDecoder.decode(codes);
  }
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX_BYTES[bytes[i]!]!;
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
export function fromHex(text: string, name = "hex"): ArrayBufferBytes {
  astring(text, name);
  const out = hexBytesOrUndefined(text);
  if (out === undefined) throw new InvalidArgumentError(`${name} must be an even number of hex digits`);
  return out;
}

/**
 * Decodes hex (either case) in one pass, checking as it goes.
 * @param text - a string
 * @returns its bytes, or `undefined` unless it is an even number of hex digits
 */
export function hexBytesOrUndefined(text: string): ArrayBufferBytes | undefined {
  const out = new Uint8Array(text.length >> 1);
  let invalid = text.length & 1;
  for (let i = 0; i < out.length; i++) {
    const high = HEX_VALUES[text.charCodeAt(2 * i)] ?? -1;
    const low = HEX_VALUES[text.charCodeAt(2 * i + 1)] ?? -1;
    invalid |= (high | low) & 0x80; // -1 has the top bit set
    out[i] = (high << 4) | low;
  }
  return invalid === 0 ? out : undefined;
}

/** UTF-8 encodes a string. */
export function utf8(text: string): ArrayBufferBytes {
  return textEncoder.encode(text);
}

/** Concatenates byte arrays into a new one. */
export function concatBytes(...parts: Uint8Array[]): ArrayBufferBytes {
  // Indexed loops, no reduce callback: a Noise handshake calls this about 20 times.
  let length = 0;
  for (let i = 0; i < parts.length; i++) length += parts[i]!.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** XORs two byte arrays of equal length into a new one. */
export function xorBytes(a: Uint8Array, b: Uint8Array): ArrayBufferBytes {
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
export function randomBytes(length: number): ArrayBufferBytes {
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
export function bufferSource(bytes: Uint8Array): ArrayBufferBytes {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

const B64_STANDARD = textEncoder.encode("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
const B64_URL = textEncoder.encode("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
/** Per character code: its 6-bit value in either alphabet, plus a flag for invalid, `+/` or `-_`. */
const B64_INVALID = 0x100, B64_STANDARD_ONLY = 0x200, B64_URL_ONLY = 0x400;
const B64_TABLE = new Uint16Array(256).fill(B64_INVALID);
B64_STANDARD.forEach((c, i) => (B64_TABLE[c] = i < 62 ? i : i | B64_STANDARD_ONLY));
B64_URL.forEach((c, i) => (B64_TABLE[c] = i < 62 ? i : i | B64_URL_ONLY));

/**
 * Table-driven base64 with padding, written as ASCII bytes and decoded once: btoa on a
 * binary string costs ~50x more for a 64 KiB Fernet token.
 */
function encodeBase64(bytes: Uint8Array, alphabet: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = alphabet[n >> 18]!;
    out[o++] = alphabet[(n >> 12) & 63]!;
    out[o++] = alphabet[(n >> 6) & 63]!;
    out[o++] = alphabet[n & 63]!;
  }
  if (i < bytes.length) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8);
    out[o++] = alphabet[n >> 18]!;
    out[o++] = alphabet[(n >> 12) & 63]!;
    out[o++] = i + 1 < bytes.length ? alphabet[(n >> 6) & 63]! : 0x3d;
    out[o++] = 0x3d;
  }
  return asciiDecoder.decode(out);
}

/**
 * Decodes padded base64 (validate, then decode). `standard`/`urlSafe` say which alphabet-specific
 * characters (`+/` or `-_`) may appear. Returns `"mixed"` when both kinds appear and
 * `undefined` for anything else that is not padded base64 (as `atob` refuses it).
 */
function decodeBase64(text: string, standard: boolean, urlSafe: boolean): Uint8Array<ArrayBuffer> | "mixed" | undefined {
  // ASCII text encodes to as many bytes; anything longer holds a non-ASCII character.
  const chars = textEncoder.encode(text);
  if (chars.length !== text.length || chars.length % 4 !== 0) return /[-_]/.test(text) && /[+/]/.test(text) ? "mixed" : undefined;
  let end = chars.length;
  if (end > 0 && chars[end - 1] === 0x3d) end--;
  if (end > 0 && chars[end - 1] === 0x3d) end--;
  const out = new Uint8Array((end * 3) >> 2);
  let flags = 0, o = 0, i = 0;
  for (; i + 3 < end; i += 4) {
    const a = B64_TABLE[chars[i]!]!, b = B64_TABLE[chars[i + 1]!]!, c = B64_TABLE[chars[i + 2]!]!, d = B64_TABLE[chars[i + 3]!]!;
    flags |= a | b | c | d;
    const n = ((a & 63) << 18) | ((b & 63) << 12) | ((c & 63) << 6) | (d & 63);
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  if (end - i >= 2) {
    const three = end - i === 3;
    const a = B64_TABLE[chars[i]!]!, b = B64_TABLE[chars[i + 1]!]!, c = three ? B64_TABLE[chars[i + 2]!]! : 0;
    flags |= a | b | c;
    const n = ((a & 63) << 18) | ((b & 63) << 12) | ((c & 63) << 6);
    out[o++] = n >> 16;
    if (three) out[o] = (n >> 8) & 0xff;
  }
  if ((flags & B64_STANDARD_ONLY) !== 0 && (flags & B64_URL_ONLY) !== 0) return "mixed";
  if ((flags & B64_INVALID) !== 0 || ((flags & B64_STANDARD_ONLY) !== 0 && !standard) || ((flags & B64_URL_ONLY) !== 0 && !urlSafe)) return undefined;
  return out;
}

/** Encodes bytes as standard base64 with padding (as PEM bodies use). */
export function toBase64(bytes: Uint8Array): string {
  return encodeBase64(bytes, B64_STANDARD);
}

/**
 * Decodes standard base64 (padding required when the length needs it); whitespace is
 * not allowed, strip it first.
 * @param text - base64 text
 * @param name - the argument's name, for the error message
 */
export function fromBase64(text: string, name = "base64"): ArrayBufferBytes {
  astring(text, name);
  const out = decodeBase64(text, true, false);
  if (!(out instanceof Uint8Array)) throw new InvalidArgumentError(`${name} must be padded standard base64`);
  return out;
}

/** Encodes bytes as padded URL-safe base64 (`-_`), as Fernet tokens and keys use. */
export function toBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes, B64_URL);
}

/**
 * Decodes padded base64 in either the standard (`+/`) or the URL-safe (`-_`) alphabet,
 * not a mix of both. Whitespace and missing padding are rejected.
 * @param text - the base64 text
 * @param name - the argument's name, for the error message
 */
export function fromBase64Any(text: string, name = "base64"): ArrayBufferBytes {
  astring(text, name);
  const out = decodeBase64(text, true, true);
  if (out === "mixed") throw new InvalidArgumentError(`${name} mixes the standard and URL-safe base64 alphabets`);
  if (out === undefined) throw new InvalidArgumentError(`${name} must be padded base64 (standard or URL-safe)`);
  return out;
}
