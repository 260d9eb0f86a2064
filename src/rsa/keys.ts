/**
 * RSA keys: generation, import (cached), export as Python writes them, fingerprints.
 *
 * Every function takes a key as a PEM string, DER bytes or a `CryptoKey`. Importing
 * is the slow part (PEM parsing, key validation), so each input is imported once per
 * use and the `CryptoKey` is reused: a `WeakMap` for `CryptoKey` and `Uint8Array`
 * inputs (treat DER you pass as immutable), a small bounded `Map` for PEM strings.
 *
 * @module
 */
import { aint, type ArrayBufferBytes } from "../common/bytes.js";
import { fingerprint } from "../common/fingerprint.js";
import { InvalidArgumentError, KeyFormatError, type UnsupportedKeyError } from "../common/errors.js";
import { DEFAULT_KEY_BITS, MAX_KEY_BITS, MIN_KEY_BITS, OAEP_DEFAULT_HASH, OAEP_HASH_BYTES, PEM_PKCS1_PRIVATE, PEM_SPKI, PSS_HASH, PUBLIC_EXPONENT } from "./constants.js";
import { pkcs8ToPkcs1 } from "./der.js";
import { derToPem, parseKeyMaterial, publicDer, type KeyMaterial } from "./pem.js";
import { checkCryptoKeyNumbers, checkPeerKeyBits, minKeyBitsOf, type RSAPeerKeyOptions } from "./validate.js";

/** An RSA key: PEM text, DER bytes (SPKI, PKCS#1 or PKCS#8) or a Web Crypto `CryptoKey`. */
export type RSAKeyInput = string | Uint8Array | CryptoKey;

/** The hash of RSA-OAEP (also its MGF1 hash). */
export type OAEPHash = keyof typeof OAEP_HASH_BYTES;

/** What an imported key will be used for; decides its algorithm and type. */
export type RSAKeyUsage = "encrypt" | "decrypt" | "sign" | "verify";
const USAGES: readonly string[] = ["encrypt", "decrypt", "sign", "verify"] satisfies RSAKeyUsage[];

/**
 * Checks an OAEP hash name (own names of the table only: not "toString" or "__proto__").
 * @param hash - the value given
 * @param name - the argument's name, for the message
 * @throws InvalidArgumentError naming the argument and the supported hashes
 */
export function checkOAEPHash(hash: unknown, name: string): OAEPHash {
  if (typeof hash === "string" && Object.hasOwn(OAEP_HASH_BYTES, hash)) return hash as OAEPHash;
  const allowed = Object.keys(OAEP_HASH_BYTES).map((h) => JSON.stringify(h)).join(", ");
  throw new InvalidArgumentError(`${name} must be one of ${allowed}, got ${typeof hash === "string" ? JSON.stringify(hash) : String(hash)}`);
}

/** How many PEM strings keep their imported keys. Handshakes hold a few keys each. */
const PEM_CACHE_LIMIT = 64;
const objectCache = new WeakMap<object, Map<string, Promise<CryptoKey>>>();
const pemCache = new Map<string, Map<string, Promise<CryptoKey>>>();

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

/** True for a Web Crypto key (checked without assuming a global `CryptoKey` class). */
export function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== "undefined" ? value instanceof CryptoKey : Object.prototype.toString.call(value) === "[object CryptoKey]";
}

function checkInput(input: unknown, name: string): RSAKeyInput {
  if (typeof input === "string" || input instanceof Uint8Array || isCryptoKey(input)) return input;
  throw new InvalidArgumentError(`${name} must be a PEM string, DER bytes or a CryptoKey`);
}

function cacheFor(input: RSAKeyInput): Map<string, Promise<CryptoKey>> {
  if (typeof input !== "string") {
    let entry = objectCache.get(input);
    if (!entry) objectCache.set(input, (entry = new Map()));
    return entry;
  }
  let entry = pemCache.get(input);
  if (entry) {
    pemCache.delete(input); // re-insert: the Map's order is then least recently used first
  } else {
    entry = new Map();
    if (pemCache.size >= PEM_CACHE_LIMIT) pemCache.delete(pemCache.keys().next().value!);
  }
  pemCache.set(input, entry);
  return entry;
}

