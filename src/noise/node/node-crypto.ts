/**
 * The Node backend of the Noise engine: X25519, ChaCha20-Poly1305, AES-256-GCM and the
 * hashes from `node:crypto` (OpenSSL), many times faster than the portable code. It
 * produces the same bytes and runs the same vectors. Every function is synchronous, so
 * the engine runs each handshake message without awaiting (see `noise/steps.ts`).
 *
 * @module
 */
import * as nodeCrypto from "node:crypto";
import { type CipherChaCha20Poly1305, type CipherGCM, createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, type DecipherChaCha20Poly1305, type DecipherGCM, diffieHellman, type KeyObject, randomBytes } from "node:crypto";
import { type ArrayBufferBytes, concatBytes } from "../../common/bytes.js";
import { DecryptionError, HandshakeRejectedError } from "../../common/errors.js";
import { type CipherFunction, type DhFunction, type HashFunction, type NoiseBackend, NOISE_WIRE, aesGcm, chaChaPoly, withOverrides } from "../index.js";

// DER prefix of an X25519 PKCS#8 private key (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);
/** The X25519 base point, u = 9: a well-formed stand-in for `x` in a private JWK (RFC 7748). */
const BASE_POINT = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 9 : 0));

const base64Url = (raw: Uint8Array): string => Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64url");

/**
 * A private KeyObject, through JWK (raw key material: about 13x faster than OpenSSL's
 * PKCS#8 decoder). Node builds the key from `d` alone and checks `x` only for form, so
 * when our public key is not known the base point stands in for it; DH and base-point
 * multiplication use the private scalar only, so no result depends on `x`. Should a
 * Node version check `x` against `d`, that import throws and PKCS#8 is used instead.
 */
function privateKeyObject(raw: Uint8Array, ownPublicKey?: Uint8Array): KeyObject {
  try {
    const x = base64Url(ownPublicKey?.length === raw.length ? ownPublicKey : BASE_POINT);
    return createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: base64Url(raw), x }, format: "jwk" });
  } catch {
    return createPrivateKey({ key: Buffer.from(concatBytes(PKCS8_PREFIX, raw)), format: "der", type: "pkcs8" });
  }
}
/** A public KeyObject through JWK (about 10x faster than SPKI DER). */
const publicKeyObject = (raw: Uint8Array): KeyObject => createPublicKey({ key: { kty: "OKP", crv: "X25519", x: base64Url(raw) }, format: "jwk" });
/**
 * The raw public key of a private KeyObject. OpenSSL computed it when the key was
 * imported, so reading it (the `x` of the key's own JWK export: no public KeyObject made)
 * costs no scalar multiplication (X25519(k, 9) would cost one). These keys come from a
 * JWK import, never from `generateKeyPairSync`: on Node 20.20.2, exporting freshly
 * *generated* X25519 KeyObjects as JWK deadlocks after a few thousand calls, which would
 * freeze a long-running hub (imported ones ran 100,000 in a row).
 */
function rawPublicOf(key: KeyObject): Uint8Array {
  if (!readsDerivedPublicKey) return new Uint8Array(diffieHellman({ privateKey: key, publicKey: (basePoint ??= publicKeyObject(BASE_POINT)) }));
  return new Uint8Array(Buffer.from(key.export({ format: "jwk" }).x!, "base64url"));
}
let basePoint: KeyObject | undefined;
/**
 * Checked once with RFC 7748's test key imported as above (base point as `x`): should a
 * Node keep the JWK's `x` instead of deriving the public key from `d`, X25519(k, 9) is
 * computed instead.
 */
