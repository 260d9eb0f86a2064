import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { concatBytes, fromHex, toHex, utf8 } from "../src/common/bytes.js";
import { DecryptionError, InvalidArgumentError } from "../src/common/errors.js";
import { AES_GCM_MAX_NONCE_BYTES, AES_GCM_MIN_NONCE_BYTES, WEB_CRYPTO_AES_GCM, aesGcmDecrypt, aesGcmEncrypt, decryptRSA, generateRSAKeyPair, hybridDecryptRSA, hybridEncryptRSA } from "../src/rsa/index.js";
import { NODE_AES_GCM } from "../src/rsa/node/aes-gcm.js";
import { keys } from "./helpers/rsa.js";
import { loadVectors } from "./helpers/vectors.js";

const { case: v } = loadVectors("poorman/hybrid.json");
const bob = keys.bob;
const isUniform = (e: unknown) => e instanceof DecryptionError && e.message === "decryption failed";

describe("hybrid vector from the Python reference", () => {
  it("decrypts Python's blob, whose parts follow the spec's layout", async () => {
    const blob = fromHex(v.blob_hex);
    assert.equal(v.blob_hex, "0100" + v.rsa_ct_hex + v.nonce_hex + v.tag_hex + v.aes_ct_hex);
    assert.equal(v.rsa_len, 256);
    assert.equal(new TextDecoder().decode(await hybridDecryptRSA(bob.private_pem_pkcs1, blob)), v.plaintext_utf8);
    assert.equal(toHex(await decryptRSA(bob.private_pem_pkcs1, fromHex(v.rsa_ct_hex))), v.aes_key_hex);
  });

  it("with Python's AES key and nonce, we produce Python's tag and ciphertext", async () => {
    const draws = [fromHex(v.aes_key_hex), fromHex(v.gcm_nonce_hex)];
    const spy = mock.method(globalThis.crypto, "getRandomValues", (buf: Uint8Array) => {
      buf.set(draws.shift()!);
      return buf;
    });
    let blob: Uint8Array;
    try {
      blob = await hybridEncryptRSA(bob.public_pem_spki, v.plaintext_utf8);
    } finally {
      spy.mock.restore();
    }
    const hex = toHex(blob);
    assert.equal(hex.slice(0, 4), "0100");
    assert.equal(hex.slice(4 + 512), v.nonce_hex + v.tag_hex + v.aes_ct_hex, "all but the RSA part (fresh OAEP seed) is Python's");
    assert.equal(toHex(await decryptRSA(bob.private_pem_pkcs1, blob.subarray(2, 258))), v.aes_key_hex);
  });
});

describe("hybrid round trips and failures", () => {
  it("round-trips sizes from 0 B to 1 MiB", async () => {
    for (const size of [0, 1, 15, 16, 17, 4096, 65_537, 1 << 20]) {
      const data = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
      const blob = await hybridEncryptRSA(bob.public_pem_spki, data);
      assert.equal(blob.length, 2 + 256 + 16 + 16 + size);
      assert.deepEqual(await hybridDecryptRSA(bob.private_pem_pkcs1, blob), data, `size ${size}`);
    }
  });

  it("rejects every single-bit flip of a small blob with the uniform DecryptionError", async () => {
    const { publicKey, privateKey } = await generateRSAKeyPair(1024);
    const blob = await hybridEncryptRSA(publicKey, "hi!!", { minKeyBits: 1024 });
    assert.deepEqual(await hybridDecryptRSA(privateKey, blob), utf8("hi!!"));
    let rejected = 0;
    for (let bit = 0; bit < blob.length * 8; bit++) {
      const flipped = blob.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      await assert.rejects(hybridDecryptRSA(privateKey, flipped), isUniform, `bit ${bit}`);
      rejected++;
    }
    assert.equal(rejected, (2 + 128 + 16 + 16 + 4) * 8);
  });

  it("rejects truncation, extension and the wrong key the same way", async () => {
    const blob = await hybridEncryptRSA(bob.public_pem_spki, "payload");
    const bad = [
      () => hybridDecryptRSA(bob.private_pem_pkcs1, blob.subarray(0, blob.length - 1)),
      () => hybridDecryptRSA(bob.private_pem_pkcs1, blob.subarray(0, 2 + 256 + 32)),
      () => hybridDecryptRSA(bob.private_pem_pkcs1, blob.subarray(0, 100)),
      () => hybridDecryptRSA(bob.private_pem_pkcs1, new Uint8Array(0)),
      () => hybridDecryptRSA(bob.private_pem_pkcs1, concatBytes(blob, Uint8Array.of(0))),
      () => hybridDecryptRSA(keys.alice.private_pem_pkcs1, blob),
      () => hybridDecryptRSA(keys.carol_3072.private_pem_pkcs1, blob),
    ];
    for (const attempt of bad) await assert.rejects(attempt, isUniform);
    await assert.rejects(hybridDecryptRSA(bob.private_pem_pkcs1, "blob" as unknown as Uint8Array), InvalidArgumentError);
  });
});

for (const [name, backend] of [["Web Crypto", WEB_CRYPTO_AES_GCM], ["node:crypto", NODE_AES_GCM]] as const) {
describe(`Wycheproof AES-GCM through the AES-GCM helper (${name} backend)`, () => {
  it("valid cases encrypt to the expected ct and tag and decrypt back; invalid ones are rejected", async (t) => {
    const suite = loadVectors("wycheproof/aes_gcm_test.json");
    let run = 0;
    const skipped: string[] = [];
    for (const group of suite.testGroups) {
      assert.equal(group.tagSize, 128, "the helper supports 16-byte tags only; every group of this file uses them");
      const nonceBytes = group.ivSize / 8;
      const supported = nonceBytes >= AES_GCM_MIN_NONCE_BYTES && nonceBytes <= AES_GCM_MAX_NONCE_BYTES;
      for (const c of group.tests) {
        const [key, iv, aad, msg, ct, tag] = [c.key, c.iv, c.aad, c.msg, c.ct, c.tag].map((h: string) => fromHex(h)) as Uint8Array[];
        const label = `tcId ${c.tcId}: ${c.comment} [${c.flags}]`;
        if (!supported) {
          // The helper refuses such nonces up front (a typed argument error), whatever the case's result.
          await assert.rejects(aesGcmDecrypt(key!, iv!, ct!, tag!, aad, backend), InvalidArgumentError, label);
          if (c.result !== "invalid") skipped.push(`${c.tcId} (${group.ivSize}-bit nonce)`);
        } else if (c.result === "invalid") {
          await assert.rejects(aesGcmDecrypt(key!, iv!, ct!, tag!, aad, backend), DecryptionError, label);
        } else {
          const sealed = await aesGcmEncrypt(key!, iv!, msg!, aad, backend);
          assert.equal(toHex(sealed.ciphertext) + toHex(sealed.tag), c.ct + c.tag, label);
          assert.deepEqual(await aesGcmDecrypt(key!, iv!, ct!, tag!, aad, backend), msg, label);
        }
        run++;
      }
    }
    assert.equal(run, suite.numberOfTests);
    t.diagnostic(`${run - skipped.length} cases checked for their result; ${skipped.length} valid cases use nonces outside the helper's 12..128 bytes (refused with InvalidArgumentError): ${skipped.join(", ")}`);
    assert.ok(run - skipped.length > 200);
  });
});
}
