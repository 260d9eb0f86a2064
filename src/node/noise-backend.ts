/**
 * The Node backend of the Noise engine: X25519 and ChaCha20-Poly1305 from `node:crypto`
 * (OpenSSL), many times faster than the portable code. It produces the same bytes and
 * runs the same vectors; SHA-256 and AES-GCM stay as they are (Web Crypto is native).
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from "node:crypto";
import { concatBytes } from "../bytes.js";
import { DecryptionError, HandshakeRejectedError } from "../errors.js";
import { type CipherFunction, type DhFunction, type NoiseBackend, NOISE_WIRE, chaChaPoly, withOverrides } from "../noise/index.js";

// DER prefixes of an X25519 PKCS#8 private key and SPKI public key (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00]);

const privateKeyObject = (raw: Uint8Array): KeyObject => createPrivateKey({ key: Buffer.from(concatBytes(PKCS8_PREFIX, raw)), format: "der", type: "pkcs8" });
const publicKeyObject = (raw: Uint8Array): KeyObject => createPublicKey({ key: Buffer.from(concatBytes(SPKI_PREFIX, raw)), format: "der", type: "spki" });
const rawPublic = (key: KeyObject): Uint8Array => new Uint8Array(key.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length));

/** X25519 from `node:crypto`. */
export const nodeX25519: DhFunction = {
  name: "25519",
  dhLen: 32,
  generateKeyPair() {
    const { privateKey, publicKey } = generateKeyPairSync("x25519");
    return { privateKey: new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" }).subarray(PKCS8_PREFIX.length)), publicKey: rawPublic(publicKey) };
  },
  publicKey: (privateKey) => rawPublic(createPublicKey(privateKeyObject(privateKey))),
  dh(privateKey, publicKey) {
    try {
      return new Uint8Array(diffieHellman({ privateKey: privateKeyObject(privateKey), publicKey: publicKeyObject(publicKey) }));
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
