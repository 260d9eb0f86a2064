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
import { createRequire } from "node:module";
import { DecryptionError, HandshakeRejectedError } from "../../common/errors.js";
import { type CipherFunction, type DhFunction, type HashFunction, type NoiseBackend, NOISE_WIRE, chaChaPoly } from "../index.js";
import { NODE_BACKEND } from "./node-crypto.js";

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

/** The module of `sodium-native`: CommonJS, so through `import()` its exports may sit on `default`. */
type SodiumModule = Partial<Sodium> & { default?: Partial<Sodium> };

/**
 * `require` rather than `import()`: the addon is CommonJS, and Node's ESM loader parses its
 * large index.js for export names first, which made loading it about 3 times slower.
 */
const requireSodium = (): SodiumModule => createRequire(import.meta.url)("sodium-native") as SodiumModule;

/**
 * Loads libsodium and builds the Noise backend on it, or answers `undefined` when the
 * optional `sodium-native` addon is absent, fails to load, lacks a function this backend
 * calls, or fails the RFC 7748 X25519 check run once at load.
 * @param load - imports the addon (tests pass a failing one to exercise the fallback)
 */
export async function loadSodiumNoiseBackend(load: () => Promise<unknown> = async () => requireSodium()): Promise<NoiseBackend | undefined> {
  let mod: unknown;
  try {
    mod = await load();
  } catch {
    return undefined;
  }
  return sodiumBackendOf(mod);
}

/** {@link loadSodiumNoiseBackend} without a promise: what the `node` entries use. */
export function loadSodiumNoiseBackendSync(load: () => unknown = requireSodium): NoiseBackend | undefined {
  let mod: unknown;
  try {
    mod = load();
  } catch {
    return undefined;
  }
  return sodiumBackendOf(mod);
}

/** This process's answer of {@link loadSodiumNoiseBackendSync}, once asked. */
let shared: { backend: NoiseBackend | undefined } | undefined;

/**
 * The libsodium backend of this process, or `undefined` when the addon does not load: loaded
 * on the first call, the same object on every later one (the exported `SODIUM_BACKEND` and
 * the default the `node` entries choose on first use must be one backend).
 */
export function sharedSodiumNoiseBackend(): NoiseBackend | undefined {
  return (shared ??= { backend: loadSodiumNoiseBackendSync() }).backend;
}

