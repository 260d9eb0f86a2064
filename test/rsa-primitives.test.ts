import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { fromHex, utf8 } from "../src/common/bytes.js";
import { DecryptionError, InvalidArgumentError, KeyFormatError } from "../src/common/errors.js";
import { decryptRSA, encryptRSA, generateRSAKeyPair, importRSAKey, pemToDer, signRSA, verifyRSA } from "../src/rsa/index.js";
import { keys } from "./helpers/rsa.js";
import { loadVectors } from "./helpers/vectors.js";

const { primitives, full_handshake: full } = loadVectors("poorman/rsa_handshake.json");
const { alice, bob } = keys;

describe("RSA primitives against the Python reference's outputs", () => {
  it("decrypts encrypt_RSA's ciphertext (OAEP SHA-1)", async () => {
    const pt = await decryptRSA(bob.private_pem_pkcs1, fromHex(primitives.encrypt_RSA.ciphertext_hex));
    assert.equal(new TextDecoder().decode(pt), primitives.encrypt_RSA.plaintext_utf8);
  });

  it("verifies sign_RSA's signature (PSS SHA-256, salt 32), and rejects it for another message or key", async () => {
    const msg = fromHex(primitives.sign_RSA.message_hex);
    const sig = fromHex(primitives.sign_RSA.signature_hex);
    assert.equal(await verifyRSA(alice.public_pem_spki, msg, sig), true);
    assert.equal(await verifyRSA(alice.private_pem_pkcs1, msg, sig), true, "a private key verifies with its public half");
    assert.equal(await verifyRSA(bob.public_pem_spki, msg, sig), false);
    assert.equal(await verifyRSA(alice.public_pem_spki, msg.subarray(1), sig), false);
  });

  it("decrypts and verifies the pieces of the recorded full handshake", async () => {
    const ct = fromHex(full.alice_shake_ciphertext_hex);
    const sig = fromHex(full.alice_shake_signature_hex);
    assert.equal(await verifyRSA(alice.public_pem_spki, ct, sig), true);
    assert.deepEqual(await decryptRSA(bob.private_pem_pkcs1, ct), fromHex(full.alice_random.secret_hex));
  });

  it("what we encrypt and sign, the same keys decrypt and verify", async () => {
    const ct = await encryptRSA(bob.public_pem_spki, primitives.encrypt_RSA.plaintext_utf8);
    assert.equal(ct.length, 256);
    assert.deepEqual(await decryptRSA(bob.private_pem_pkcs1, ct), utf8(primitives.encrypt_RSA.plaintext_utf8));
    const sig = await signRSA(alice.private_pem_pkcs1, ct);
    assert.equal(sig.length, 256);
    assert.equal(await verifyRSA(alice.public_pem_spki, ct, sig), true);
  });
});

