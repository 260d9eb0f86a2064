/**
 * Fernet (https://github.com/fernet/spec): AES-128-CBC + HMAC-SHA256, tokens in padded
 * URL-safe base64. The primitives come from a {@link FernetBackend}: Web Crypto by
 * default, `node:crypto` once the `node` entry of `poorman-handshake/fiber` installs it
 * (no thread-pool hop per call). The token rules and checks live here, for both.
 *
 * @module
 */
import { abytes, aint, astring, bufferSource, concatBytes, equalBytes, fromBase64Any, randomBytes, toBase64Url, utf8, wipe } from "../common/bytes.js";
import { DecryptionError, InvalidArgumentError, KeyFormatError } from "../common/errors.js";
import { FERNET_MAX_CLOCK_SKEW_S, FERNET_VERSION, SYMMETRIC_KEY_BYTES } from "./constants.js";

const HEADER_BYTES = 1 + 8 + 16; // version, timestamp, iv
const MAC_BYTES = 32;
const BLOCK_BYTES = 16;
const asciiDecoder = new TextDecoder();
const TOKEN_CHARS = /^[A-Za-z0-9_-]+={0,2}$/;

/** Fernet's two keys, imported into a backend: HMAC-SHA256 and AES-128-CBC (PKCS#7 padding). */
export interface FernetKeys {
  /** HMAC-SHA256 of `data` under the signing key (32 bytes). */
  mac(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** AES-128-CBC encryption of `plaintext` with PKCS#7 padding. */
  encrypt(iv: Uint8Array, plaintext: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** AES-128-CBC decryption; throws (anything) on bad padding. */
  decrypt(iv: Uint8Array, ciphertext: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** Where Fernet's primitives come from. */
export interface FernetBackend {
  /** A short name, for diagnostics. */
  readonly name: string;
  /** Imports the 16-byte signing and encryption keys; the caller wipes both arrays afterwards. */
  importKeys(signingKey: Uint8Array, encryptionKey: Uint8Array): FernetKeys | Promise<FernetKeys>;
  /**
   * Padded URL-safe base64 of a token's bytes; the portable encoder when omitted. The
   * `node:crypto` backend encodes with Buffer (native), which matters from a few KiB on.
   */
  encodeToken?(bytes: Uint8Array): string;
  /**
   * The bytes of a token's text, or `undefined` when the text is not padded URL-safe base64
   * (any other character, `=` anywhere but the last two places, a length not a multiple of 4,
   * empty): exactly the texts the portable check refuses (`test/fiber-fernet.test.ts` checks
   * both on the same texts). The portable check and decoder when omitted.
   */
  decodeToken?(text: string): Uint8Array | undefined;
}

/** The portable backend: Web Crypto HMAC and AES-CBC, with non-extractable keys. */
export const WEB_CRYPTO_FERNET: FernetBackend = {
  name: "Web Crypto",
  async importKeys(signing, encryption) {
    const subtle = globalThis.crypto.subtle;
    const [signingKey, encryptionKey] = await Promise.all([
      subtle.importKey("raw", bufferSource(signing), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
      subtle.importKey("raw", bufferSource(encryption), "AES-CBC", false, ["encrypt", "decrypt"]),
    ]);
    return {
      mac: async (data) => new Uint8Array(await subtle.sign("HMAC", signingKey, bufferSource(data))),
      encrypt: async (iv, plaintext) => new Uint8Array(await subtle.encrypt({ name: "AES-CBC", iv: bufferSource(iv) }, encryptionKey, bufferSource(plaintext))),
      decrypt: async (iv, ciphertext) => new Uint8Array(await subtle.decrypt({ name: "AES-CBC", iv: bufferSource(iv) }, encryptionKey, bufferSource(ciphertext))),
    };
  },
};

let defaultBackend: FernetBackend = WEB_CRYPTO_FERNET;

/** The backend {@link Fernet.create} uses when its options name none. */
export function fernetBackend(): FernetBackend {
  return defaultBackend;
}

/** Replaces the default Fernet backend (the Node entry points install `node:crypto`'s). */
export function setFernetBackend(backend: FernetBackend): void {
  if (backend === null || typeof backend !== "object" || typeof backend.importKeys !== "function") {
    throw new InvalidArgumentError("backend must be a FernetBackend (an object with importKeys)");
  }
  defaultBackend = backend;
}

/** Options of {@link Fernet.create}. */
export interface FernetOptions {
  /** Current time in milliseconds since the epoch; `Date.now` by default (inject one in tests). */
  clock?: (() => number) | undefined;
  /** The primitives; the default backend ({@link fernetBackend}) when omitted. */
  backend?: FernetBackend | undefined;
}

/** Options of {@link Fernet.decrypt}. */
export interface FernetDecryptOptions {
  /** Refuse tokens older than this many seconds; no limit when omitted (Python Fiber sets none). */
  ttl?: number | undefined;
}

/** Options of {@link Fernet.encrypt}; both are for deterministic tests only. */
export interface FernetEncryptOptions {
  /** The 16-byte CBC iv; random by default. Never reuse one in production. */
  iv?: Uint8Array | undefined;
  /** Token timestamp in seconds; the clock by default. */
  time?: number | undefined;
}

/**
 * A Fernet key, imported once into the backend (Web Crypto, or `node:crypto` on Node).
 *
 * Decryption refuses, with one uniform {@link DecryptionError}: bad base64, a wrong
 * version byte, a short or misaligned token, a bad MAC (checked in constant time before
 * any decryption), bad padding, a token older than `ttl`, and a token dated more than
 * 60 s in the future (the spec's clock-skew rule, applied with or without a TTL).
 *
 * @example
 * ```ts
 * const f = await Fernet.create(Fernet.generateKey());
 * const token = await f.encrypt("hello");
 * new TextDecoder().decode(await f.decrypt(token)); // "hello"
 * ```
 */
export class Fernet {
  readonly #keys: FernetKeys;
  readonly #clock: () => number;
  readonly #encode: (bytes: Uint8Array) => string;
  readonly #decode: (text: string) => Uint8Array | undefined;

  private constructor(keys: FernetKeys, clock: () => number, backend: FernetBackend) {
    this.#keys = keys;
    this.#clock = clock;
    this.#encode = typeof backend.encodeToken === "function" ? backend.encodeToken.bind(backend) : toBase64Url;
    this.#decode = typeof backend.decodeToken === "function" ? backend.decodeToken.bind(backend) : decodeTokenPortable;
  }

  /** Returns a fresh random key as padded URL-safe base64, as Python's `Fernet.generate_key()`. */
  static generateKey(): string {
    return toBase64Url(randomBytes(SYMMETRIC_KEY_BYTES));
  }

  /**
   * Imports a key. The copies of the key bytes made for the import (and the bytes
   * decoded from a base64 key) are zeroed afterwards; a `Uint8Array` you pass is left
   * as it is (wipe it yourself when done).
   * @param key - 32 raw bytes, or their padded base64 in the standard or URL-safe alphabet
   * @param options - see {@link FernetOptions}
   * @throws KeyFormatError when the key is not 32 bytes
   */
  static async create(key: string | Uint8Array, options: FernetOptions = {}): Promise<Fernet> {
    let raw: Uint8Array;
    const decoded = typeof key === "string";
    if (decoded) {
      try {
        raw = fromBase64Any(key, "key");
      } catch (cause) {
        throw new KeyFormatError("Fernet key must be 32 bytes in padded standard or URL-safe base64", { cause });
      }
    } else {
      raw = abytes(key, "key");
    }
    // Explicit copies: a Node Buffer's slice() is a view, and these copies are wiped below.
    const signing = Uint8Array.prototype.slice.call(raw, 0, 16);
    const encryption = Uint8Array.prototype.slice.call(raw, 16, 32);
    const length = raw.length;
    if (decoded) wipe(raw);
    try {
      if (length !== SYMMETRIC_KEY_BYTES) throw new KeyFormatError(`Fernet key must be ${SYMMETRIC_KEY_BYTES} bytes, got ${length}`);
      const clock = options.clock ?? Date.now;
      if (typeof clock !== "function") throw new InvalidArgumentError("options.clock must be a function returning milliseconds");
      const backend = options.backend ?? defaultBackend;
      if (backend === null || typeof backend !== "object" || typeof backend.importKeys !== "function") {
        throw new InvalidArgumentError("options.backend must be a FernetBackend (an object with importKeys)");
      }
      return new Fernet(await backend.importKeys(signing, encryption), clock, backend);
    } finally {
      wipe(signing);
      wipe(encryption);
    }
  }

  /** Current time in whole seconds, from the injected clock. */
  #nowSeconds(): number {
    return Math.floor(this.#clock() / 1000);
  }

  /**
   * Encrypts and authenticates `data`.
   * @param data - bytes, or a string (UTF-8 encoded)
   * @param options - see {@link FernetEncryptOptions}
   * @returns the token, padded URL-safe base64
   */
  async encrypt(data: Uint8Array | string, options: FernetEncryptOptions = {}): Promise<string> {
    const plain = typeof data === "string" ? utf8(data) : abytes(data, "data");
    const iv = options.iv === undefined ? randomBytes(16) : abytes(options.iv, "options.iv", 16);
    const time = options.time === undefined ? this.#nowSeconds() : aint(options.time, "options.time", 0);
    const header = new Uint8Array(HEADER_BYTES);
    header[0] = FERNET_VERSION;
    new DataView(header.buffer).setBigUint64(1, BigInt(time));
    header.set(iv, 9);
    const signed = concatBytes(header, await this.#keys.encrypt(iv, plain));
    return this.#encode(concatBytes(signed, await this.#keys.mac(signed)));
  }

  /**
   * Verifies and decrypts a token.
   * @param token - the token, as a string or its ASCII bytes
   * @param options - see {@link FernetDecryptOptions}
   * @returns the plaintext bytes
   * @throws DecryptionError for every kind of bad, expired or future token
   */
  async decrypt(token: string | Uint8Array, options: FernetDecryptOptions = {}): Promise<Uint8Array> {
    const ttl = options.ttl === undefined ? undefined : aint(options.ttl, "options.ttl", 0);
    const text = typeof token === "string" ? token : asciiOrEmpty(abytes(token, "token"));
    const data = decodeToken(text, this.#decode);
    if (data === undefined || data.length < HEADER_BYTES + BLOCK_BYTES + MAC_BYTES || data[0] !== FERNET_VERSION) {
      throw new DecryptionError();
    }
    if ((data.length - HEADER_BYTES - MAC_BYTES) % BLOCK_BYTES !== 0) throw new DecryptionError();
    const timestamp = Number(new DataView(data.buffer, data.byteOffset).getBigUint64(1));
    const now = this.#nowSeconds();
    if (ttl !== undefined && timestamp + ttl < now) throw new DecryptionError();
    if (now + FERNET_MAX_CLOCK_SKEW_S < timestamp) throw new DecryptionError();
    const signed = data.subarray(0, data.length - MAC_BYTES);
    if (!equalBytes(await this.#keys.mac(signed), data.subarray(data.length - MAC_BYTES))) throw new DecryptionError();
    try {
      return await this.#keys.decrypt(data.subarray(9, HEADER_BYTES), data.subarray(HEADER_BYTES, data.length - MAC_BYTES));
    } catch {
      throw new DecryptionError();
    }
  }
}

/** Decodes the bytes of a token as ASCII; non-ASCII gives "" (which then fails to decode). */
function asciiOrEmpty(bytes: Uint8Array): string {
  for (const b of bytes) if (b > 0x7e || b < 0x20) return "";
  return asciiDecoder.decode(bytes);
}

/** Decodes a token's text with the backend's decoder (which refuses what is not padded URL-safe base64). */
function decodeToken(text: string, decode: (text: string) => Uint8Array | undefined): Uint8Array | undefined {
  astring(text, "token");
  try {
    return decode(text);
  } catch {
    return undefined;
  }
}

/** The portable decoder: padded URL-safe base64, or `undefined` when it is not that. */
function decodeTokenPortable(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !TOKEN_CHARS.test(text)) return undefined;
  return fromBase64Any(text, "token");
}
