/**
 * The legacy HiveMind transport (hivemind_bus_client before protocol v3), for older
 * hubs: each message encrypted under the password handshake's 32-byte secret with a
 * random nonce and no associated data, as a JSON text frame or a binary frame.
 *
 * @module
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { base32 } from "@scure/base";
import { abytes, bufferSource, concatBytes, fromBase64, fromBase64Any, fromHex, randomBytes, toBase64, toBase64Url, toHex, utf8 } from "../common/bytes.js";
import { DecryptionError, InvalidArgumentError } from "../common/errors.js";
import { LEGACY_ENCODINGS, LEGACY_NONCE_BYTES, LEGACY_TAG_BYTES, type LegacyCipher, type LegacyEncoding } from "./constants.js";
import { base91, type TextCodec, z85b, z85p } from "./encodings.js";
import { pythonJsonDumps } from "./json.js";

const CODECS: Readonly<Record<LegacyEncoding, TextCodec>> = {
  "JSON-B91": base91,
  "JSON-Z85B": z85b,
  "JSON-Z85P": z85p,
  // The project's one base64 codec. Like Python's urlsafe_b64decode, URL-safe frames
  // also read the standard alphabet (not a mix); non-zero pad bits are read as Python does.
  "JSON-B64": { encode: toBase64, decode: (text) => fromBase64(text) },
  "JSON-URLSAFE-B64": { encode: toBase64Url, decode: (text) => fromBase64Any(text) },
  "JSON-B32": base32,
  "JSON-HEX": { encode: toHex, decode: (text) => fromHex(text) },
};

/** Options of {@link LegacyTransport.create}. */
export interface LegacyTransportOptions {
  /** `AES-GCM` (default, 16-byte nonce) or `CHACHA20-POLY1305` (12-byte nonce). */
  cipher?: LegacyCipher | undefined;
  /** Encoding of JSON frames; `JSON-HEX` (the wire default) when absent. */
  encoding?: LegacyEncoding | undefined;
}

type Seal = (nonce: Uint8Array, plaintext: Uint8Array) => Promise<Uint8Array>;

/** The bytes of a message to encrypt: a string (UTF-8) or bytes; the error names both. */
function plaintextBytes(plaintext: unknown): Uint8Array {
  if (typeof plaintext === "string") return utf8(plaintext);
  if (plaintext instanceof Uint8Array) return plaintext;
  const got = plaintext === null ? "null" : Array.isArray(plaintext) ? "an array" : typeof plaintext;
  throw new InvalidArgumentError(`plaintext must be a string or a Uint8Array (JSON.stringify an object first), got ${got}`);
}
type Open = (nonce: Uint8Array, sealed: Uint8Array) => Promise<Uint8Array>;

/**
 * Encrypts and decrypts legacy HiveMind frames under one key (imported once).
 * Every decryption failure, including a malformed frame, is one uniform
 * {@link DecryptionError}.
 */
export class LegacyTransport {
  /** The cipher in use. */
  readonly cipher: LegacyCipher;
  /** The JSON-frame encoding in use. */
  readonly encoding: LegacyEncoding;
  readonly #seal: Seal;
  readonly #open: Open;

  private constructor(cipher: LegacyCipher, encoding: LegacyEncoding, seal: Seal, open: Open) {
    this.cipher = cipher;
    this.encoding = encoding;
    this.#seal = seal;
    this.#open = open;
  }