const readsDerivedPublicKey = ((): boolean => {
  const rfc7748 = Buffer.from("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "hex");
  try {
    return privateKeyObject(rfc7748).export({ format: "jwk" }).x === Buffer.from("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", "hex").toString("base64url");
  } catch {
    return false;
  } finally {
    rfc7748.fill(0);
  }
})();

/**
 * Backend key handles: the KeyObjects of private keys this backend imported or generated
 * (ephemeral keys take part in two DHs; a hub's static key in every handshake), so each is
 * imported once per array. Entries are keyed by the array and hold a digest of its
 * contents, so an array changed since (wiped, say) never gets a stale KeyObject; they go
 * with the array when it is collected.
 */
/**
 * One-shot digest: `crypto.hash` (Node >= 20.12) skips the Hash stream object, about twice
 * as fast for the 32 to 100-byte inputs of a handshake; `createHash` on older Nodes.
 */
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, encoding: "buffer") => Buffer }).hash;
const hashOnce = (algorithm: string, data: Uint8Array): Buffer => (oneShot === undefined ? createHash(algorithm).update(data).digest() : oneShot(algorithm, data, "buffer"));
const EMPTY = Buffer.alloc(0);
const asBytes = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

const privateHandles = new WeakMap<Uint8Array, { digest: Buffer; key: KeyObject }>();
const digestOf = (raw: Uint8Array): Buffer => hashOnce("sha256", raw);

function privateHandle(raw: Uint8Array, ownPublicKey?: Uint8Array): KeyObject {
  const digest = digestOf(raw);
  const entry = privateHandles.get(raw);
  if (entry !== undefined && entry.digest.equals(digest)) return entry.key;
  const key = privateKeyObject(raw, ownPublicKey);
  privateHandles.set(raw, { digest, key });
  return key;
}

/** KeyObjects of the peer public keys seen, by array (a handshake's `re` serves two DHs), checked against a copy. */
const publicHandles = new WeakMap<Uint8Array, { copy: Uint8Array; key: KeyObject }>();

function publicHandle(raw: Uint8Array): KeyObject {
  const entry = publicHandles.get(raw);
  if (entry !== undefined && Buffer.compare(entry.copy, raw) === 0) return entry.key;
  const key = publicKeyObject(raw);
  publicHandles.set(raw, { copy: Uint8Array.from(raw), key });
  return key;
}

/** X25519 from `node:crypto`. */
export const nodeX25519: DhFunction = {
  name: "25519",
  dhLen: 32,
  generateKeyPair() {
    // A random scalar imported as JWK; the public key is read back from the import.
    const privateKey = new Uint8Array(randomBytes(32));
    const key = privateKeyObject(privateKey);
    privateHandles.set(privateKey, { digest: digestOf(privateKey), key });
    return { privateKey, publicKey: rawPublicOf(key) };
  },
  publicKey: (privateKey) => rawPublicOf(privateHandle(privateKey)),
  dh(privateKey, publicKey, ownPublicKey) {
    try {
      return new Uint8Array(diffieHellman({ privateKey: privateHandle(privateKey, ownPublicKey), publicKey: publicHandle(publicKey) }));
    } catch (cause) {
      // OpenSSL refuses an all-zero shared secret (a low-order public key).
      throw new HandshakeRejectedError("25519: the peer's public key is invalid or of low order", { cause });
    }
  },
};

/** A `node:crypto` AEAD's cipher and decipher constructors (key, 12-byte nonce). */
interface NodeAead {
  cipher(key: Buffer, nonce: Uint8Array): CipherGCM | CipherChaCha20Poly1305;
  decipher(key: Buffer, nonce: Uint8Array): DecipherGCM | DecipherChaCha20Poly1305;
}

const authTag = { authTagLength: NOISE_WIRE.TAG_BYTES };
const CHACHA20_POLY1305: NodeAead = {
  cipher: (key, nonce) => createCipheriv("chacha20-poly1305", key, nonce, authTag),
  decipher: (key, nonce) => createDecipheriv("chacha20-poly1305", key, nonce, authTag),
};
const AES_256_GCM: NodeAead = {
  cipher: (key, nonce) => createCipheriv("aes-256-gcm", key, nonce, authTag),
  decipher: (key, nonce) => createDecipheriv("aes-256-gcm", key, nonce, authTag),
};

