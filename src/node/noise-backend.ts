/**
 * The Node backend of the Noise engine: X25519 and ChaCha20-Poly1305 from `node:crypto`
 * (OpenSSL), many times faster than the portable code. It produces the same bytes and
 * runs the same vectors; SHA-256 and AES-GCM stay as they are (Web Crypto is native).
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, type KeyObject, randomBytes } from "node:crypto";
import { concatBytes } from "../bytes.js";
import { DecryptionError, HandshakeRejectedError } from "../errors.js";
import { type CipherFunction, type DhFunction, type NoiseBackend, NOISE_WIRE, chaChaPoly, withOverrides } from "../noise/index.js";

// DER prefix of an X25519 PKCS#8 private key (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);
/** The X25519 base point, u = 9: X25519(k, 9) is the public key of k (RFC 7748). */
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
 * KeyObjects of the key pairs this backend generated (ephemeral keys take part in two
 * DHs), so those DHs import nothing. Each entry keeps a digest of the private key, so an
 * array changed since (wiped, say) never gets a stale KeyObject.
 */
const generated = new WeakMap<Uint8Array, { digest: string; key: KeyObject }>();
const digestOf = (raw: Uint8Array): string => createHash("sha256").update(raw).digest("base64");

function generatedKeyObject(raw: Uint8Array): KeyObject | undefined {
  const entry = generated.get(raw);
  return entry !== undefined && entry.digest === digestOf(raw) ? entry.key : undefined;
}

let basePoint: KeyObject | undefined;

/** X25519 from `node:crypto`. */
export const nodeX25519: DhFunction = {
  name: "25519",
  dhLen: 32,
  generateKeyPair() {
    // Random scalar in, public key as X25519(k, 9): no key export at all. On Node 20.20.2,
    // exporting freshly generated X25519 KeyObjects as JWK deadlocks (a futex wait) after
    // a few thousand calls, which would freeze a long-running hub.
    const raw = new Uint8Array(randomBytes(32));
    const key = privateKeyObject(raw);
    const pair = { privateKey: raw, publicKey: new Uint8Array(diffieHellman({ privateKey: key, publicKey: (basePoint ??= publicKeyObject(BASE_POINT)) })) };
    generated.set(pair.privateKey, { digest: digestOf(pair.privateKey), key });
    return pair;
  },
  publicKey: (privateKey) => new Uint8Array(diffieHellman({ privateKey: generatedKeyObject(privateKey) ?? privateKeyObject(privateKey), publicKey: (basePoint ??= publicKeyObject(BASE_POINT)) })),
  dh(privateKey, publicKey, ownPublicKey) {
    try {
      return new Uint8Array(diffieHellman({ privateKey: generatedKeyObject(privateKey) ?? privateKeyObject(privateKey, ownPublicKey), publicKey: publicKeyObject(publicKey) }));
    } catch (cause) {
      // OpenSSL refuses an all-zero shared secret (a low-order public key).
      throw new HandshakeRejectedError("25519: the peer's public key is invalid or of low order", { cause });
    }
  },
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

/** The portable backend with `node:crypto` X25519 and ChaChaPoly. */
export const NODE_BACKEND: NoiseBackend = withOverrides({ dh: { "25519": nodeX25519 }, cipher: { ChaChaPoly: nodeChaChaPoly } });