/** Exports a `CryptoKey` to SPKI or PKCS#8 material, checked as PEM/DER input is. */
async function materialOfCryptoKey(key: CryptoKey, name: string): Promise<KeyMaterial> {
  if (!key.extractable) {
    throw new KeyFormatError(`${name} is a non-extractable CryptoKey made for ${key.algorithm.name} ${key.usages.join("/")}; pass it for that use, or pass the PEM/DER key`);
  }
  if (key.type !== "public" && key.type !== "private") throw new KeyFormatError(`${name} must be an RSA public or private key, got a ${key.type} key`);
  checkCryptoKeyNumbers(key, name);
  let der: Uint8Array;
  try {
    der = new Uint8Array(await subtle().exportKey(key.type === "public" ? "spki" : "pkcs8", key));
  } catch (cause) {
    throw new KeyFormatError(`${name} could not be exported from Web Crypto`, { cause });
  }
  return parseKeyMaterial(der, name);
}

/** Parses any input to SPKI/PKCS#8 material. */
export async function keyMaterial(input: RSAKeyInput, name = "key"): Promise<KeyMaterial> {
  checkInput(input, name);
  return isCryptoKey(input) ? materialOfCryptoKey(input, name) : parseKeyMaterial(input, name);
}

function fitsAlready(key: CryptoKey, algorithm: string, hash: string, usage: RSAKeyUsage): boolean {
  const alg = key.algorithm as RsaHashedKeyAlgorithm;
  return alg.name === algorithm && alg.hash?.name === hash && key.usages.includes(usage);
}

/** True for the uses of a peer's key, to which `minKeyBits` applies. */
const isPeerUse = (usage: RSAKeyUsage): boolean => usage === "encrypt" || usage === "verify";

/** Checks an imported key's numbers (again, for `CryptoKey` inputs) and the peer-key policy. */
function checkImported(key: CryptoKey, usage: RSAKeyUsage, minKeyBits: number, name: string): CryptoKey {
  checkCryptoKeyNumbers(key, name);
  if (isPeerUse(usage)) checkPeerKeyBits((key.algorithm as RsaHashedKeyAlgorithm).modulusLength, minKeyBits, name);
  return key;
}

async function importFresh(input: RSAKeyInput, algorithm: string, hash: string, usage: RSAKeyUsage, name: string): Promise<CryptoKey> {
  const material = await keyMaterial(input, name);
  const wantsPrivate = usage === "decrypt" || usage === "sign";
  if (wantsPrivate && material.type !== "private") {
    throw new KeyFormatError(`${name} must be a private key to ${usage}, got a public key`);
  }
  const der = wantsPrivate ? material.der : publicDer(material);
  try {
    // Private keys we import from PEM/DER stay non-extractable: we still hold their DER.
    return await subtle().importKey(wantsPrivate ? "pkcs8" : "spki", der, { name: algorithm, hash }, !wantsPrivate, [usage]);
  } catch (cause) {
    throw new KeyFormatError(`${name} is not a usable RSA ${wantsPrivate ? "private" : "public"} key`, { cause });
  }
}

/**
 * Imports a key for one use, once: later calls with the same input, use and hash
 * return the same `CryptoKey`. A `CryptoKey` already made for that use is returned as is.
 *
 * Every key is checked first: a modulus of 1024 to 16384 bits, an odd public exponent
 * from 3 to n - 1. For a peer's key (`encrypt`, `verify`) the modulus must also have
 * at least `options.minKeyBits` bits (2048 by default).
 * @param input - PEM, DER or `CryptoKey`
 * @param usage - `encrypt`/`decrypt` give RSA-OAEP, `sign`/`verify` give RSA-PSS
 * @param hash - the OAEP hash; PSS always uses SHA-256
 * @param name - the argument's name, for error messages
 * @param options - see {@link RSAPeerKeyOptions}
 * @throws KeyFormatError when the key cannot serve that use ({@link UnsupportedKeyError}
 *   when it is a key we refuse: encrypted, not RSA, unsafe numbers, too small)
 */