/** A Noise cipher function on a `node:crypto` AEAD: synchronous, so no promise per message. */
function nodeCipher(name: string, aead: NodeAead, nonce: (n: bigint) => ArrayBufferBytes): CipherFunction {
  const { TAG_BYTES } = NOISE_WIRE;
  return {
    name,
    nonce,
    importKey(key) {
      // A copy of its own (Buffer.from would put it in Node's shared pool, which every small
      // Buffer's .buffer exposes); zeroed by destroy().
      const k = Buffer.alloc(key.length);
      k.set(key);
      return {
        destroy: () => k.fill(0),
        encrypt(n, ad, plaintext) {
          const cipher = aead.cipher(k, nonce(n));
          cipher.setAAD(ad, { plaintextLength: plaintext.length });
          const body = plaintext.length === 0 ? EMPTY : cipher.update(plaintext);
          const tail = cipher.final();
          return concatBytes(body, tail, cipher.getAuthTag());
        },
        decrypt(n, ad, ciphertext) {
          if (ciphertext.length < TAG_BYTES) throw new DecryptionError();
          const length = ciphertext.length - TAG_BYTES;
          try {
            const decipher = aead.decipher(k, nonce(n));
            decipher.setAuthTag(ciphertext.subarray(length));
            decipher.setAAD(ad, { plaintextLength: length });
            const body = length === 0 ? EMPTY : decipher.update(ciphertext.subarray(0, length));
            const tail = decipher.final();
            return tail.length === 0 ? asBytes(body) : concatBytes(body, tail);
          } catch {
            throw new DecryptionError();
          }
        },
      };
    },
  };
}

/** ChaChaPoly from `node:crypto`, nonce `00000000 || LE64(n)`. */
export const nodeChaChaPoly: CipherFunction = nodeCipher("ChaChaPoly", CHACHA20_POLY1305, chaChaPoly.nonce);

/** AESGCM from `node:crypto` (AES-256-GCM), nonce `00000000 || BE64(n)`. */
export const nodeAesGcm: CipherFunction = nodeCipher("AESGCM", AES_256_GCM, aesGcm.nonce);

const HKDF_COUNTERS = [Buffer.of(1), Buffer.of(2), Buffer.of(3)] as const;

/**
 * A Noise hash function from `node:crypto`: HASH, and Noise's HKDF written out as its
 * HMAC calls (one native call each; the JavaScript hash was a sixth of a handshake).
 */
function nodeHash(name: string, algorithm: string, hashLen: number): HashFunction {
  return {
    name,
    hashLen,
    hash: (data) => asBytes(hashOnce(algorithm, data)),
    hkdf(chainingKey, inputKeyMaterial, outputs) {
      const tempKey = createHmac(algorithm, chainingKey).update(inputKeyMaterial).digest();
      const out: Uint8Array[] = [];
      let previous: Buffer | undefined;
      for (let i = 0; i < outputs; i++) {
        const mac = createHmac(algorithm, tempKey);
        if (previous !== undefined) mac.update(previous);
        previous = mac.update(HKDF_COUNTERS[i]!).digest();
        out.push(asBytes(previous));
      }
      tempKey.fill(0);
      return out;
    },
  };
}

/** SHA-256, SHA-512, BLAKE2s and BLAKE2b from `node:crypto` (OpenSSL), with their HMAC-based HKDF. */
export const NODE_HASH_FUNCTIONS: Readonly<Record<string, HashFunction>> = {
  SHA256: nodeHash("SHA256", "sha256", 32),
  SHA512: nodeHash("SHA512", "sha512", 64),
  BLAKE2s: nodeHash("BLAKE2s", "blake2s256", 32),
  BLAKE2b: nodeHash("BLAKE2b", "blake2b512", 64),
};

/**
 * The portable backend with `node:crypto` X25519, ChaChaPoly, AESGCM and hashes: every
 * step of a `25519` handshake is synchronous, so the engine runs a message without a
 * promise per step.
 */
export const NODE_BACKEND: NoiseBackend = withOverrides({ name: "node:crypto", dh: { "25519": nodeX25519 }, cipher: { ChaChaPoly: nodeChaChaPoly, AESGCM: nodeAesGcm }, hash: NODE_HASH_FUNCTIONS });