/** The backend on a loaded `sodium-native` module, or `undefined` when it lacks a function or fails the self-test. */
function sodiumBackendOf(loaded: unknown): NoiseBackend | undefined {
  let sodium: Sodium;
  try {
    const mod = loaded as SodiumModule;
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

/**
 * The addon's working memory. Handing the addon an array whose `ArrayBuffer` it has not
 * seen costs about 0.6 µs (more than a SHA-256 of 64 bytes), and nearly every array of a
 * handshake is fresh: so small inputs are copied into this buffer, outputs are written
 * here and copied out, and cipher keys live in shared slabs. Everything here is
 * synchronous, so one buffer serves every call; the regions that held secrets are zeroed
 * after each call.
 */
class Arena {
  /** Inputs up to this many bytes are copied in; larger ones (transport frames) are passed as they are. */
  static readonly SMALL = 2048;
  readonly bytes = new Uint8Array(4 * Arena.SMALL + 1024);
  readonly #counter = new DataView(this.bytes.buffer);
  /** `length` bytes at `offset`. */
  at(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, offset + length);
  }
  /** A copy of `data` at `offset` when it is small, else `data` itself. */
  put(data: Uint8Array, offset: number): Uint8Array {
    if (data.length > Arena.SMALL) return data;
    const view = this.at(offset, data.length);
    view.set(data);
    return view;
  }
  /** The Noise ChaChaPoly nonce of counter `n` at `offset`: 4 zero bytes, then LE64(n). */
  nonce(n: bigint, offset: number): Uint8Array {
    this.#counter.setUint32(offset, 0);
    this.#counter.setBigUint64(offset + 4, n, true);
    return this.at(offset, 12);
  }
}

// Regions of the arena (byte offsets). One call uses one group: AEAD (NONCE, AD, TEXT,
// SEALED), X25519 (KEY_IN, DH_PEER, DH_OUT), HASH (HASH_OUT, TEXT), HKDF (HMAC_*).
const NONCE = 0, AD = 16, TEXT = 512, SEALED = TEXT + Arena.SMALL + 64;
const KEY_IN = 16, DH_PEER = 48, DH_OUT = 80, HASH_OUT = 112;
const HMAC_OUTER = 512, HMAC_TEMP = 768, HMAC_INNER = 1024;

/** Cipher keys: 32-byte views of shared slabs, which the addon sees once per slab. */
class KeySlabs {
  #slab = new Uint8Array(0);
  #used = 0;
  copy(key: Uint8Array): Uint8Array {
    if (this.#used + key.length > this.#slab.length) {
      this.#slab = new Uint8Array(4096);
      this.#used = 0;
    }
    const view = this.#slab.subarray(this.#used, (this.#used += key.length));
    view.set(key);
    return view;
  }
}

/** The `node:crypto` backend with libsodium's X25519, ChaChaPoly, SHA-256, SHA-512 and BLAKE2b. */
function sodiumBackend(sodium: Sodium): NoiseBackend {
  const arena = new Arena();
  const hash = (name: string, hashLen: number, blockLen: number, digest: (out: Uint8Array, input: Uint8Array) => void) => sodiumHash(arena, name, hashLen, blockLen, digest);
  return {
    name: "libsodium",
    dh: { ...NODE_BACKEND.dh, "25519": sodiumX25519(sodium, arena) },
    cipher: { ...NODE_BACKEND.cipher, ChaChaPoly: sodiumChaChaPoly(sodium, arena) },
    hash: {
      ...NODE_BACKEND.hash,
      SHA256: hash("SHA256", 32, 64, (out, input) => sodium.crypto_hash_sha256(out, input)),
      SHA512: hash("SHA512", 64, 128, (out, input) => sodium.crypto_hash_sha512(out, input)),
      BLAKE2b: hash("BLAKE2b", 64, 128, (out, input) => sodium.crypto_generichash(out, input)),
    },
  };
}

/** X25519 on raw bytes: the key pair from randombytes and the fixed-base multiplication. */
function sodiumX25519(sodium: Sodium, arena: Arena): DhFunction {
  const publicKey = (privateKey: Uint8Array): Uint8Array => {
    const [secret, out] = [arena.put(privateKey, KEY_IN), arena.at(DH_OUT, 32)];
    try {
      sodium.crypto_scalarmult_base(out, secret);
      return out.slice();
    } finally {
      secret.fill(0);
    }
  };
  return {
    name: "25519",
    dhLen: 32,
    generateKeyPair() {
      const secret = arena.at(KEY_IN, 32);
      sodium.randombytes_buf(secret);
      const privateKey = secret.slice();
      secret.fill(0);
      return { privateKey, publicKey: publicKey(privateKey) };
    },
    publicKey,
    dh(privateKey, peerPublicKey) {
      const [secret, peer, shared] = [arena.put(privateKey, KEY_IN), arena.put(peerPublicKey, DH_PEER), arena.at(DH_OUT, 32)];
      try {
        sodium.crypto_scalarmult(shared, secret, peer);
        return shared.slice();
      } catch (cause) {
        // libsodium refuses the small-order points and an all-zero result, as the other backends do.
        throw new HandshakeRejectedError("25519: the peer's public key is invalid or of low order", { cause });
      } finally {
        secret.fill(0);
        shared.fill(0);
      }
    },
  };
}

/** ChaChaPoly: one libsodium call per message, nonce `00000000 || LE64(n)` (the portable layout). */
function sodiumChaChaPoly(sodium: Sodium, arena: Arena): CipherFunction {
  const { TAG_BYTES } = NOISE_WIRE;
  const slabs = new KeySlabs();
  /** The arena holds the AD up to 480 bytes and the text up to Arena.SMALL; beyond, fresh arrays are used. */
  const small = (ad: Uint8Array, text: Uint8Array): boolean => ad.length <= TEXT - AD && text.length <= Arena.SMALL;
  return {
    name: "ChaChaPoly",
    nonce: chaChaPoly.nonce,
    importKey(key) {
      const k = slabs.copy(key);
      return {
        destroy: () => k.fill(0),
        encrypt(n, ad, plaintext) {
          if (!small(ad, plaintext)) {
            const sealed = new Uint8Array(plaintext.length + TAG_BYTES);
            sodium.crypto_aead_chacha20poly1305_ietf_encrypt(sealed, plaintext, ad, null, arena.nonce(n, NONCE), k);
            return sealed;
          }
          const [text, sealed] = [arena.put(plaintext, TEXT), arena.at(SEALED, plaintext.length + TAG_BYTES)];
          sodium.crypto_aead_chacha20poly1305_ietf_encrypt(sealed, text, arena.put(ad, AD), null, arena.nonce(n, NONCE), k);
          text.fill(0);
          // Rekey's ciphertext is the next key: the sealed copy is zeroed too.
          const out = sealed.slice();
          sealed.fill(0);
          return out;
        },
        decrypt(n, ad, ciphertext) {
          if (ciphertext.length < TAG_BYTES) throw new DecryptionError();
          const large = !small(ad, ciphertext);
          const plaintext = large ? new Uint8Array(ciphertext.length - TAG_BYTES) : arena.at(TEXT, ciphertext.length - TAG_BYTES);
          try {
            sodium.crypto_aead_chacha20poly1305_ietf_decrypt(plaintext, null, large ? ciphertext : arena.put(ciphertext, SEALED), large ? ad : arena.put(ad, AD), arena.nonce(n, NONCE), k);
          } catch {
            throw new DecryptionError();
          }
          if (large) return plaintext;
          const out = plaintext.slice();
          plaintext.fill(0);
          return out;
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
 * and `@noble/hashes` in the tests. The pads, the temporary key and the messages are
 * built in the arena and zeroed after each HKDF.
 */
function sodiumHash(arena: Arena, name: string, hashLen: number, blockLen: number, digest: (out: Uint8Array, input: Uint8Array) => void): HashFunction {
  const out = arena.at(HASH_OUT, hashLen);
  const hash = (data: Uint8Array): Uint8Array => {
    const input = arena.put(data, TEXT);
    digest(out, input);
    if (input !== data) input.fill(0); // it may be key material (a cache id of a static key)
    return out.slice();
  };
  // HMAC layout: inner = K ^ ipad || message, outer = K ^ opad || H(inner), temp = H(outer).
  const outer = arena.at(HMAC_OUTER, blockLen + hashLen);
  const innerHash = outer.subarray(blockLen);
  const temp = arena.at(HMAC_TEMP, hashLen);
  /** Writes the pads of `key` into `inner` and `outer`. */
  const pads = (key: Uint8Array, inner: Uint8Array): void => {
    let k = key;
    if (key.length > blockLen) {
      digest(temp, key); // never in Noise (keys are HASHLEN bytes), so not worth the arena
      k = temp;
    }
    for (let i = 0; i < blockLen; i++) {
      const byte = i < k.length ? k[i]! : 0;
      inner[i] = byte ^ IPAD;
      outer[i] = byte ^ OPAD;
    }
  };
  /** HMAC of the first `length` bytes of `inner` (pad included) into `temp`. */
  const mac = (inner: Uint8Array, length: number): void => {
    digest(innerHash, inner.subarray(0, length));
    digest(temp, outer);
  };
  return {
    name,
    hashLen,
    hash,
    hkdf(chainingKey, inputKeyMaterial, outputs) {
      const room = Math.max(inputKeyMaterial.length, hashLen + 1);
      const inner = blockLen + room <= Arena.SMALL ? arena.at(HMAC_INNER, blockLen + room) : new Uint8Array(blockLen + room);
      try {
        // temp_key = HMAC(ck, ikm)
        pads(chainingKey, inner);
        inner.set(inputKeyMaterial, blockLen);
        mac(inner, blockLen + inputKeyMaterial.length);
        // output i = HMAC(temp_key, output i-1 || i)
        pads(temp, inner);
        const result: Uint8Array[] = [];
        for (let i = 0; i < outputs; i++) {
          const previous = result[i - 1];
          if (previous !== undefined) inner.set(previous, blockLen);
          const length = blockLen + (previous === undefined ? 0 : hashLen);
          inner[length] = i + 1;
          mac(inner, length + 1);
          result.push(temp.slice());
        }
        return result;
      } finally {
        inner.fill(0);
        outer.fill(0);
        temp.fill(0);
      }
    },
  };
}
