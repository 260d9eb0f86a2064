/** The HiveMind PSK's argon2id on both implementations: hash-wasm and libargon2 (the optional addon). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toHex, utf8 } from "../src/common/bytes.js";
import { HASH_WASM_ARGON2ID, argon2idImplementationInUse, clearPskCache, derivePsk, pskSalt } from "../src/hivemind/psk.js";
import { type Argon2idFunction, chooseArgon2idOnFirstUse, setArgon2idImplementation } from "../src/noise/psk.js";
import { loadNativeArgon2id, loadNativeArgon2idSync } from "../src/noise/node/argon2.js";
import { loadVectors } from "./helpers/vectors.js";

const v = loadVectors("hivemind/noise_vectors.json").argon2id_psk;

describe("argon2id PSK implementations", async () => {
  const native = await loadNativeArgon2id();
  it("hash-wasm matches the vector", async () => {
    assert.equal(toHex(await HASH_WASM_ARGON2ID(utf8(v.password), pskSalt(v.node_id))), v.expected_psk_hex);
  });
  it("libargon2 matches the vector, and leaves the caller's password bytes alone", { skip: native === undefined ? "the optional argon2 addon does not load here" : false }, async () => {
    const password = utf8(v.password);
    assert.equal(toHex(await native!(password, pskSalt(v.node_id))), v.expected_psk_hex);
    assert.equal(new TextDecoder().decode(password), v.password);
  });
  it("the Node entry installs libargon2 when it loads, and derivePsk still gives the vector", async () => {
    assert.equal(argon2idImplementationInUse(), HASH_WASM_ARGON2ID);
    await import("../src/hivemind/node/index.js");
    assert.equal(argon2idImplementationInUse() === HASH_WASM_ARGON2ID, native === undefined);
    clearPskCache();
    assert.equal(toHex(await derivePsk(v.password, v.node_id)), v.expected_psk_hex);
  });

  it("the synchronous loader finds the same addon", () => {
    assert.equal(loadNativeArgon2idSync() === undefined, native === undefined);
  });

  it("a choice deferred to first use runs once, when first needed; undefined keeps the current one; setArgon2idImplementation overrides it", async () => {
    const before = argon2idImplementationInUse();
    const fake: Argon2idFunction = async () => new Uint8Array(32).fill(7);
    let calls = 0;
    try {
      chooseArgon2idOnFirstUse(() => (calls++, fake));
      assert.equal(calls, 0);
      assert.deepEqual(await derivePsk("pw", "n"), new Uint8Array(32).fill(7));
      assert.equal(argon2idImplementationInUse(), fake);
      assert.equal(calls, 1);
      chooseArgon2idOnFirstUse(() => (calls++, undefined));
      assert.equal(argon2idImplementationInUse(), fake);
      assert.equal(calls, 2);
      chooseArgon2idOnFirstUse(() => (calls++, fake));
      setArgon2idImplementation(before);
      assert.equal(argon2idImplementationInUse(), before);
      assert.equal(calls, 2);
    } finally {
      setArgon2idImplementation(before);
    }
  });
});
