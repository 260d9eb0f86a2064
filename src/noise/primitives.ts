/**
 * The Noise crypto functions as data: DH, cipher and hash tables keyed by their Noise
 * names. Every primitive comes from an audited library (`@noble/*`) or Web Crypto;
 * nothing here is hand-written crypto.
 *
 * @module
 */
import { x25519 } from "@noble/curves/ed25519.js";
import { x448 } from "@noble/curves/ed448.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { blake2b, blake2s } from "@noble/hashes/blake2.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import type { CHash } from "@noble/hashes/utils.js";
import { bufferSource, wipe, type ArrayBufferBytes } from "../common/bytes.js";
import { DecryptionError, HandshakeRejectedError } from "../common/errors.js";
import { TAG_BYTES } from "./constants.js";

/** A Diffie-Hellman key pair (raw bytes). */
export interface KeyPair {
  /** The private key. */
  readonly privateKey: Uint8Array;
  /** The public key. */
  readonly publicKey: Uint8Array;
}

/** A Noise DH function (`25519`, `448`). */
export interface DhFunction {
  /** Noise name of the function. */
  readonly name: string;
  /** DHLEN: length of public keys and shared secrets. */
  readonly dhLen: number;
  /** GENERATE_KEYPAIR from the platform's CSPRNG. */
  generateKeyPair(): KeyPair;
  /** The public key of a private key. */
  publicKey(privateKey: Uint8Array): Uint8Array;
  /**
   * DH(key_pair, public_key); rejects a low-order public key (all-zero output).
   * `ownPublicKey`, our key pair's public half when known, lets a backend import the
   * private key faster; the result depends on `privateKey` and `publicKey` only. A backend
   * that computes it synchronously returns the bytes (no promise), and the engine then
   * runs the step without awaiting.
   */
  dh(privateKey: Uint8Array, publicKey: Uint8Array, ownPublicKey?: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/**
 * A cipher key ready for use: the key is imported once per `CipherState` key. A backend
 * whose cipher is synchronous (`node:crypto`) returns the bytes directly, an asynchronous
 * one (Web Crypto) a promise; the engine awaits only promises.
 */
export interface AeadKey {
  /** ENCRYPT(k, n, ad, plaintext) → ciphertext || tag. */
  encrypt(nonce: bigint, ad: Uint8Array, plaintext: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** DECRYPT(k, n, ad, ciphertext); throws (or rejects with) {@link DecryptionError} on a bad tag. */
  decrypt(nonce: bigint, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Zeroes the key copy this object holds (a non-extractable `CryptoKey` is just dropped); the key is unusable afterwards. */
  destroy(): void;
}

/** A Noise cipher function (`ChaChaPoly`, `AESGCM`). */
export interface CipherFunction {
  /** Noise name of the function. */
  readonly name: string;
  /** Builds the 12-byte AEAD nonce of Noise counter `n`. */
  nonce(n: bigint): ArrayBufferBytes;
  /** Imports a 32-byte key (synchronously when the backend can). */
  importKey(key: Uint8Array): AeadKey | Promise<AeadKey>;
}

/** A Noise hash function with its HMAC-based HKDF. */
export interface HashFunction {
  /** Noise name of the function. */
  readonly name: string;
  /** HASHLEN in bytes. */
  readonly hashLen: number;
  /** HASH(data). */
  hash(data: Uint8Array): Uint8Array;
  /** HKDF(chainingKey, inputKeyMaterial, outputs): `outputs` values of HASHLEN bytes. */
  hkdf(chainingKey: Uint8Array, inputKeyMaterial: Uint8Array, outputs: 2 | 3): Uint8Array[];
}

type NobleMontgomery = typeof x25519;

function montgomery(name: string, curve: NobleMontgomery, dhLen: number): DhFunction {
  return {
    name,
    dhLen,
    generateKeyPair() {
      const { secretKey, publicKey } = curve.keygen();
      return { privateKey: secretKey, publicKey };
    },
    publicKey: (privateKey) => curve.getPublicKey(privateKey),
    dh(privateKey, publicKey) {
      try {
        return curve.getSharedSecret(privateKey, publicKey);
      } catch (cause) {
        // noble refuses low-order points (all-zero output) and malformed keys.
        throw new HandshakeRejectedError(`${name}: the peer's public key is invalid or of low order`, { cause });
      }
    },
  };
}

/** Builds a 12-byte nonce: 4 zero bytes then the 64-bit counter in the given byte order. */
function counterNonce(n: bigint, littleEndian: boolean): ArrayBufferBytes {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, n, littleEndian);
  return nonce;
}

/** ChaChaPoly: ChaCha20-Poly1305 (RFC 8439), nonce `00000000 || LE64(n)`. */
export const chaChaPoly: CipherFunction = {
  name: "ChaChaPoly",
  nonce: (n) => counterNonce(n, true),
  async importKey(key) {
    const k = Uint8Array.from(key);
    return {
      destroy: () => wipe(k),
      encrypt: async (n, ad, plaintext) => chacha20poly1305(k, counterNonce(n, true), ad).encrypt(plaintext),
      async decrypt(n, ad, ciphertext) {
        if (ciphertext.length < TAG_BYTES) throw new DecryptionError();
        try {
          return chacha20poly1305(k, counterNonce(n, true), ad).decrypt(ciphertext);
        } catch {
          throw new DecryptionError();
        }
      },
    };
  },
};

/** AESGCM: AES-256-GCM from Web Crypto, nonce `00000000 || BE64(n)`. */
export const aesGcm: CipherFunction = {
  name: "AESGCM",
  nonce: (n) => counterNonce(n, false),
  async importKey(key) {
    const raw = Uint8Array.from(key);
    const k = await globalThis.crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]).finally(() => wipe(raw));
    const params = (n: bigint, ad: Uint8Array): AesGcmParams => ({ name: "AES-GCM", iv: counterNonce(n, false), additionalData: bufferSource(ad), tagLength: 128 });
    return {
      destroy: () => {}, // a non-extractable CryptoKey holds no bytes we can reach
      encrypt: async (n, ad, plaintext) => new Uint8Array(await globalThis.crypto.subtle.encrypt(params(n, ad), k, bufferSource(plaintext))),
      async decrypt(n, ad, ciphertext) {
        if (ciphertext.length < TAG_BYTES) throw new DecryptionError();
        try {
          return new Uint8Array(await globalThis.crypto.subtle.decrypt(params(n, ad), k, bufferSource(ciphertext)));
        } catch {
          throw new DecryptionError();
        }
      },
    };
  },
};

type NobleHash = CHash;

function hashFunction(name: string, fn: NobleHash): HashFunction {
  return {
    name,
    hashLen: fn.outputLen,
    hash: (data) => fn(data),
    hkdf(chainingKey, inputKeyMaterial, outputs) {
      // Noise's HKDF is RFC 5869 with salt = chaining key and empty info.
      const okm = hkdf(fn, inputKeyMaterial, chainingKey, new Uint8Array(0), outputs * fn.outputLen);
      const out: Uint8Array[] = [];
      for (let i = 0; i < outputs; i++) out.push(okm.slice(i * fn.outputLen, (i + 1) * fn.outputLen));
      okm.fill(0);
      return out;
    },
  };
}

/** DH functions by Noise name. */
export const DH_FUNCTIONS: Readonly<Record<string, DhFunction>> = {
  "25519": montgomery("25519", x25519, 32),
  "448": montgomery("448", x448 as unknown as NobleMontgomery, 56),
};

/** Cipher functions by Noise name. */
export const CIPHER_FUNCTIONS: Readonly<Record<string, CipherFunction>> = {
  ChaChaPoly: chaChaPoly,
  AESGCM: aesGcm,
};

/** Hash functions by Noise name. */
export const HASH_FUNCTIONS: Readonly<Record<string, HashFunction>> = {
  SHA256: hashFunction("SHA256", sha256),
  SHA512: hashFunction("SHA512", sha512),
  BLAKE2s: hashFunction("BLAKE2s", blake2s),
  BLAKE2b: hashFunction("BLAKE2b", blake2b),
};
