/**
 * PEM text and DER bytes of RSA keys, normalised to the two encodings Web Crypto
 * imports: SPKI for public keys, PKCS#8 for private keys.
 *
 * @module
 */
import { fromBase64, toBase64, type ArrayBufferBytes } from "../common/bytes.js";
import { InvalidArgumentError, KeyFormatError, UnsupportedKeyError } from "../common/errors.js";
import { PEM_LINE_LENGTH, PEM_PKCS1_PRIVATE, PEM_PKCS1_PUBLIC, PEM_PKCS8, PEM_SPKI } from "./constants.js";
import { classifyKeyDer, pkcs1PublicToSpki, pkcs1ToPkcs8, pkcs8ToPkcs1, rsaPublicNumbers, spkiFromPkcs1Private } from "./der.js";
import { checkRSAPublicNumbers } from "./validate.js";

/** Key material ready for `importKey`: SPKI DER (public) or PKCS#8 DER (private), checked. */
export interface KeyMaterial {
  type: "public" | "private";
  der: ArrayBufferBytes;
  /** Modulus size in bits. */
  bits: number;
}

// The body may hold RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`), so it is anything up to the END line.
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;
const PEM_BLOCKS = new RegExp(PEM_BLOCK.source, "g");
const PEM_LABELS: Record<string, string> = {
  [PEM_SPKI]: "spki",
  [PEM_PKCS1_PUBLIC]: "pkcs1-public",
  [PEM_PKCS1_PRIVATE]: "pkcs1-private",
  [PEM_PKCS8]: "pkcs8",
};

/**
 * Writes DER as PEM the way Python (pycryptodome) does: 64-character lines, LF line
 * ends, no trailing newline.
 * @param label - e.g. `"PUBLIC KEY"`
 * @param der - the DER bytes
 */
export function derToPem(label: string, der: Uint8Array): string {
  const body = toBase64(der).match(new RegExp(`.{1,${PEM_LINE_LENGTH}}`, "g")) ?? [];
  return [`-----BEGIN ${label}-----`, ...body, `-----END ${label}-----`].join("\n");
}

/**
 * Reads the first PEM block of `pem` (CRLF and any line length are fine).
 * @returns its label and DER bytes
 * @throws KeyFormatError when there is no PEM block, it is encrypted, or its body is not base64
 */
export function pemToDer(pem: string): { label: string; der: ArrayBufferBytes } {
  const match = PEM_BLOCK.exec(pem);
  if (!match) throw new KeyFormatError("key string is not PEM (no -----BEGIN ...----- block)");
  const [, label, body] = match as unknown as [string, string, string];
  if (label.includes("ENCRYPTED") || /^Proc-Type:.*ENCRYPTED/m.test(body)) {
    throw new UnsupportedKeyError("encrypted PEM keys are not supported; decrypt the key first (openssl pkey -in FILE -out PLAIN)");
  }
  try {
    return { label, der: fromBase64(body.replace(/\s+/g, ""), "PEM body") };
  } catch (cause) {
    throw new KeyFormatError(`PEM ${label} body is not valid base64`, { cause });
  }
}

/**
 * Every complete PEM block of `text`, in order (text between blocks is skipped).
 * @returns each block's label and its text, from its BEGIN line to its END line
 */
export function pemBlocks(text: string): { label: string; text: string }[] {
  return Array.from(text.matchAll(PEM_BLOCKS), (match) => ({ label: match[1]!, text: match[0] }));
}

/**
 * Parses a PEM string or DER bytes holding an RSA key in SPKI, PKCS#1 or PKCS#8 form.
 * @param input - PEM text or DER bytes
 * @param name - the argument's name, for error messages
 * @throws KeyFormatError when it is not such a key
 */
export function parseKeyMaterial(input: string | Uint8Array, name = "key"): KeyMaterial {
  let der: Uint8Array;
  let encoding;
  if (typeof input === "string") {
    const pem = pemToDer(input);
    encoding = Object.hasOwn(PEM_LABELS, pem.label) ? PEM_LABELS[pem.label] : undefined;
    if (encoding === undefined) throw foreignBlock(input, pem.label, name);
    der = pem.der;
    if (classifyKeyDer(der) !== encoding) throw new UnsupportedKeyError(`${name}: PEM body does not match its label "${pem.label}"`);
  } else if (input instanceof Uint8Array) {
    der = input;
    encoding = classifyKeyDer(der);
  } else {
    throw new InvalidArgumentError(`${name} must be a PEM string, DER bytes or a CryptoKey`);
  }
  const bits = checkRSAPublicNumbers(rsaPublicNumbers(der, encoding), name);
  switch (encoding) {
    case "spki":
      return { type: "public", der: new Uint8Array(der), bits };
    case "pkcs1-public":
      return { type: "public", der: pkcs1PublicToSpki(der), bits };
    case "pkcs1-private":
      return { type: "private", der: pkcs1ToPkcs8(der), bits };
    default:
      return { type: "private", der: new Uint8Array(der), bits };
  }
}

/** The error for a PEM whose first block is not an RSA key (a certificate, an EC key...). */
function foreignBlock(pem: string, label: string, name: string): UnsupportedKeyError {
  const keyLater = Object.keys(PEM_LABELS).some((l) => pem.includes(`-----BEGIN ${l}-----`));
  const hint = keyLater ? "; an RSA key follows it: keep only the key in this file" : "";
  return new UnsupportedKeyError(`${name} is a PEM "${label}" block, not an RSA key (SPKI, PKCS#1 or PKCS#8)${hint}`);
}

/** The SPKI DER of the public half of parsed key material. */
export function publicDer(material: KeyMaterial): ArrayBufferBytes {
  return material.type === "public" ? material.der : spkiFromPkcs1Private(pkcs8ToPkcs1(material.der));
}