export function importRSAKey(input: RSAKeyInput, usage: RSAKeyUsage, hash: OAEPHash = OAEP_DEFAULT_HASH, name = "key", options?: RSAPeerKeyOptions): Promise<CryptoKey> {
  checkInput(input, name);
  if (!USAGES.includes(usage)) throw new InvalidArgumentError(`usage must be one of ${USAGES.join(", ")}, got ${String(usage)}`);
  checkOAEPHash(hash, "hash");
  const minKeyBits = minKeyBitsOf(options);
  const algorithm = usage === "sign" || usage === "verify" ? "RSA-PSS" : "RSA-OAEP";
  const digest = algorithm === "RSA-PSS" ? PSS_HASH : hash;
  if (isCryptoKey(input) && fitsAlready(input, algorithm, digest, usage)) {
    try {
      return Promise.resolve(checkImported(input, usage, minKeyBits, name));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
  const cache = cacheFor(input);
  const slot = `${algorithm}/${digest}/${usage}`;
  let pending = cache.get(slot);
  if (!pending) {
    pending = importFresh(input, algorithm, digest, usage, name);
    cache.set(slot, pending);
    pending.catch(() => cache.delete(slot));
  }
  return pending.then((key) => checkImported(key, usage, minKeyBits, name));
}

/** Modulus size in bytes of an imported RSA key (256 for RSA-2048). */
export function modulusBytes(key: CryptoKey): number {
  return Math.ceil((key.algorithm as RsaHashedKeyAlgorithm).modulusLength / 8);
}

/**
 * Generates an RSA key pair with e = 65537. Both keys are extractable so the private
 * key can be saved; they are made for RSA-OAEP and re-imported for PSS on first use.
 * @param bits - modulus size, 2048 by default, a multiple of 8 from 1024 to 16384
 */
export async function generateRSAKeyPair(bits: number = DEFAULT_KEY_BITS): Promise<{ publicKey: CryptoKey; privateKey: CryptoKey }> {
  aint(bits, "bits", MIN_KEY_BITS, MAX_KEY_BITS);
  if (bits % 8 !== 0) throw new InvalidArgumentError(`bits must be a multiple of 8, got ${bits}`);
  const exponent = Uint8Array.of(PUBLIC_EXPONENT >> 16, (PUBLIC_EXPONENT >> 8) & 0xff, PUBLIC_EXPONENT & 0xff);
  try {
    return await subtle().generateKey({ name: "RSA-OAEP", modulusLength: bits, publicExponent: exponent, hash: OAEP_DEFAULT_HASH }, true, ["encrypt", "decrypt"]);
  } catch (cause) {
    throw new KeyFormatError(`this runtime's Web Crypto could not generate an RSA-${bits} key`, { cause });
  }
}

/** The SPKI DER of a key's public half (a private key gives its public key). */
export async function exportPublicKeyDer(key: RSAKeyInput): Promise<ArrayBufferBytes> {
  return publicDer(await keyMaterial(key));
}

/**
 * Exports the public half of a key as SPKI PEM, byte for byte as Python writes
 * `HandShake.pubkey`: `-----BEGIN PUBLIC KEY-----`, 64-character lines, LF, no
 * trailing newline. A private key gives its public key.
 */
export async function exportPublicKeyPem(key: RSAKeyInput): Promise<string> {
  return derToPem(PEM_SPKI, await exportPublicKeyDer(key));
}

/**
 * Exports a private key as PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`, unencrypted),
 * what the reference's key files hold. A `CryptoKey` must be extractable.
 * @throws KeyFormatError for a public key
 */
export async function exportPrivateKeyPem(key: RSAKeyInput): Promise<string> {
  const material = await keyMaterial(key);
  if (material.type !== "private") throw new KeyFormatError("key must be a private key to export it, got a public key");
  return derToPem(PEM_PKCS1_PRIVATE, pkcs8ToPkcs1(material.der));
}

/**
 * A short fingerprint of a public key for display and pinning: {@link fingerprint}
 * of its SPKI DER. A private key gives its public key's fingerprint.
 */
export async function publicKeyFingerprint(key: RSAKeyInput): Promise<string> {
  return fingerprint(await exportPublicKeyDer(key));
}