  /**
   * @param key - the password handshake's secret (32 bytes; AES-GCM also takes 16 or 24)
   * @param options - cipher and encoding, as negotiated with the hub
   */
  static async create(key: Uint8Array, options: LegacyTransportOptions = {}): Promise<LegacyTransport> {
    const cipher = options.cipher ?? "AES-GCM";
    const encoding = options.encoding ?? "JSON-HEX";
    if (!Object.hasOwn(LEGACY_NONCE_BYTES, cipher)) throw new InvalidArgumentError(`cipher must be one of ${Object.keys(LEGACY_NONCE_BYTES).join(", ")}, got ${String(cipher)}`);
    if (!LEGACY_ENCODINGS.includes(encoding)) throw new InvalidArgumentError(`encoding must be one of ${LEGACY_ENCODINGS.join(", ")}, got ${String(encoding)}`);
    if (cipher === "CHACHA20-POLY1305") {
      const k = Uint8Array.from(abytes(key, "key", 32));
      return new LegacyTransport(cipher, encoding, async (nonce, pt) => chacha20poly1305(k, nonce).encrypt(pt), async (nonce, sealed) => chacha20poly1305(k, nonce).decrypt(sealed));
    }
    const k = await globalThis.crypto.subtle.importKey("raw", bufferSource(Uint8Array.from(abytes(key, "key", 16, 24, 32))), "AES-GCM", false, ["encrypt", "decrypt"]);
    const params = (nonce: Uint8Array): AesGcmParams => ({ name: "AES-GCM", iv: bufferSource(nonce), tagLength: 128 });
    return new LegacyTransport(
      cipher,
      encoding,
      async (nonce, pt) => new Uint8Array(await globalThis.crypto.subtle.encrypt(params(nonce), k, bufferSource(pt))),
      async (nonce, sealed) => new Uint8Array(await globalThis.crypto.subtle.decrypt(params(nonce), k, bufferSource(sealed))),
    );
  }

  get #nonceBytes(): number {
    return LEGACY_NONCE_BYTES[this.cipher];
  }

  #nonce(nonce: Uint8Array | undefined): Uint8Array {
    return nonce === undefined ? randomBytes(this.#nonceBytes) : abytes(nonce, "nonce", this.#nonceBytes);
  }

  async #openOrFail(nonce: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> {
    const nonceOk = nonce.length === this.#nonceBytes || (this.cipher === "AES-GCM" && nonce.length === 12);
    if (!nonceOk || sealed.length < LEGACY_TAG_BYTES) throw new DecryptionError();
    try {
      return await this.#open(nonce, sealed);
    } catch {
      throw new DecryptionError();
    }
  }

  /**
   * A JSON text frame: `{"ciphertext": E(ct), "tag": E(tag), "nonce": E(nonce)}`,
   * byte-identical to Python's `json.dumps`.
   * @param plaintext - the message; a string is UTF-8 encoded
   * @param nonce - for test vectors only; random by default
   */
  async encryptJson(plaintext: Uint8Array | string, nonce?: Uint8Array): Promise<string> {
    const n = this.#nonce(nonce);
    const sealed = await this.#seal(n, plaintextBytes(plaintext));
    const codec = CODECS[this.encoding];
    const cut = sealed.length - LEGACY_TAG_BYTES;
    return pythonJsonDumps({ ciphertext: codec.encode(sealed.subarray(0, cut)), tag: codec.encode(sealed.subarray(cut)), nonce: codec.encode(n) });
  }

  /**
   * Decrypts a JSON text frame (with or without `tag`; without it, the tag is the last
   * 16 bytes of `ciphertext`).
   * @param frame - the frame text or its parsed object
   */
  async decryptJson(frame: string | Record<string, unknown>): Promise<Uint8Array> {
    let nonce: Uint8Array;
    let sealed: Uint8Array;
    try {
      const data = typeof frame === "string" ? JSON.parse(frame) : frame;
      const codec = CODECS[this.encoding];
      const field = (name: string): Uint8Array => {
        if (typeof data[name] !== "string") throw new Error(name);
        return codec.decode(data[name]);
      };
      nonce = field("nonce");
      sealed = data.tag === undefined ? field("ciphertext") : concatBytes(field("ciphertext"), field("tag"));
    } catch {
      throw new DecryptionError();
    }
    return this.#openOrFail(nonce, sealed);
  }

  /**
   * A binary frame: `nonce || ciphertext || tag`.
   * @param plaintext - the message; a string is UTF-8 encoded
   * @param nonce - for test vectors only; random by default
   */
  async encryptBinary(plaintext: Uint8Array | string, nonce?: Uint8Array): Promise<Uint8Array> {
    const n = this.#nonce(nonce);
    return concatBytes(n, await this.#seal(n, plaintextBytes(plaintext)));
  }

  /** Decrypts a binary frame `nonce || ciphertext || tag`. */
  async decryptBinary(frame: Uint8Array): Promise<Uint8Array> {
    if (!(frame instanceof Uint8Array)) throw new DecryptionError();
    const n = this.#nonceBytes;
    return this.#openOrFail(frame.subarray(0, n), frame.subarray(n));
  }
}
