/**
 * The little DER this module needs: enough to tell the four RSA key encodings apart,
 * wrap PKCS#1 into the PKCS#8/SPKI containers Web Crypto imports, and unwrap them
 * again. Not a general ASN.1 parser: anything unexpected is a {@link KeyFormatError}.
 *
 * @module
 */
import { concatBytes, equalBytes, type ArrayBufferBytes } from "../common/bytes.js";
import { KeyFormatError, UnsupportedKeyError } from "../common/errors.js";

const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const SEQUENCE = 0x30;

/** `AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }`. */
const RSA_ALGORITHM_ID = Uint8Array.of(0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00);
/** The rsaEncryption OID's TLV, to accept an AlgorithmIdentifier with absent parameters. */
const RSA_OID = RSA_ALGORITHM_ID.subarray(2, 13);

/** One decoded TLV: its tag, its content, and its full encoding. */
interface Tlv {
  tag: number;
  value: Uint8Array;
  encoded: Uint8Array;
}

/** The four encodings of an RSA key we accept. */
export type RSAKeyEncoding = "spki" | "pkcs8" | "pkcs1-public" | "pkcs1-private";

function readTlv(der: Uint8Array, offset: number): Tlv {
  const fail = (): never => {
    throw new KeyFormatError("key is not valid DER");
  };
  if (offset + 2 > der.length) fail();
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 3 || offset + 2 + count > der.length) fail();
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[offset + 2 + i]!;
    header += count;
  }
  const end = offset + header + length;
  if (end > der.length) fail();
  return { tag, value: der.subarray(offset + header, end), encoded: der.subarray(offset, end) };
}

/** Decodes the children of a constructed value's content. */
function readChildren(content: Uint8Array): Tlv[] {
  const children: Tlv[] = [];
  for (let offset = 0; offset < content.length; offset += children.at(-1)!.encoded.length) {
    children.push(readTlv(content, offset));
  }
  return children;
}

/** Decodes `der` as exactly one SEQUENCE and returns its children. */
function readSequence(der: Uint8Array): Tlv[] {
  const outer = readTlv(der, 0);
  if (outer.tag !== SEQUENCE || outer.encoded.length !== der.length) {
    throw new KeyFormatError("key is not a DER SEQUENCE");
  }
  return readChildren(outer.value);
}

function encodeTlv(tag: number, ...content: Uint8Array[]): ArrayBufferBytes {
  const value = concatBytes(...content);
  const n = value.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concatBytes(Uint8Array.of(tag, ...length), value);
}

function isRsaAlgorithm(tlv: Tlv | undefined): boolean {
  if (tlv?.tag !== SEQUENCE) return false;
  return equalBytes(tlv.encoded, RSA_ALGORITHM_ID) || equalBytes(tlv.value, RSA_OID);
}

function tags(children: Tlv[]): string {
  return children.map((c) => c.tag).join(",");
}

/**
 * Tells which RSA key encoding `der` holds, by its structure.
 * @throws KeyFormatError when it is none of them (or not an RSA key)
 */
export function classifyKeyDer(der: Uint8Array): RSAKeyEncoding {
  const children = readSequence(der);
  const shape = tags(children);
  if (shape === `${SEQUENCE},${BIT_STRING}`) {
    if (!isRsaAlgorithm(children[0])) throw new UnsupportedKeyError("public key is not an RSA (rsaEncryption) key");
    return "spki";
  }
  if (shape.startsWith(`${INTEGER},${SEQUENCE},${OCTET_STRING}`)) {
    if (!isRsaAlgorithm(children[1])) throw new UnsupportedKeyError("private key is not an RSA (rsaEncryption) key");
    return "pkcs8";
  }
  if (shape === `${INTEGER},${INTEGER}`) return "pkcs1-public";
  if (children.length >= 9 && children.every((c) => c.tag === INTEGER)) return "pkcs1-private";
  throw new KeyFormatError("key is not an RSA key in SPKI, PKCS#8 or PKCS#1 DER");
}

