/**
 * The `node:crypto` RSA public-key backend (OAEP encryption, PSS verification) is
 * installed by the Node entry points and passes the same suites as Web Crypto: this file
 * installs it, then runs the RSA vector and property suites again (Wycheproof PSS,
 * Python's handshakes and primitives), and checks both backends against each other.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { randomBytes } from "../src/common/bytes.js";
import { decryptRSA, encryptRSA, generateRSAKeyPair, signRSA, verifyRSA } from "../src/rsa/index.js";
import { WEB_CRYPTO_RSA, rsaPublicBackend, setRSAPublicBackend } from "../src/rsa/public-backend.js";
import "../src/rsa/node/install.js";
import { NODE_RSA } from "../src/rsa/node/public-backend.js";

describe("node:crypto RSA public-key backend", () => {
  it("is installed by the Node entry points, and by the package's node condition", async () => {
    assert.equal(rsaPublicBackend(), NODE_RSA);
    const rsa = await import("poorman-handshake/rsa");
    assert.equal(rsa.rsaPublicBackend().name, "node:crypto");
  });
  it("what one backend encrypts or signs, the other decrypts or verifies (both OAEP hashes, labels, every length)", async () => {
    const { privateKey, publicKey } = await generateRSAKeyPair();
    const backends = [NODE_RSA, WEB_CRYPTO_RSA];
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...backends), fc.constantFrom("SHA-1" as const, "SHA-256" as const), fc.uint8Array({ maxLength: 190 }), fc.option(fc.uint8Array({ maxLength: 16 }), { nil: undefined }), async (backend, hash, data, label) => {
          setRSAPublicBackend(backend);
          const ct = await encryptRSA(publicKey, data, { hash, label });
          assert.equal(ct.length, 256);
          assert.deepEqual(await decryptRSA(privateKey, ct, { hash, label }), data);
          const signature = await signRSA(privateKey, data);
          assert.equal(await verifyRSA(publicKey, data, signature), true);
          const flipped = signature.slice();
          flipped[data.length % 256]! ^= 1;
          assert.equal(await verifyRSA(publicKey, data, flipped), false);
        }),
        { numRuns: 40 },
      );
      setRSAPublicBackend(NODE_RSA);
      await assert.rejects(encryptRSA(publicKey, randomBytes(215)), /at most 214 bytes/);
    } finally {
      setRSAPublicBackend(NODE_RSA);
    }
  });
  it("signatures made with one backend verify on the other (PSS is randomized: compared by verification)", async () => {
    const { privateKey, publicKey } = await generateRSAKeyPair();
    assert.equal(typeof NODE_RSA.sign, "function");
    const backends = [NODE_RSA, WEB_CRYPTO_RSA];
    const data0 = randomBytes(32);
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...backends), fc.constantFrom(...backends), fc.uint8Array({ maxLength: 600 }), async (signer, verifier, data) => {
          setRSAPublicBackend(signer);
          const signature = await signRSA(privateKey, data);
          assert.equal(signature.length, 256);
          setRSAPublicBackend(verifier);
          assert.equal(await verifyRSA(publicKey, data, signature), true);
          const other = data.length === 0 ? new Uint8Array([0]) : data.map((b, i) => (i === 0 ? b ^ 1 : b));
          assert.equal(await verifyRSA(publicKey, other, signature), false);
        }),
        { numRuns: 40 },
      );
      // The key checks come first on either backend: a public key cannot sign.
      for (const backend of backends) {
        setRSAPublicBackend(backend);
        await assert.rejects(signRSA(publicKey, data0), /privateKey/);
      }
    } finally {
      setRSAPublicBackend(NODE_RSA);
    }
  });
  it("refuses an object that is not a backend", () => {
    assert.throws(() => setRSAPublicBackend({ ...NODE_RSA, sign: 1 } as never), /RSAPublicBackend/);
    assert.throws(() => setRSAPublicBackend({} as never), /RSAPublicBackend/);
    assert.equal(rsaPublicBackend(), NODE_RSA);
  });
});

// The same suites as on Web Crypto, now with node:crypto installed.
await import("./rsa-wycheproof.test.js");
await import("./rsa-primitives.test.js");
await import("./rsa-handshake.test.js");
await import("./rsa-hostile-keys.test.js");
