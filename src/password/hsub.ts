/**
 * The "hsub" envelope: `lowercase_hex(iv || SHA-256(iv || utf8(text)))[:hsublen]`.
 * Synchronous on purpose (one small SHA-256), so matching needs no await.
 *
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { abytes, aint, astring, concatBytes, equalStrings, fromHex, isHex, randomBytes, toHex, utf8 } from "../common/bytes.js";
import { HSUB_LENGTH, HSUB_MAX_LENGTH, HSUB_MIN_LENGTH, IV_BYTES, IV_HEX_DIGITS } from "./constants.js";

const LOWER_HEX = /^[0-9a-f]*$/;

/**
 * Returns a fresh random iv.
 * @param length - iv length in bytes (default 8, as the wire uses)
 */
export function generateIv(length: number = IV_BYTES): Uint8Array {
  return randomBytes(aint(length, "length", 1, 1024));
}

/**
 * Builds an hsub for `text`.
 * @param text - the subject, UTF-8 encoded (the password in the handshake)
 * @param iv - the iv to embed; a fresh 8-byte one when omitted
 * @param hsublen - how many hex digits to keep (default 48); at most the full
 *   `2 * (iv.length + 32)` digits
 * @returns lowercase hex
 */
export function createHsub(text: string, iv: Uint8Array = generateIv(), hsublen: number = HSUB_LENGTH): string {
  astring(text, "text");
  abytes(iv, "iv");
  aint(hsublen, "hsublen", 1, 2 * (iv.length + 32));
  const digest = sha256(concatBytes(iv, utf8(text)));
  return toHex(concatBytes(iv, digest)).slice(0, hsublen);
}

/**
 * Checks that `hsub` was made from `subject`. False unless `hsub` is 48 to 80
 * lowercase hex digits (odd lengths allowed, as in the reference). The comparison is
 * constant-time.
 * @param hsub - the envelope received
 * @param subject - the text it should have been made from
 */
export function matchHsub(hsub: string, subject: string): boolean {
  astring(hsub, "hsub");
  astring(subject, "subject");
  if (hsub.length < HSUB_MIN_LENGTH || hsub.length > HSUB_MAX_LENGTH || !LOWER_HEX.test(hsub)) return false;
  const iv = fromHex(hsub.slice(0, IV_HEX_DIGITS), "hsub");
  return equalStrings(createHsub(subject, iv, hsub.length), hsub);
}

/**
 * Extracts the iv from the front of an hsub.
 * @param hsub - the envelope
 * @param digits - how many hex digits the iv spans (default 16)
 * @returns the iv, or `null` where the reference returns `False`: the hsub is shorter
 *   than `digits`, or its first `digits` characters are not hex. Unlike Python's
 *   `bytes.fromhex`, whitespace is never skipped.
 */
export function ivFromHsub(hsub: string, digits: number = IV_HEX_DIGITS): Uint8Array | null {
  astring(hsub, "hsub");
  aint(digits, "digits", 0, 2048);
  if (hsub.length < digits) return null;
  const head = hsub.slice(0, digits);
  return isHex(head) ? fromHex(head, "hsub") : null;
}
