/**
 * The Node backend of the Noise engine: X25519 and ChaCha20-Poly1305 from `node:crypto`
 * and SHA-256/SHA-512 with HKDF (OpenSSL), many times faster than the portable code. It
 * produces the same bytes and runs the same vectors; AES-GCM stays on Web Crypto (native).
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, type KeyObject, randomBytes } from "node:crypto";
import { concatBytes, equalBytes } from "../bytes.js";
import { DecryptionError, HandshakeRejectedError } from "../errors.js";
import { type CipherFunction, type DhFunction, type HashFunction, type NoiseBackend, NOISE_WIRE, chaChaPoly, withOverrides } from "../noise/index.js";

// Keys go in as JWK and nothing is ever exported: OpenSSL 3's DER decoders are ~10x
// slower, and on Node 20 exporting X25519 KeyObjects as JWK can deadlock after some
// thousands of calls. A public key is computed as X25519(private key, 9).
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
// Node requires `x` in a private JWK but derives the key from `d` alone.
const PLACEHOLDER_X = b64(new Uint8Array(32));

/** KeyObjects by the raw key array that produced them (a handshake reuses its keys). */
const keyObjects = new WeakMap<Uint8Array, { readonly bytes: Uint8Array; readonly key: KeyObject }>();

function keyObject(raw: Uint8Array, create: (raw: Uint8Array) => KeyObject): KeyObject {
  const cached = keyObjects.get(raw);
  // The bytes are compared too, so an array that was changed (or wiped) is re-imported.
  if (cached !== undefined && equalBytes(cached.bytes, raw)) return cached.key;
  const key = create(raw);
  keyObjects.set(raw, { bytes: Uint8Array.from(raw), key });
  return key;
}

const privateKeyObject = (privateKey: Uint8Array): KeyObject =>
  keyObject(privateKey, (d) => createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: b64(d), x: PLACEHOLDER_X }, format: "jwk" }));
const publicKeyObject = (publicKey: Uint8Array): KeyObject =>
  keyObject(publicKey, (x) => createPublicKey({ key: { kty: "OKP", crv: "X25519", x: b64(x) }, format: "jwk" }));

const BASE_POINT = Uint8Array.of(9, ...new Uint8Array(31));

function x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(diffieHellman({ privateKey: privateKeyObject(privateKey), publicKey: publicKeyObject(publicKey) }));
  } catch (cause) {
    // OpenSSL refuses an all-zero shared secret (a low-order public key).
    throw new HandshakeRejectedError("25519: the peer's public key is invalid or of low order", { cause });
  }
}

/** X25519 from `node:crypto`. */
export const nodeX25519: DhFunction = {
  name: "25519",
  dhLen: 32,
  generateKeyPair() {
    const privateKey = new Uint8Array(randomBytes(32));
    return { privateKey, publicKey: x25519(privateKey, BASE_POINT) };
  },
  publicKey: (privateKey) => x25519(privateKey, BASE_POINT),
  dh: x25519,
};

/** ChaChaPoly from `node:crypto`, nonce `00000000 || LE64(n)`. */
export const nodeChaChaPoly: CipherFunction = {
  name: "ChaChaPoly",
  nonce: chaChaPoly.nonce,
  async importKey(key) {
    const k = Buffer.from(key);
    const { TAG_BYTES } = NOISE_WIRE;
    return {
      async encrypt(n, ad, plaintext) {
        const cipher = createCipheriv("chacha20-poly1305", k, chaChaPoly.nonce(n), { authTagLength: TAG_BYTES });
        cipher.setAAD(ad, { plaintextLength: plaintext.length });
        const head = cipher.update(plaintext);
        const tail = cipher.final();
        return concatBytes(head, tail, cipher.getAuthTag());
      },
      async decrypt(n, ad, ciphertext) {
        if (ciphertext.length < TAG_BYTES) throw new DecryptionError();
        const body = ciphertext.subarray(0, ciphertext.length - TAG_BYTES);
        try {
          const decipher = createDecipheriv("chacha20-poly1305", k, chaChaPoly.nonce(n), { authTagLength: TAG_BYTES });
          decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_BYTES));
          decipher.setAAD(ad, { plaintextLength: body.length });
          return concatBytes(decipher.update(body), decipher.final());
        } catch {
          throw new DecryptionError();
        }
      },
    };
  },
};

/** A Noise hash function from `node:crypto`; HKDF as plain HMACs (`hkdfSync` is slower for 32-byte keys). */
function nodeHash(name: string, algorithm: "sha256" | "sha512", hashLen: number): HashFunction {
  const hmac = (key: Uint8Array, ...data: Uint8Array[]): Uint8Array => {
    const mac = createHmac(algorithm, key);
    for (const part of data) mac.update(part);
    return new Uint8Array(mac.digest());
  };
  return {
    name,
    hashLen,
    hash: (data) => new Uint8Array(createHash(algorithm).update(data).digest()),
    hkdf(chainingKey, inputKeyMaterial, outputs) {
      const temp = hmac(chainingKey, inputKeyMaterial);
      const out = [hmac(temp, Uint8Array.of(1))];
      for (let i = 2; i <= outputs; i++) out.push(hmac(temp, out[i - 2]!, Uint8Array.of(i)));
      temp.fill(0);
      return out;
    },
  };
}

/** SHA256 from `node:crypto`. */
export const nodeSha256 = nodeHash("SHA256", "sha256", 32);
/** SHA512 from `node:crypto`. */
export const nodeSha512 = nodeHash("SHA512", "sha512", 64);

/** The portable backend with `node:crypto` X25519, ChaChaPoly, SHA256 and SHA512. */
export const NODE_BACKEND: NoiseBackend = withOverrides({
  dh: { "25519": nodeX25519 },
  cipher: { ChaChaPoly: nodeChaChaPoly },
  hash: { SHA256: nodeSha256, SHA512: nodeSha512 },
});
