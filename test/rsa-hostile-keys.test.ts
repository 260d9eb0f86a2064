/**
 * Hostile peer keys: Web Crypto imports e = 0, 1, 2, even e, e >= n, 768-bit and 16400-bit
 * moduli; every one must be refused at import with a KeyFormatError, and no RSA helper
 * may throw anything but a PoormanError.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { HandShake, InvalidArgumentError, KeyFormatError, PoormanError, UnsupportedKeyError } from "../src/index.js";
import { encryptRSA, exportPublicKeyPem, hybridEncryptRSA, importRSAKey, pemToDer, publicKeyFingerprint, signRSA, verifyRSA } from "../src/rsa/index.js";
import { keys } from "./helpers/rsa.js";

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const value = Buffer.concat(parts);
  const n = value.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Uint8Array.of(tag, ...length), value]);
}
function integer(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, "hex");
  return tlv(0x02, bytes[0]! & 0x80 ? Buffer.concat([Uint8Array.of(0), bytes]) : bytes);
}
const RSA_ALGORITHM = Buffer.from("300d06092a864886f70d0101010500", "hex");
/** SPKI DER of an RSA public key (n, e), whatever the numbers. */
const spki = (n: bigint, e: bigint) => new Uint8Array(tlv(0x30, RSA_ALGORITHM, tlv(0x03, Uint8Array.of(0), tlv(0x30, integer(n), integer(e)))));
/** PKCS#1 RSAPrivateKey DER with the given numbers (not a consistent key: we must refuse it before that matters). */
const pkcs1Private = (n: bigint, e: bigint) => new Uint8Array(tlv(0x30, integer(0n), integer(n), integer(e), ...[3n, 5n, 7n, 1n, 1n, 1n].map(integer)));
const toBig = (b64url: string) => BigInt(`0x${Buffer.from(b64url, "base64url").toString("hex")}`);

const aliceJwk = await crypto.subtle.exportKey("jwk", await crypto.subtle.importKey("spki", pemToDer(keys.alice.public_pem_spki).der, { name: "RSA-OAEP", hash: "SHA-1" }, true, ["encrypt"]));
const n2048 = toBig(aliceJwk.n!);
/** A random odd number of exactly `bits` bits (a modulus nobody can factor is not needed: it is refused first). */
const oddOfBits = (bits: number) => (1n << BigInt(bits - 1)) | BigInt(`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(Math.ceil(bits / 8)))).toString("hex")}`) % (1n << BigInt(bits - 1)) | 1n;
const realKey = (bits: number) => generateKeyPairSync("rsa", { modulusLength: bits }).publicKey.export({ type: "spki", format: "der" });

/** The attack run's hostile keys, with what the refusal must say. */
const hostile: [string, Uint8Array<ArrayBuffer>, RegExp][] = [
  ["e = 0", spki(n2048, 0n), /e = 0; it must be odd and at least 3/],
  ["e = 1 (ciphertext = plaintext)", spki(n2048, 1n), /e = 1; it must be odd and at least 3/],
  ["e = 2", spki(n2048, 2n), /e = 2;/],
  ["even e = 65536", spki(n2048, 65536n), /e = 65536;/],
  ["e = n", spki(n2048, n2048), /not smaller than its modulus/],
  ["e = n + 2", spki(n2048, n2048 + 2n), /not smaller than its modulus/],
  ["even modulus", spki(n2048 - 1n, 65537n), /even RSA modulus/],
  ["768-bit modulus (real key)", new Uint8Array(realKey(768)), /768-bit RSA modulus; keys from 1024 to 16384 bits/],
  ["16400-bit modulus", spki(oddOfBits(16400), 65537n), /16400-bit RSA modulus/],
];

const isRefusal = (pattern: RegExp) => (error: unknown) => error instanceof UnsupportedKeyError && error instanceof KeyFormatError && error.code === "ERR_KEY_FORMAT" && pattern.test(error.message);

describe("hostile peer keys are refused at import", () => {
  for (const [name, der, pattern] of hostile) {
    it(`${name}: every helper refuses it with KeyFormatError`, async () => {
      const refused = isRefusal(pattern);
      const pem = `-----BEGIN PUBLIC KEY-----\n${Buffer.from(der).toString("base64")}\n-----END PUBLIC KEY-----`;
      for (const input of [der, pem]) {
        await assert.rejects(importRSAKey(input, "encrypt"), refused);
        await assert.rejects(importRSAKey(input, "verify", undefined, "pub", { minKeyBits: 1024 }), refused);
        await assert.rejects(encryptRSA(input, new Uint8Array(32)), refused);
        await assert.rejects(verifyRSA(input, "m", new Uint8Array(256)), refused);
        await assert.rejects(hybridEncryptRSA(input, "m"), refused);
        await assert.rejects(publicKeyFingerprint(input), refused);
        await assert.rejects(exportPublicKeyPem(input), refused);
      }
      const hs = await HandShake.create({ privateKey: keys.bob.private_pem_pkcs1 });
      await assert.rejects(hs.loadPublic(der), refused);
      await assert.rejects(hs.generateHandshake(pem), refused);
    });
  }

  it("a private key with e = 1 is refused too, before Web Crypto imports it", async () => {
    await assert.rejects(signRSA(pkcs1Private(n2048, 1n), "m"), isRefusal(/e = 1/));
    await assert.rejects(HandShake.create({ privateKey: pkcs1Private(n2048, 1n) }), isRefusal(/e = 1/));
  });

  it("a CryptoKey Web Crypto made from a hostile key is refused as well", async () => {
    for (const [name, der, pattern] of hostile.filter(([n]) => /^e = [012]|even e|768|16400/.test(n))) {
      const key = await crypto.subtle.importKey("spki", der, { name: "RSA-OAEP", hash: "SHA-1" }, true, ["encrypt"]);
      await assert.rejects(encryptRSA(key, new Uint8Array(16)), isRefusal(pattern), name);
      const locked = await crypto.subtle.importKey("spki", der, { name: "RSA-PSS", hash: "SHA-256" }, false, ["verify"]);
      await assert.rejects(verifyRSA(locked, "m", new Uint8Array(8)), isRefusal(pattern), name);
    }
  });

  it("a Web Crypto failure we cannot see coming (an even-n CryptoKey) is a KeyFormatError, not a DOMException", async () => {
    // n is not visible in a CryptoKey; Web Crypto imports an even modulus and fails on use.
    const key = await crypto.subtle.importKey("spki", spki(n2048 - 1n, 65537n), { name: "RSA-OAEP", hash: "SHA-1" }, false, ["encrypt"]);
    await assert.rejects(encryptRSA(key, new Uint8Array(16)), (e) => e instanceof KeyFormatError && /RSA-OAEP encryption to publicKey failed/.test(e.message) && e.cause instanceof Error);
  });
});

