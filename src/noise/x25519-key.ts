/**
 * Parsing of raw X25519 keys as peers exchange them: 32 bytes, or 64 hex digits (the
 * key-file format of poorman_handshake and HiveMind).
 *
 * @module
 */
import { fromHex, isHex } from "../common/bytes.js";
import { KeyFormatError } from "../common/errors.js";

/**
 * Reads an X25519 key given as 32 raw bytes or 64 hex digits (surrounding whitespace
 * ignored, either case, as Python's `unhexlify(text.strip())`).
 * @param key - the key
 * @param name - the option's name, for the error message
 * @throws KeyFormatError for anything else
 */
export function parseX25519Key(key: Uint8Array | string, name: string): Uint8Array {
  if (typeof key === "string") {
    const text = key.trim();
    if (text.length !== 64 || !isHex(text)) throw new KeyFormatError(`${name} must be 64 hex digits (a raw X25519 key)`);
    return fromHex(text);
  }
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new KeyFormatError(`${name} must be a 32-byte X25519 key`);
  return Uint8Array.from(key);
}
