/**
 * The libsodium backend of the Noise engine, through the optional `sodium-native` addon
 * (N-API, prebuilt binaries): X25519 (libsodium's fixed-base key generation, raw-byte
 * DH with no key objects to import), ChaCha20-Poly1305 (one call per seal or open, no
 * cipher object per message), SHA-256, SHA-512 and BLAKE2b, and HKDF as the RFC 2104
 * HMAC over them. AES-256-GCM and BLAKE2s stay on `node:crypto` (`sodium-native` 5 binds
 * neither), so do X448 and the other functions of the `node:crypto` backend. Every
 * function is synchronous and produces the bytes the other backends produce; the same
 * vectors run on all three.
 *
 * When the addon is not installed (it is an optionalDependency) or does not load on this
 * platform, {@link loadSodiumNoiseBackend} answers `undefined` and the `node:crypto`
 * backend stays in use.
 *
 * @module
 */
import { DecryptionError, HandshakeRejectedError } from "../../errors.js";
import { type CipherFunction, type DhFunction, type HashFunction, type NoiseBackend, NOISE_WIRE, chaChaPoly } from "../../noise/index.js";
import { NODE_BACKEND } from "../noise-backend.js";

/** The part of `sodium-native`'s API this backend calls (its functions throw on failure). */
interface Sodium {
  randombytes_buf(buffer: Uint8Array): void;
  sodium_memzero(buffer: Uint8Array): void;
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_aead_chacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number;
  crypto_hash_sha256(out: Uint8Array, input: Uint8Array): void;
  crypto_hash_sha512(out: Uint8Array, input: Uint8Array): void;
  crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array): void;
}

const SODIUM_FUNCTIONS = [
  "randombytes_buf", "sodium_memzero", "crypto_scalarmult_base", "crypto_scalarmult",
  "crypto_aead_chacha20poly1305_ietf_encrypt", "crypto_aead_chacha20poly1305_ietf_decrypt",
  "crypto_hash_sha256", "crypto_hash_sha512", "crypto_generichash",
] as const satisfies readonly (keyof Sodium)[];

/** The module of `import("sodium-native")`: CommonJS, so its exports may sit on `default`. */
type SodiumModule = Partial<Sodium> & { default?: Partial<Sodium> };

const importSodium = (): Promise<SodiumModule> => import("sodium-native") as Promise<SodiumModule>;

/**
 * Loads libsodium and builds the Noise backend on it, or answers `undefined` when the
 * optional `sodium-native` addon is absent, fails to load, lacks a function this backend
 * calls, or fails the RFC 7748 X25519 check run once at load.
 * @param load - imports the addon (tests pass a failing one to exercise the fallback)
 */
export async function loadSodiumNoiseBackend(load: () => Promise<unknown> = importSodium): Promise<NoiseBackend | undefined> {
  let sodium: Sodium;
  try {
    const mod = (await load()) as SodiumModule;
    const candidate = typeof mod.default?.crypto_scalarmult === "function" ? mod.default : mod;
    if (!SODIUM_FUNCTIONS.every((name) => typeof candidate[name] === "function")) return undefined;
    sodium = candidate as Sodium;
    if (!selfTest(sodium)) return undefined;
  } catch {
    return undefined;
  }
  return sodiumBackend(sodium);
}

const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, "hex"));

/** RFC 7748 section 6.1: Alice's public key and the shared secret, computed once at load. */
function selfTest(sodium: Sodium): boolean {
  const alice = fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const bobPublic = fromHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const [publicKey, shared] = [new Uint8Array(32), new Uint8Array(32)];
  sodium.crypto_scalarmult_base(publicKey, alice);
  sodium.crypto_scalarmult(shared, alice, bobPublic);
  const ok = Buffer.from(publicKey).toString("hex") === "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
    && Buffer.from(shared).toString("hex") === "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  alice.fill(0);
  return ok;
}

/** The `node:crypto` backend with libsodium's X25519, ChaChaPoly, SHA-256, SHA-512 and BLAKE2b. */
function sodiumBackend(sodium: Sodium): NoiseBackend {
  const hash = (name: string, hashLen: number, blockLen: number, digest: (out: Uint8Array, input: Uint8Array) => void) => sodiumHash(sodium, name, hashLen, blockLen, digest);
  return {
    name: "libsodium",
    dh: { ...NODE_BACKEND.dh, "25519": sodiumX25519(sodium) },
    cipher: { ...NODE_BACKEND.cipher, ChaChaPoly: sodiumChaChaPoly(sodium) },
    hash: {
      ...NODE_BACKEND.hash,
      SHA256: hash("SHA256", 32, 64, (out, input) => sodium.crypto_hash_sha256(out, input)),
      SHA512: hash("SHA512", 64, 128, (out, input) => sodium.crypto_hash_sha512(out, input)),
      BLAKE2b: hash("BLAKE2b", 64, 128, (out, input) => sodium.crypto_generichash(out, input)),
    },
  };
}

