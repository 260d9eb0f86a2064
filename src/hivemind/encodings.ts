/**
 * The text encodings of legacy HiveMind JSON frames that no audited library provides:
 * basE91 and HiveMind's two Z85 variants (Z85B: little-endian, padding trimmed; Z85P:
 * big-endian, first character is the pad count 0-4). Decoders are strict: anything an
 * encoder cannot produce is refused.
 *
 * @module
 */
import { InvalidArgumentError } from "../common/errors.js";

/** Encode and decode of one text encoding. */
export interface TextCodec {
  /** Bytes to text. */
  encode(bytes: Uint8Array): string;
  /** Text to bytes; throws `InvalidArgumentError` on malformed input. */
  decode(text: string): Uint8Array;
}

const invalid = (name: string) => new InvalidArgumentError(`not valid ${name} text`);

function alphabetMap(alphabet: string): Map<string, number> {
  return new Map(Array.from(alphabet, (char, i) => [char, i] as const));
}

const B91_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,./:;<=>?@[]^_`{|}~"';
const B91_MAP = alphabetMap(B91_ALPHABET);

/** basE91 (Joachim Henke's reference algorithm): 13 or 14 bits per two characters. */
export const base91: TextCodec = {
  encode(bytes) {
    let out = "";
    let bits = 0;
    let count = 0;
    for (const byte of bytes) {
      bits |= byte << count;
      count += 8;
      if (count > 13) {
        let value = bits & 8191;
        if (value > 88) {
          bits >>>= 13;
          count -= 13;
        } else {
          value = bits & 16383;
          bits >>>= 14;
          count -= 14;
        }
        out += B91_ALPHABET[value % 91]! + B91_ALPHABET[Math.floor(value / 91)]!;
      }
    }
    if (count > 0) {
      out += B91_ALPHABET[bits % 91]!;
      if (count > 7 || bits > 90) out += B91_ALPHABET[Math.floor(bits / 91)]!;
    }
    return out;
  },
  decode(text) {
    const out: number[] = [];
    let value = -1;
    let bits = 0;
    let count = 0;
    for (const char of text) {
      const digit = B91_MAP.get(char);
      if (digit === undefined) throw invalid("basE91");
      if (value < 0) {
        value = digit;
        continue;
      }
      value += digit * 91;
      bits |= value << count;
      count += (value & 8191) > 88 ? 13 : 14;
      do {
        out.push(bits & 255);
        bits >>>= 8;
        count -= 8;
      } while (count > 7);
      value = -1;
    }
    if (value >= 0) out.push((bits | (value << count)) & 255);
    return Uint8Array.from(out);
  },
};

const Z85_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const Z85_MAP = alphabetMap(Z85_ALPHABET);

/** 32-bit words of `bytes` zero-padded to a multiple of 4, in the given byte order. */
function words(bytes: Uint8Array, littleEndian: boolean): number[] {
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  const view = new DataView(padded.buffer);
  return Array.from({ length: padded.length / 4 }, (_, i) => view.getUint32(4 * i, littleEndian));
}

/** Five base-85 digits of `word`, most significant first unless `lsdFirst`. */
function digits(word: number, lsdFirst: boolean): string {
  const out: string[] = [];
  for (let i = 0, w = word; i < 5; i++, w = Math.floor(w / 85)) out.push(Z85_ALPHABET[w % 85]!);
  return (lsdFirst ? out : out.reverse()).join("");
}

/** Reads a group of up to 5 characters back into a word (missing digits are zero). */
function word(group: string, lsdFirst: boolean, name: string): number {
  const chars = Array.from(lsdFirst ? group : group.padEnd(5, "0"));
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const char = lsdFirst ? chars[4 - i] : chars[i];
    const digit = char === undefined ? 0 : Z85_MAP.get(char);
    if (digit === undefined) throw invalid(name);
    value = value * 85 + digit;
  }
  if (value > 0xffff_ffff) throw invalid(name);
  return value;
}

function pack(values: number[], littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v, littleEndian));
  return out;
}

/** HiveMind's Z85B: little-endian words, least significant digit first, padding trimmed. */
export const z85b: TextCodec = {
  encode(bytes) {
    const padding = (4 - (bytes.length % 4)) % 4;
    const text = words(bytes, true).map((w) => digits(w, true)).join("");
    return padding === 0 ? text : text.slice(0, -padding);
  },
  decode(text) {
    if (text.length % 5 === 1) throw invalid("Z85B");
    const padding = (5 - (text.length % 5)) % 5;
    const values: number[] = [];
    for (let i = 0; i < text.length; i += 5) values.push(word(text.slice(i, i + 5), true, "Z85B"));
    const out = pack(values, true);
    return padding === 0 ? out : out.slice(0, -padding);
  },
};

/** HiveMind's Z85P: a pad-count character (code 0-4), then big-endian Z85 of the zero-padded bytes. */
export const z85p: TextCodec = {
  encode(bytes) {
    const padding = (4 - (bytes.length % 4)) % 4;
    return String.fromCharCode(padding) + words(bytes, false).map((w) => digits(w, false)).join("");
  },
  decode(text) {
    if (text.length === 0) return new Uint8Array(0);
    const padding = text.charCodeAt(0);
    if (padding > 4 || text.length % 5 !== 1) throw invalid("Z85P");
    const values: number[] = [];
    for (let i = 1; i < text.length; i += 5) values.push(word(text.slice(i, i + 5), false, "Z85P"));
    const out = pack(values, false);
    if (padding > out.length) throw invalid("Z85P");
    return padding === 0 ? out : out.slice(0, -padding);
  },
};