describe("minKeyBits: 2048 by default, 1024 for old peers", () => {
  const rsa1024 = new Uint8Array(realKey(1024));
  const rsa2048 = pemToDer(keys.alice.public_pem_spki).der;

  it("refuses a real 1024-bit peer key by default, saying how to accept it", async () => {
    const refused = isRefusal(/1024-bit RSA key; peer keys of at least 2048 bits.*minKeyBits: 1024/);
    await assert.rejects(encryptRSA(rsa1024, new Uint8Array(16)), refused);
    await assert.rejects(verifyRSA(rsa1024, "m", new Uint8Array(128)), refused);
    const hs = await HandShake.create({ privateKey: keys.bob.private_pem_pkcs1 });
    await assert.rejects(hs.loadPublic(rsa1024), refused);
  });

  it("accepts it with minKeyBits: 1024 (minPeerKeyBits: 1024 for HandShake), and 2048-bit keys either way", async () => {
    assert.equal((await encryptRSA(rsa1024, new Uint8Array(16), { minKeyBits: 1024 })).length, 128);
    assert.equal(await verifyRSA(rsa1024, "m", new Uint8Array(128), { minKeyBits: 1024 }), false);
    assert.ok((await hybridEncryptRSA(rsa1024, "m", { minKeyBits: 1024 })).length > 128);
    const hs = await HandShake.create({ privateKey: keys.bob.private_pem_pkcs1, minPeerKeyBits: 1024 });
    await hs.loadPublic(rsa1024);
    assert.match(await hs.generateHandshake(), /^[0-9a-f]{768}$/); // 256-byte signature + 128-byte ciphertext
    assert.equal((await encryptRSA(rsa2048, new Uint8Array(16))).length, 256);
    await assert.rejects(encryptRSA(rsa2048, new Uint8Array(16), { minKeyBits: 3072 }), isRefusal(/2048-bit RSA key; peer keys of at least 3072/));
  });

  it("refuses minKeyBits outside 1024..16384 with InvalidArgumentError", async () => {
    for (const bad of [512, 1023, 16385, 1.5, "2048", Number.NaN]) {
      await assert.rejects(encryptRSA(rsa2048, new Uint8Array(1), { minKeyBits: bad as number }), InvalidArgumentError);
      await assert.rejects(HandShake.create({ privateKey: keys.bob.private_pem_pkcs1, minPeerKeyBits: bad as number }), /options\.minPeerKeyBits must be an integer/);
    }
  });
});

describe("malformed and hostile keys only ever give PoormanErrors (property)", () => {
  const onlyPoormanErrors = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      if (!(error instanceof PoormanError)) throw new Error(`not a PoormanError: ${String(error)}`, { cause: error });
    }
  };
  const bigint = fc.oneof(
    fc.bigInt({ min: 0n, max: 1n << 70n }),
    fc.integer({ min: 1, max: 17000 }).map((bits) => oddOfBits(bits)),
    fc.constantFrom(0n, 1n, 2n, 3n, 65536n, 65537n, n2048, n2048 - 1n, n2048 + 1n),
  );
  const validDer = [pemToDer(keys.alice.public_pem_spki).der, pemToDer(keys.alice.private_pem_pkcs1).der];
  const mutated = fc.tuple(fc.constantFrom(...validDer), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.option(fc.nat())).map(([der, flips, cut]) => {
    const copy = der.slice();
    for (const [at, xor] of flips) copy[at % copy.length]! ^= xor;
    return cut === null ? copy : copy.subarray(0, cut % copy.length);
  });
  const keysArb = fc.oneof(
    fc.tuple(bigint, bigint).map(([n, e]) => spki(n, e)),
    fc.tuple(bigint, bigint).map(([n, e]) => pkcs1Private(n, e)),
    mutated,
  );

  it("through import, encryption, verification, signing, handshakes and fingerprints", async () => {
    await fc.assert(
      fc.asyncProperty(keysArb, fc.boolean(), async (der, asPem) => {
        const input = asPem ? `-----BEGIN PUBLIC KEY-----\n${Buffer.from(der).toString("base64")}\n-----END PUBLIC KEY-----` : der;
        await onlyPoormanErrors(() => encryptRSA(der, new Uint8Array(16), { minKeyBits: 1024 }));
        await onlyPoormanErrors(() => verifyRSA(input, "m", new Uint8Array(256)));
        await onlyPoormanErrors(() => signRSA(der, "m"));
        await onlyPoormanErrors(() => publicKeyFingerprint(input));
        await onlyPoormanErrors(async () => (await HandShake.create({ privateKey: keys.bob.private_pem_pkcs1 })).loadPublic(input));
      }),
      { numRuns: 150 },
    );
  });
});
