/**
 * PEM text and DER bytes of RSA keys, normalised to the two encodings Web Crypto
 * imports: SPKI for public keys, PKCS#8 for private keys.
 *
 * @module
 */
import { fromBase64, toBase64, type ArrayBufferBytes } from "../bytes.js";
import { InvalidArgumentError, KeyFormatError } from "../errors.js";
import { PEM_LINE_LENGTH, PEM_PKCS1_PRIVATE, PEM_PKCS1_PUBLIC, PEM_PKCS8, PEM_SPKI } from "./constants.js";
import { classifyKeyDer, pkcs1PublicToSpki, pkcs1ToPkcs8, pkcs8ToPkcs1, spkiFromPkcs1Private } from "./der.js";

/** Key material ready for `importKey`: SPKI DER (public) or PKCS#8 DER (private). */
export interface KeyMaterial {
  type: "public" | "private";
  der: ArrayBufferBytes;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \1-----/;
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
  if (label.includes("ENCRYPTED") || body.includes("ENCRYPTED")) {
    throw new KeyFormatError("encrypted PEM keys are not supported; decrypt the key first");
  }
  try {
    return { label, der: fromBase64(body.replace(/\s+/g, ""), "PEM body") };
  } catch (cause) {
    throw new KeyFormatError(`PEM ${label} body is not valid base64`, { cause });
  }
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
    if (encoding === undefined) throw new KeyFormatError(`${name}: PEM label "${pem.label}" is not an RSA key`);
    der = pem.der;
    if (classifyKeyDer(der) !== encoding) throw new KeyFormatError(`${name}: PEM body does not match its label "${pem.label}"`);
  } else if (input instanceof Uint8Array) {
    der = input;
    encoding = classifyKeyDer(der);
  } else {
    throw new InvalidArgumentError(`${name} must be a PEM string, DER bytes or a CryptoKey`);
  }
  switch (encoding) {
    case "spki":
      return { type: "public", der: new Uint8Array(der) };
    case "pkcs1-public":
      return { type: "public", der: pkcs1PublicToSpki(der) };
    case "pkcs1-private":
      return { type: "private", der: pkcs1ToPkcs8(der) };
    default:
      return { type: "private", der: new Uint8Array(der) };
  }
}

/** The SPKI DER of the public half of parsed key material. */
export function publicDer(material: KeyMaterial): ArrayBufferBytes {
  return material.type === "public" ? material.der : spkiFromPkcs1Private(pkcs8ToPkcs1(material.der));
}