/** Wraps a PKCS#1 `RSAPrivateKey` as PKCS#8 `PrivateKeyInfo` (what Web Crypto imports). */
export function pkcs1ToPkcs8(pkcs1: Uint8Array): ArrayBufferBytes {
  return encodeTlv(SEQUENCE, Uint8Array.of(INTEGER, 1, 0), RSA_ALGORITHM_ID, encodeTlv(OCTET_STRING, pkcs1));
}

/** Unwraps PKCS#8 `PrivateKeyInfo` to the PKCS#1 `RSAPrivateKey` inside it. */
export function pkcs8ToPkcs1(pkcs8: Uint8Array): ArrayBufferBytes {
  if (classifyKeyDer(pkcs8) !== "pkcs8") throw new KeyFormatError("private key is not PKCS#8");
  const inner = readSequence(pkcs8)[2]!.value;
  if (classifyKeyDer(inner) !== "pkcs1-private") throw new KeyFormatError("PKCS#8 key does not hold a PKCS#1 RSA private key");
  return new Uint8Array(inner);
}

/** Wraps a PKCS#1 `RSAPublicKey` as SPKI `SubjectPublicKeyInfo`. */
export function pkcs1PublicToSpki(pkcs1: Uint8Array): ArrayBufferBytes {
  return encodeTlv(SEQUENCE, RSA_ALGORITHM_ID, encodeTlv(BIT_STRING, Uint8Array.of(0), pkcs1));
}

/** The SPKI public key of a PKCS#1 private key (its modulus and public exponent). */
export function spkiFromPkcs1Private(pkcs1: Uint8Array): ArrayBufferBytes {
  const [, modulus, exponent] = readSequence(pkcs1);
  return pkcs1PublicToSpki(encodeTlv(SEQUENCE, modulus!.encoded, exponent!.encoded));
}

/** The public numbers of an RSA key, as unsigned big-endian bytes without leading zeros. */
export interface RSAPublicNumbers {
  modulus: Uint8Array;
  exponent: Uint8Array;
}

/** The unsigned value of a DER INTEGER; negative or non-minimal encodings are refused. */
function unsignedInteger(tlv: Tlv | undefined, what: string): Uint8Array {
  const v = tlv?.tag === INTEGER ? tlv.value : undefined;
  if (v === undefined || v.length === 0) throw new KeyFormatError(`key's ${what} is not a DER INTEGER`);
  if (v[0]! & 0x80) throw new KeyFormatError(`key's ${what} is negative`);
  if (v.length > 1 && v[0] === 0 && !(v[1]! & 0x80)) throw new KeyFormatError(`key's ${what} is not minimally encoded DER`);
  return v[0] === 0 ? v.subarray(1) : v;
}

/** The `RSAPublicKey` inside an SPKI: a BIT STRING with no unused bits, then `SEQUENCE { n, e }`. */
function spkiPublicKey(der: Uint8Array): Tlv[] {
  const bits = readSequence(der)[1]!.value;
  if (bits[0] !== 0) throw new KeyFormatError("public key's BIT STRING has unused bits");
  const inner = readSequence(bits.subarray(1));
  if (tags(inner) !== `${INTEGER},${INTEGER}`) throw new KeyFormatError("public key's RSAPublicKey is not SEQUENCE { n, e }");
  return inner;
}

/**
 * Reads the modulus and public exponent of an RSA key ourselves, so that hostile values
 * are refused before Web Crypto sees them.
 * @param der - the key's DER
 * @param encoding - what {@link classifyKeyDer} said it is
 * @throws KeyFormatError when they are not positive minimal DER INTEGERs
 */
export function rsaPublicNumbers(der: Uint8Array, encoding: RSAKeyEncoding): RSAPublicNumbers {
  let fields: Tlv[];
  if (encoding === "spki") fields = spkiPublicKey(der);
  else if (encoding === "pkcs1-public") fields = readSequence(der);
  else fields = readSequence(encoding === "pkcs8" ? pkcs8ToPkcs1(der) : der).slice(1);
  return { modulus: unsignedInteger(fields[0], "modulus"), exponent: unsignedInteger(fields[1], "public exponent") };
}