describe("OAEP options and failures", () => {
  it("SHA-256 with a label round-trips; every mismatch is the uniform DecryptionError", async () => {
    const label = utf8("fiber");
    const ct = await encryptRSA(bob.public_pem_spki, "x", { hash: "SHA-256", label });
    assert.deepEqual(await decryptRSA(bob.private_pem_pkcs1, ct, { hash: "SHA-256", label }), utf8("x"));
    const failures = [
      () => decryptRSA(bob.private_pem_pkcs1, ct, { hash: "SHA-256" }),
      () => decryptRSA(bob.private_pem_pkcs1, ct, { hash: "SHA-256", label: utf8("fibre") }),
      () => decryptRSA(bob.private_pem_pkcs1, ct),
      () => decryptRSA(alice.private_pem_pkcs1, ct, { hash: "SHA-256", label }),
      () => decryptRSA(bob.private_pem_pkcs1, ct.subarray(1), { hash: "SHA-256", label }),
      () => decryptRSA(bob.private_pem_pkcs1, new Uint8Array(0)),
      () => decryptRSA(bob.private_pem_pkcs1, new Uint8Array(256).fill(0xff)),
    ];
    for (const failure of failures) {
      await assert.rejects(failure, (e: unknown) => e instanceof DecryptionError && e.message === "decryption failed");
    }
  });

  it("accepts the longest message (k - 2hLen - 2) and names the limit above it", async () => {
    for (const [hash, max] of [["SHA-1", 214], ["SHA-256", 190]] as const) {
      const ct = await encryptRSA(bob.public_pem_spki, new Uint8Array(max).fill(7), { hash });
      assert.equal((await decryptRSA(bob.private_pem_pkcs1, ct, { hash })).length, max);
      await assert.rejects(encryptRSA(bob.public_pem_spki, new Uint8Array(max + 1), { hash }), new RegExp(`at most ${max} bytes`));
    }
  });

  it("rejects bad arguments with InvalidArgumentError or KeyFormatError", async () => {
    await assert.rejects(encryptRSA(bob.public_pem_spki, 42 as unknown as string), InvalidArgumentError);
    await assert.rejects(encryptRSA(bob.public_pem_spki, "x", { hash: "MD5" as "SHA-1" }), /options.hash/);
    await assert.rejects(encryptRSA(bob.public_pem_spki, "x", { label: "l" as unknown as Uint8Array }), /options.label/);
    await assert.rejects(decryptRSA(bob.private_pem_pkcs1, "ct" as unknown as Uint8Array), /ciphertext must be a Uint8Array/);
    await assert.rejects(decryptRSA(bob.public_pem_spki, new Uint8Array(256)), KeyFormatError);
    await assert.rejects(signRSA(bob.public_pem_spki, "m"), KeyFormatError);
  });

  it("an inherited property name as options.hash is an argument error naming the allowed hashes, not a key error", async () => {
    for (const hash of ["toString", "__proto__", "constructor", "hasOwnProperty"]) {
      const expected = (error: unknown) =>
        error instanceof InvalidArgumentError && /options\.hash/.test(error.message) && /"SHA-1", "SHA-256"/.test(error.message);
      await assert.rejects(encryptRSA(bob.public_pem_spki, "x", { hash: hash as "SHA-1" }), expected, hash);
      await assert.rejects(decryptRSA(bob.private_pem_pkcs1, new Uint8Array(256), { hash: hash as "SHA-1" }), expected, hash);
      await assert.rejects(async () => importRSAKey(bob.public_pem_spki, "encrypt", hash as "SHA-1", "publicKey"), (e: unknown) => e instanceof InvalidArgumentError && /hash/.test((e as Error).message), hash);
    }
  });

  it("round-trips random messages with a generated key, both hashes (property)", async () => {
    const { publicKey, privateKey } = await generateRSAKeyPair(1024);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 62 }), fc.constantFrom("SHA-1" as const, "SHA-256" as const), async (msg, hash) => {
        const ct = await encryptRSA(publicKey, msg, { hash, minKeyBits: 1024 });
        assert.deepEqual(await decryptRSA(privateKey, ct, { hash }), msg);
      }),
      { numRuns: 25 },
    );
  });
});

describe("PSS verification never throws on a bad signature", () => {
  it("returns false for flipped bits, wrong lengths and junk", async () => {
    const msg = utf8("attack at dawn");
    const sig = await signRSA(alice.private_pem_pkcs1, msg);
    for (const bad of [sig.subarray(1), new Uint8Array(0), new Uint8Array(256), new Uint8Array(257), new Uint8Array(256).fill(0xff)]) {
      assert.equal(await verifyRSA(alice.public_pem_spki, msg, bad), false);
    }
    for (const bit of [0, 1, 7, 100 * 8 + 3, 255 * 8 + 7]) {
      const flipped = sig.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      assert.equal(await verifyRSA(alice.public_pem_spki, msg, flipped), false);
    }
    assert.equal(await verifyRSA(alice.public_pem_spki, "attack at dawn", sig), true, "strings are UTF-8");
  });

  it("signs with a generated CryptoKey and a DER key alike (property over messages)", async () => {
    const der = pemToDer(alice.private_pem_pkcs1).der;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 100 }), async (msg) => {
        const sig = await signRSA(der, msg);
        assert.equal(await verifyRSA(alice.public_pem_spki, msg, sig), true);
      }),
      { numRuns: 15 },
    );
  });
});
