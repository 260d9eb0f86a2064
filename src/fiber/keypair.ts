/**
 * `Keypair`: a Substrate sr25519 hotkey with its ss58 address, as Python's
 * `substrateinterface.Keypair` (sr25519 crypto type, format 42).
 *
 * @module
 */
import { generateMnemonic as bip39Generate, mnemonicToEntropy } from "@scure/bip39";
import { wordlist as english } from "@scure/bip39/wordlists/english.js";
import { abytes, astring, bufferSource, concatBytes, fromHex, isHex, randomBytes, toHex, utf8, wipe } from "../common/bytes.js";
import { KeyFormatError } from "../common/errors.js";
import { BYTES_WRAP_PREFIX, BYTES_WRAP_SUFFIX, SS58_FORMAT } from "./constants.js";
import { ss58Decode, ss58Encode } from "./ss58.js";
import { SR25519_SEED_BYTES, sr25519PairFromSeed, sr25519Sign, sr25519Verify, type Sr25519Pair } from "./sr25519.js";

const WRAP_PREFIX = utf8(BYTES_WRAP_PREFIX);
const WRAP_SUFFIX = utf8(BYTES_WRAP_SUFFIX);

/** Decoded public keys of recently seen addresses: ss58 decoding (base58 + blake2b) costs about a third of a verify. */
const publicKeyCache = new Map<string, Uint8Array>();
const PUBLIC_KEY_CACHE_SIZE = 4096;

/** The public key of an ss58 address, decoded once per address. */
function publicKeyOf(address: string): Uint8Array {
  let key = publicKeyCache.get(address);
  if (key === undefined) {
    key = ss58Decode(address).publicKey;
    if (publicKeyCache.size >= PUBLIC_KEY_CACHE_SIZE) publicKeyCache.delete(publicKeyCache.keys().next().value as string);
    publicKeyCache.set(address, key);
  }
  return key;
}

/** Accepts bytes, or a string as its UTF-8 bytes. */
function messageBytes(message: string | Uint8Array, name: string): Uint8Array {
  return typeof message === "string" ? utf8(message) : abytes(message, name);
}

/** Parses `"0x" + 128 hex digits` (Python requires the `0x`), or `undefined`. */
function signatureBytes(signature: string | Uint8Array): Uint8Array | undefined {
  if (signature instanceof Uint8Array) return signature;
  if (typeof signature !== "string" || !signature.startsWith("0x") || signature.length !== 130) return undefined;
  const hex = signature.slice(2);
  return isHex(hex) ? fromHex(hex) : undefined;
}

/**
 * Substrate's BIP39 derivation (substrate-bip39): the mini secret is
 * `PBKDF2-HMAC-SHA512(entropy, "mnemonic" + password, 2048)[0..32]`. Unlike BIP39,
 * the entropy (not the phrase) is the PBKDF2 password.
 * @param phrase - an English BIP39 mnemonic with a valid checksum
 * @param password - the optional substrate-bip39 password; empty by default (as Fiber)
 * @throws KeyFormatError when the phrase is not a valid mnemonic
 */
export async function mnemonicToMiniSecret(phrase: string, password = ""): Promise<Uint8Array> {
  astring(phrase, "phrase");
  astring(password, "password");
  let entropy: Uint8Array;
  try {
    entropy = mnemonicToEntropy(phrase.trim().split(/\s+/).join(" "), english);
  } catch (cause) {
    throw new KeyFormatError("phrase must be an English BIP39 mnemonic with a valid checksum", { cause });
  }
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey("raw", bufferSource(entropy), "PBKDF2", false, ["deriveBits"]);
  wipe(entropy);
  const salt = utf8(`mnemonic${password.normalize("NFKD")}`);
  const bits = await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-512", salt, iterations: 2048 }, key, 512);
  const seed = new Uint8Array(bits);
  const mini = seed.slice(0, SR25519_SEED_BYTES);
  wipe(seed);
  return mini;
}

/** Returns a new random 12-word English mnemonic (128 bits of entropy). */
export function generateMnemonic(): string {
  return bip39Generate(english, 128);
}

/**
 * An sr25519 hotkey. Create one with {@link Keypair.fromSeed},
 * {@link Keypair.fromMnemonic} or {@link Keypair.generate}.
 *
 * @example
 * ```ts
 * const kp = await Keypair.fromMnemonic("old leopard transfer rib spatial phone calm indicate online fire caution review");
 * kp.ss58Address; // "5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX"
 * const sig = await kp.sign("hello");
 * await Keypair.verify("hello", sig, kp.ss58Address); // true
 * ```
 */