/** X25519 on raw bytes: the key pair from randombytes and the fixed-base multiplication. */
function sodiumX25519(sodium: Sodium): DhFunction {
  const publicKey = (privateKey: Uint8Array): Uint8Array => {
    const out = new Uint8Array(32);
    sodium.crypto_scalarmult_base(out, privateKey);
    return out;
  };
  return {
    name: "25519",
    dhLen: 32,
    generateKeyPair() {
      const privateKey = new Uint8Array(32);
      sodium.randombytes_buf(privateKey);
      return { privateKey, publicKey: publicKey(privateKey) };
    },
    publicKey,
    dh(privateKey, peerPublicKey) {
      const shared = new Uint8Array(32);
      try {
        sodium.crypto_scalarmult(shared, privateKey, peerPublicKey);
      } catch (cause) {
        // libsodium refuses the small-order points and an all-zero result, as the other backends do.
        throw new HandshakeRejectedError("25519: the peer's public key is invalid or of low order", { cause });
      }
      return shared;
    },
  };
}

/** ChaChaPoly: one libsodium call per message, nonce `00000000 || LE64(n)` (the portable layout). */
function sodiumChaChaPoly(sodium: Sodium): CipherFunction {
  const { TAG_BYTES } = NOISE_WIRE;
  return {
    name: "ChaChaPoly",
    nonce: chaChaPoly.nonce,
    importKey(key) {
      const k = Uint8Array.from(key);
      // One nonce buffer per key: the counter is written in place before each call.
      const nonce = new Uint8Array(12);
      const counter = new DataView(nonce.buffer);
      const at = (n: bigint): Uint8Array => (counter.setBigUint64(4, n, true), nonce);
      return {
        destroy: () => sodium.sodium_memzero(k),
        encrypt(n, ad, plaintext) {
          const sealed = new Uint8Array(plaintext.length + TAG_BYTES);
          sodium.crypto_aead_chacha20poly1305_ietf_encrypt(sealed, plaintext, ad, null, at(n), k);
          return sealed;
        },
        decrypt(n, ad, ciphertext) {
          if (ciphertext.length < TAG_BYTES) throw new DecryptionError();
          const plaintext = new Uint8Array(ciphertext.length - TAG_BYTES);
          try {
            sodium.crypto_aead_chacha20poly1305_ietf_decrypt(plaintext, null, ciphertext, ad, at(n), k);
          } catch {
            throw new DecryptionError();
          }
          return plaintext;
        },
      };
    },
  };
}

const IPAD = 0x36;
const OPAD = 0x5c;

/**
 * A Noise hash function on a libsodium one-shot digest, with Noise's HKDF over HMAC
 * (RFC 2104: H((K ^ opad) || H((K ^ ipad) || m)), a key longer than the block hashed
 * first). `sodium-native` binds no HMAC-SHA256 (its `crypto_auth` is HMAC-SHA512-256), so
 * the construction is written here over the library's hash, and checked against RFC 4231
 * and `@noble/hashes` in the tests. The padded key blocks of HKDF's temporary key are
 * built once per HKDF and zeroed after it.
 */
function sodiumHash(sodium: Sodium, name: string, hashLen: number, blockLen: number, digest: (out: Uint8Array, input: Uint8Array) => void): HashFunction {
  const hash = (data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(hashLen);
    digest(out, data);
    return out;
  };
  /** The inner and outer pads of `key`, each followed by room for a message of up to `room` bytes. */
  const pads = (key: Uint8Array, room: number): [Uint8Array, Uint8Array] => {
    const k = key.length > blockLen ? hash(key) : key;
    const inner = new Uint8Array(blockLen + room);
    const outer = new Uint8Array(blockLen + hashLen);
    for (let i = 0; i < blockLen; i++) {
      const byte = i < k.length ? k[i]! : 0;
      inner[i] = byte ^ IPAD;
      outer[i] = byte ^ OPAD;
    }
    if (k !== key) sodium.sodium_memzero(k);
    return [inner, outer];
  };
  /** HMAC of the `length` message bytes already placed after the inner pad; `inner`'s tail and `outer`'s are scratch. */
  const mac = (inner: Uint8Array, outer: Uint8Array, length: number): Uint8Array => {
    digest(outer.subarray(blockLen), inner.subarray(0, blockLen + length));
    return hash(outer);
  };
  return {
    name,
    hashLen,
    hash,
    hkdf(chainingKey, inputKeyMaterial, outputs) {
      // temp_key = HMAC(ck, ikm); output i = HMAC(temp_key, output i-1 || i).
      const [ckInner, ckOuter] = pads(chainingKey, inputKeyMaterial.length);
      ckInner.set(inputKeyMaterial, blockLen);
      const tempKey = mac(ckInner, ckOuter, inputKeyMaterial.length);
      sodium.sodium_memzero(ckInner);
      sodium.sodium_memzero(ckOuter);
      const [inner, outer] = pads(tempKey, hashLen + 1);
      sodium.sodium_memzero(tempKey);
      const out: Uint8Array[] = [];
      for (let i = 0; i < outputs; i++) {
        const previous = out[i - 1];
        if (previous !== undefined) inner.set(previous, blockLen);
        const length = previous === undefined ? 0 : hashLen;
        inner[blockLen + length] = i + 1;
        out.push(mac(inner, outer, length + 1));
      }
      sodium.sodium_memzero(inner);
      sodium.sodium_memzero(outer);
      return out;
    },
  };
}
