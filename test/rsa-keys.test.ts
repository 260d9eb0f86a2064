import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { fromBase64, toBase64, toHex } from "../src/common/bytes.js";
import { InvalidArgumentError, KeyFormatError } from "../src/common/errors.js";
import { fingerprint } from "../src/common/fingerprint.js";
import {
  exportPrivateKeyPem,
  exportPublicKeyDer,
  exportPublicKeyPem,
  generateRSAKeyPair,
  importRSAKey,
  modulusBytes,
  pemToDer,
  pkcs1ToPkcs8,
  pkcs8ToPkcs1,
  publicKeyFingerprint,
} from "../src/rsa/index.js";
import { keys, pkcs8Pem } from "./helpers/rsa.js";

const PEM_SHAPE = /^-----BEGIN ([A-Z ]+)-----\n(?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END \1-----$/;

describe("RSA keys of the Python reference", () => {
  for (const [name, key] of Object.entries(keys)) {
    it(`${name}: the public SPKI PEM we export is Python's, byte for byte`, async () => {
      assert.equal(await exportPublicKeyPem(key.private_pem_pkcs1), key.public_pem_spki);
      assert.equal(await exportPublicKeyPem(pkcs8Pem(key)), key.public_pem_spki);
      assert.equal(await exportPublicKeyPem(key.public_pem_spki), key.public_pem_spki);
      assert.match(key.public_pem_spki, PEM_SHAPE);
    });

    it(`${name}: a CryptoKey exports to Python's PKCS#1 private PEM, byte for byte`, async () => {
      const der = pemToDer(pkcs8Pem(key)).der;
      const cryptoKey = await crypto.subtle.importKey("pkcs8", der, { name: "RSA-OAEP", hash: "SHA-1" }, true, ["decrypt"]);
      assert.equal(await exportPrivateKeyPem(cryptoKey), key.private_pem_pkcs1);
      assert.equal(await exportPrivateKeyPem(pkcs8Pem(key)), key.private_pem_pkcs1);
      assert.equal(await exportPrivateKeyPem(key.private_pem_pkcs1), key.private_pem_pkcs1);
    });

    it(`${name}: modulus, size and exponent match the vector`, async () => {
      const publicKey = await importRSAKey(key.public_pem_spki, "encrypt");
      const privateKey = await importRSAKey(key.private_pem_pkcs1, "sign");
      assert.equal(modulusBytes(publicKey), key.size_in_bytes);
      assert.equal(modulusBytes(privateKey), key.size_in_bytes);
      const jwk = await crypto.subtle.exportKey("jwk", publicKey);
      const n = fromBase64(jwk.n!.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(jwk.n!.length / 4) * 4, "="));
      assert.equal(toHex(n), key.n_hex);
      assert.equal(jwk.e, "AQAB"); // 65537
    });

    it(`${name}: PKCS#1 <-> PKCS#8 wrapping is exact both ways`, () => {
      const pkcs1 = pemToDer(key.private_pem_pkcs1).der;
      const pkcs8 = pemToDer(pkcs8Pem(key)).der;
      assert.deepEqual(pkcs1ToPkcs8(pkcs1), pkcs8);
      assert.deepEqual(pkcs8ToPkcs1(pkcs8), pkcs1);
    });

    it(`${name}: every encoding (PEM or DER, public or private) gives the same fingerprint`, async () => {
      const spki = pemToDer(key.public_pem_spki).der;
      const expected = fingerprint(spki);
      assert.match(expected, /^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/);
      const pkcs1Public = await crypto.subtle.importKey("spki", spki, { name: "RSA-PSS", hash: "SHA-256" }, true, ["verify"]);
      const inputs = [
        key.public_pem_spki,
        key.private_pem_pkcs1,
        pkcs8Pem(key),
        spki,
        pemToDer(key.private_pem_pkcs1).der,
        pemToDer(pkcs8Pem(key)).der,
        pkcs1Public,
        key.public_pem_spki.replace(/\n/g, "\r\n") + "\r\n",
      ];
      for (const input of inputs) assert.equal(await publicKeyFingerprint(input), expected);
    });
  }

  it("accepts a PKCS#1 `RSA PUBLIC KEY` (DER and PEM)", async () => {
    const spki = pemToDer(keys.alice.public_pem_spki).der;
    const pkcs1 = spki.subarray(24); // SPKI header of a 2048-bit key: 19 + 5 bytes
    assert.equal(toHex(spki.subarray(19, 24)), "0382010f00");
    const pem = `-----BEGIN RSA PUBLIC KEY-----\n${toBase64(pkcs1)}\n-----END RSA PUBLIC KEY-----`;
    assert.equal(await exportPublicKeyPem(pkcs1), keys.alice.public_pem_spki);
    assert.equal(await exportPublicKeyPem(pem), keys.alice.public_pem_spki);
  });
});