export class Keypair {
  readonly #pair: Sr25519Pair;
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** The ss58 address of the public key (format 42 unless chosen otherwise). */
  readonly ss58Address: string;

  private constructor(pair: Sr25519Pair, format: number) {
    this.#pair = pair;
    this.publicKey = pair.publicKey.slice();
    this.ss58Address = ss58Encode(pair.publicKey, format);
  }

  /**
   * A key pair from a 32-byte mini secret, as Python's `Keypair.create_from_seed`.
   * @param seed - `"0x"` + 64 hex digits (the `0x` is optional), or 32 bytes
   * @param format - ss58 format of {@link Keypair.ss58Address}; 42 by default
   */
  static async fromSeed(seed: string | Uint8Array, format: number = SS58_FORMAT): Promise<Keypair> {
    let bytes: Uint8Array;
    if (typeof seed === "string") {
      const hex = seed.startsWith("0x") ? seed.slice(2) : seed;
      if (hex.length !== 2 * SR25519_SEED_BYTES || !isHex(hex)) {
        throw new KeyFormatError(`seed must be "0x" followed by ${2 * SR25519_SEED_BYTES} hex digits`);
      }
      bytes = fromHex(hex, "seed");
    } else {
      bytes = abytes(seed, "seed", SR25519_SEED_BYTES);
    }
    return new Keypair(await sr25519PairFromSeed(bytes), format);
  }

  /**
   * A key pair from a mnemonic with Substrate's derivation and no password, as
   * Python's `Keypair.create_from_mnemonic` (derivation paths are not supported).
   * @param phrase - an English BIP39 mnemonic
   * @param format - ss58 format of {@link Keypair.ss58Address}; 42 by default
   */
  static async fromMnemonic(phrase: string, format: number = SS58_FORMAT): Promise<Keypair> {
    const mini = await mnemonicToMiniSecret(phrase);
    try {
      return await Keypair.fromSeed(mini, format);
    } finally {
      wipe(mini);
    }
  }

  /** A key pair from a fresh random seed. */
  static async generate(format: number = SS58_FORMAT): Promise<Keypair> {
    const seed = randomBytes(SR25519_SEED_BYTES);
    try {
      return await Keypair.fromSeed(seed, format);
    } finally {
      wipe(seed);
    }
  }

  /** The public key as `"0x"` + lowercase hex, as Python's `public_key.hex()` with prefix. */
  get publicKeyHex(): string {
    return `0x${toHex(this.publicKey)}`;
  }

  /**
   * Signs a message (randomised schnorrkel signature, context "substrate").
   * @param message - bytes, or a string signed as its UTF-8 bytes
   * @returns the 64-byte signature
   */
  async sign(message: string | Uint8Array): Promise<Uint8Array> {
    return sr25519Sign(this.#pair, messageBytes(message, "message"));
  }

  /** Signs and returns `"0x"` + hex, the form of Fiber's `signature` header. */
  async signHex(message: string | Uint8Array): Promise<string> {
    return `0x${toHex(await this.sign(message))}`;
  }

  /**
   * Verifies a signature as Python's `Keypair.verify`: over the message itself, or
   * else over `<Bytes>` + message + `</Bytes>` (what wallets such as polkadot.js sign).
   * Never throws on bad input; a malformed address or signature gives `false`.
   * @param message - bytes, or a string as its UTF-8 bytes
   * @param signature - 64 bytes, or `"0x"` + 128 hex digits
   * @param ss58Address - the signer's address, any ss58 format
   */
  static async verify(message: string | Uint8Array, signature: string | Uint8Array, ss58Address: string): Promise<boolean> {
    let publicKey: Uint8Array;
    let data: Uint8Array;
    try {
      publicKey = publicKeyOf(ss58Address);
      data = messageBytes(message, "message");
    } catch {
      return false;
    }
    const sig = signatureBytes(signature);
    if (sig === undefined) return false;
    if (await sr25519Verify(data, sig, publicKey)) return true;
    return sr25519Verify(concatBytes(WRAP_PREFIX, data, WRAP_SUFFIX), sig, publicKey);
  }
}
