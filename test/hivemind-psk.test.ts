import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex, utf8 } from "../src/common/bytes.js";
import { HandshakeRejectedError, InvalidArgumentError } from "../src/common/errors.js";
import { derivePsk, pskKdfFromHandshake, pskSalt } from "../src/hivemind/index.js";
import { loadVectors } from "./helpers/vectors.js";

const hm = loadVectors("hivemind/noise_vectors.json");

describe("HiveMind v3 PSK", () => {
  it("argon2id (t=3, m=64 MiB, p=1) matches the vector, and repeated calls reuse the cache", async () => {
    const v = hm.argon2id_psk;
    assert.deepEqual([v.time_cost, v.memory_cost_kib, v.parallelism, v.hash_len], [3, 65536, 1, 32]);
    assert.equal(toHex(pskSalt(v.node_id)), v.salt_hex);
    const [a, b] = await Promise.all([derivePsk(v.password, v.node_id), derivePsk(v.password, v.node_id)]);
    assert.equal(toHex(a), v.expected_psk_hex);
    a.fill(0); // callers get copies: wiping one never corrupts the cache
    assert.equal(toHex(b), v.expected_psk_hex);
    assert.equal(toHex(await derivePsk(v.password, v.node_id)), v.expected_psk_hex);
  });

  it("the PBKDF2 variant matches the vector", async () => {
    const v = hm.pbkdf2_psk;
    const kdf = pskKdfFromHandshake({ noise: { kdf: { name: "pbkdf2", iterations: v.iterations } } });
    assert.equal(toHex(await derivePsk(v.password, v.node_id, kdf)), v.expected_psk_hex);
    assert.deepEqual(pskKdfFromHandshake({ noise: { kdf: { name: "pbkdf2" } } }), { name: "pbkdf2", iterations: 100000 });
  });

  it("salts with the fixed bytes without a node id, and hashes the empty string", () => {
    assert.deepEqual(pskSalt(null), utf8("poorman_handshake:noise:psk:v1"));
    assert.deepEqual(pskSalt(undefined), utf8("poorman_handshake:noise:psk:v1"));
    assert.deepEqual(pskSalt(""), sha256(new Uint8Array(0)));
  });

  it("reads the advertised kdf and refuses unknown or abusive ones", () => {
    assert.deepEqual(pskKdfFromHandshake({}), { name: "argon2id" });
    assert.deepEqual(pskKdfFromHandshake({ noise: { kdf: { name: "argon2id" } } }), { name: "argon2id" });
    assert.throws(() => pskKdfFromHandshake({ noise: { kdf: { name: "scrypt" } } }), HandshakeRejectedError);
    assert.throws(() => pskKdfFromHandshake({ noise: { kdf: { name: "pbkdf2", iterations: 1e12 } } }), HandshakeRejectedError);
    assert.throws(() => pskKdfFromHandshake({ noise: { kdf: { name: "pbkdf2", iterations: 0 } } }), HandshakeRejectedError);
  });

  it("names bad arguments", async () => {
    await assert.rejects(derivePsk(42 as unknown as string, "n"), InvalidArgumentError);
    await assert.rejects(derivePsk("pw", "n", { name: "pbkdf2", iterations: -1 }), InvalidArgumentError);
  });
});