describe("key import cache", () => {
  it("imports a PEM, DER or CryptoKey once per use and reuses the CryptoKey", async () => {
    const der = pemToDer(keys.bob.private_pem_pkcs1).der;
    for (const input of [keys.bob.private_pem_pkcs1, der]) {
      const a = await importRSAKey(input, "sign");
      assert.equal(await importRSAKey(input, "sign"), a);
      assert.notEqual(await importRSAKey(input, "decrypt"), a);
      assert.equal((await importRSAKey(input, "decrypt", "SHA-256")).algorithm.name, "RSA-OAEP");
    }
    const pair = await generateRSAKeyPair(1024);
    assert.equal(await importRSAKey(pair.privateKey, "decrypt"), pair.privateKey, "a key made for the use is used as is");
    const pss = await importRSAKey(pair.privateKey, "sign");
    assert.equal(await importRSAKey(pair.privateKey, "sign"), pss);
    assert.equal((pss.algorithm as RsaHashedKeyAlgorithm).hash.name, "SHA-256");
  });
});

describe("key generation", () => {
  it("generates 2048-bit e=65537 keys that export as Python-shaped PEM and import back", async () => {
    const { publicKey, privateKey } = await generateRSAKeyPair();
    assert.equal(modulusBytes(publicKey), 256);
    const pub = await exportPublicKeyPem(publicKey);
    const priv = await exportPrivateKeyPem(privateKey);
    assert.match(pub, PEM_SHAPE);
    assert.match(priv, PEM_SHAPE);
    assert.ok(pub.startsWith("-----BEGIN PUBLIC KEY-----\n") && !pub.endsWith("\n"));
    assert.ok(priv.startsWith("-----BEGIN RSA PRIVATE KEY-----\n") && !priv.endsWith("\n"));
    assert.equal(await exportPublicKeyPem(priv), pub);
    assert.equal(await exportPublicKeyPem(privateKey), pub);
    assert.equal((await crypto.subtle.exportKey("jwk", publicKey)).e, "AQAB");
  });

  it("rejects bad sizes with InvalidArgumentError", async () => {
    for (const bits of [512, 1023, 2047, 0, 1.5, "2048"]) {
      await assert.rejects(generateRSAKeyPair(bits as number), InvalidArgumentError);
    }
  });
});

describe("bad key input", () => {
  const alice = keys.alice;
  it("rejects what is not a key with KeyFormatError", async () => {
    const bad: unknown[] = [
      "not a key",
      "",
      alice.public_pem_spki.replace("PUBLIC KEY", "CERTIFICATE").replace("PUBLIC KEY", "CERTIFICATE"),
      alice.public_pem_spki.replace("PUBLIC KEY", "RSA PRIVATE KEY").replace("PUBLIC KEY", "RSA PRIVATE KEY"),
      alice.public_pem_spki.slice(0, 100) + "\n-----END PUBLIC KEY-----",
      "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----",
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----",
      "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMIIB\n-----END RSA PRIVATE KEY-----",
      new Uint8Array(0),
      pemToDer(alice.public_pem_spki).der.subarray(0, 100),
      Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00),
    ];
    for (const input of bad) {
      await assert.rejects(exportPublicKeyPem(input as string), KeyFormatError, String(input).slice(0, 40));
    }
  });

  it("rejects a public key where a private key is needed, naming the argument", async () => {
    await assert.rejects(exportPrivateKeyPem(alice.public_pem_spki), KeyFormatError);
    await assert.rejects(importRSAKey(alice.public_pem_spki, "decrypt", "SHA-1", "privateKey"), /privateKey must be a private key/);
  });

  it("rejects values that are not keys at all with InvalidArgumentError", async () => {
    for (const input of [undefined, null, 42, {}, [1, 2]]) {
      await assert.rejects(exportPublicKeyPem(input as unknown as string), InvalidArgumentError);
      assert.throws(() => importRSAKey(input as unknown as string, "verify"), InvalidArgumentError);
    }
  });

  it("explains a non-extractable CryptoKey used for another purpose", async () => {
    const der = pemToDer(pkcs8Pem(alice)).der;
    const locked = await crypto.subtle.importKey("pkcs8", der, { name: "RSA-OAEP", hash: "SHA-1" }, false, ["decrypt"]);
    await assert.rejects(importRSAKey(locked, "sign"), /non-extractable/);
    assert.equal(await importRSAKey(locked, "decrypt"), locked);
  });

  it("random bytes and strings only ever give typed errors (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 200 })), async (input) => {
        await assert.rejects(exportPublicKeyPem(input), KeyFormatError);
      }),
      { numRuns: 200 },
    );
  });

  it("public DER of a private key equals the vector's SPKI", async () => {
    assert.deepEqual(await exportPublicKeyDer(alice.private_pem_pkcs1), pemToDer(alice.public_pem_spki).der);
  });
});
