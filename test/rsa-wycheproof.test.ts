/** Every Wycheproof RSA-OAEP and RSA-PSS case through our wrappers. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromHex } from "../src/common/bytes.js";
import { DecryptionError } from "../src/common/errors.js";
import { decryptRSA, verifyRSA, type OAEPHash } from "../src/rsa/index.js";
import { loadVectors } from "./helpers/vectors.js";

describe("Wycheproof RSA-OAEP decryption", () => {
  for (const [file, hash] of [["rsa_oaep_2048_sha1_mgf1sha1_test.json", "SHA-1"], ["rsa_oaep_2048_sha256_mgf1sha256_test.json", "SHA-256"]] as const) {
    it(`${file}: valid cases decrypt (with their label), invalid ones throw DecryptionError`, async () => {
      const suite = loadVectors(`wycheproof/${file}`);
      let run = 0;
      for (const group of suite.testGroups) {
        assert.equal(group.sha, hash);
        assert.equal(group.mgfSha, hash);
        const key = fromHex(group.privateKeyPkcs8);
        for (const t of group.tests) {
          const options = { hash: hash as OAEPHash, label: fromHex(t.label) };
          const outcome = decryptRSA(key, fromHex(t.ct), options);
          if (t.result === "invalid") {
            await assert.rejects(outcome, DecryptionError, `tcId ${t.tcId}: ${t.comment}`);
          } else {
            assert.deepEqual(await outcome, fromHex(t.msg), `tcId ${t.tcId}: ${t.comment}`);
          }
          run++;
        }
      }
      assert.equal(run, suite.numberOfTests);
    });
  }
});

describe("Wycheproof RSA-PSS verification (SHA-256, MGF1-SHA-256, salt 32)", () => {
  it("valid signatures verify; invalid ones give false, never an exception", async () => {
    const suite = loadVectors("wycheproof/rsa_pss_2048_sha256_mgf1_32_test.json");
    let run = 0;
    for (const group of suite.testGroups) {
      assert.equal(group.sLen, 32);
      const key = fromHex(group.publicKeyDer);
      for (const t of group.tests) {
        const ok = await verifyRSA(key, fromHex(t.msg), fromHex(t.sig));
        assert.equal(ok, t.result !== "invalid", `tcId ${t.tcId}: ${t.comment} (${t.result})`);
        run++;
      }
    }
    assert.equal(run, suite.numberOfTests);
  });
});
