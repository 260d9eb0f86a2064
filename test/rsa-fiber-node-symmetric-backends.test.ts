/**
 * The `node:crypto` backends of Fernet and AES-GCM: installed by the Node entry points,
 * interchangeable with Web Crypto (the vector suites run both: fiber-fernet and
 * rsa-hybrid tests), and refusing bad input with the same uniform error.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { fromHex, randomBytes } from "../src/common/bytes.js";
import { DecryptionError } from "../src/common/errors.js";
import { Fernet, WEB_CRYPTO_FERNET, fernetBackend } from "../src/fiber/fernet.js";
import { WEB_CRYPTO_AES_GCM, aesGcmBackend, aesGcmDecrypt, aesGcmEncrypt } from "../src/rsa/aes-gcm.js";
import { hybridDecryptRSA } from "../src/rsa/hybrid.js";
import { NODE_AES_GCM } from "../src/rsa/node/aes-gcm.js";
import { NODE_FERNET } from "../src/fiber/node/fernet.js";
import { keys } from "./helpers/rsa.js";
import { loadVectors } from "./helpers/vectors.js";

const isUniform = (e: unknown) => e instanceof DecryptionError && e.message === "decryption failed";

describe("Node entry points install the node:crypto backends", () => {
  it("the isomorphic modules start on Web Crypto; importing a Node entry switches both", async () => {
    assert.equal(fernetBackend(), WEB_CRYPTO_FERNET);
    assert.equal(aesGcmBackend(), WEB_CRYPTO_AES_GCM);
    await import("../src/fiber/node/index.js");
    assert.equal(fernetBackend(), NODE_FERNET);
    assert.equal(aesGcmBackend(), NODE_AES_GCM);
  });
  it("the package's node condition resolves ./fiber and ./rsa to the Node entries", async () => {
    const fiber = await import("poorman-handshake/fiber");
    const rsa = await import("poorman-handshake/rsa");
    assert.equal(fiber.fernetBackend().name, "node:crypto");
    assert.equal(rsa.aesGcmBackend().name, "node:crypto");
    assert.equal((fiber as Record<string, unknown>).NODE_FERNET, fiber.fernetBackend());
  });
  it("Python's hybrid blob decrypts with node:crypto AES-GCM installed", async () => {
    await import("../src/rsa/node/index.js");
    const { case: v } = loadVectors("poorman/hybrid.json");
    assert.equal(new TextDecoder().decode(await hybridDecryptRSA(keys.bob.private_pem_pkcs1, fromHex(v.blob_hex))), v.plaintext_utf8);
  });
});

describe("node:crypto AES-GCM against Web Crypto", () => {
  it("same ciphertext and tag for any key size, nonce length, aad and plaintext; each opens the other's", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(16, 24, 32), fc.integer({ min: 12, max: 128 }), fc.uint8Array({ maxLength: 200 }), fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }), async (keyBytes, nonceBytes, plain, aad) => {
        const key = randomBytes(keyBytes), nonce = randomBytes(nonceBytes);
        const a = await aesGcmEncrypt(key, nonce, plain, aad, NODE_AES_GCM);
        const b = await aesGcmEncrypt(key, nonce, plain, aad, WEB_CRYPTO_AES_GCM);
        assert.deepEqual([a.ciphertext, a.tag], [b.ciphertext, b.tag]);
        assert.deepEqual(await aesGcmDecrypt(key, nonce, b.ciphertext, b.tag, aad, NODE_AES_GCM), plain);
        assert.deepEqual(await aesGcmDecrypt(key, nonce, a.ciphertext, a.tag, aad, WEB_CRYPTO_AES_GCM), plain);
      }),
      { numRuns: 60 },
    );
  });
  it("any flipped bit of ciphertext, tag or aad gives the uniform DecryptionError", async () => {
    const key = randomBytes(32), nonce = randomBytes(16), aad = randomBytes(8);
    const { ciphertext, tag } = await aesGcmEncrypt(key, nonce, randomBytes(33), aad, NODE_AES_GCM);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1, 2), fc.nat(), async (part, bit) => {
        const parts = [Uint8Array.from(ciphertext), Uint8Array.from(tag), Uint8Array.from(aad)];
        const target = parts[part]!;
        target[(bit >> 3) % target.length]! ^= 1 << (bit & 7);
        await assert.rejects(aesGcmDecrypt(key, nonce, parts[0]!, parts[1]!, parts[2]!, NODE_AES_GCM), isUniform);
      }),
      { numRuns: 60 },
    );
  });
});

describe("node:crypto Fernet", () => {
  it("leaves the key bytes passed to create untouched and keeps working after the caller wipes them", async () => {
    const key = randomBytes(32);
    const copy = Uint8Array.from(key);
    const f = await Fernet.create(key, { backend: NODE_FERNET });
    assert.deepEqual(key, copy);
    key.fill(0);
    const token = await f.encrypt("still keyed");
    assert.equal(new TextDecoder().decode(await (await Fernet.create(copy, { backend: WEB_CRYPTO_FERNET })).decrypt(token)), "still keyed");
  });
  it("a token with a valid MAC but bad padding fails with the uniform error", async () => {
    // Sign a block that does not decrypt to valid PKCS#7 padding: only the padding check can refuse it.
    const raw = randomBytes(32);
    const f = await Fernet.create(raw, { backend: NODE_FERNET });
    const header = new Uint8Array(25);
    header[0] = 0x80;
    new DataView(header.buffer).setBigUint64(1, BigInt(Math.floor(Date.now() / 1000)));
    const { createCipheriv, createHmac } = await import("node:crypto");
    const iv = randomBytes(16);
    header.set(iv, 9);
    const c = createCipheriv("aes-128-cbc", raw.subarray(16), iv).setAutoPadding(false);
    const body = Buffer.concat([c.update(new Uint8Array(16).fill(0x11)), c.final()]);
    const signed = Buffer.concat([header, body]);
    const token = Buffer.concat([signed, createHmac("sha256", raw.subarray(0, 16)).update(signed).digest()]).toString("base64url");
    await assert.rejects(f.decrypt(token.padEnd(Math.ceil(token.length / 4) * 4, "=")), isUniform);
  });
});
