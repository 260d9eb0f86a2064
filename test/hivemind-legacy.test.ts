import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { concatBytes, fromHex, toHex, utf8 } from "../src/common/bytes.js";
import { DecryptionError, InvalidArgumentError } from "../src/common/errors.js";
import { HIVEMIND_WIRE, LegacyTransport, type LegacyCipher } from "../src/hivemind/index.js";
import { PasswordHandShake, createHsub, derivePasswordSecret } from "../src/password/index.js";
import { loadVectors } from "./helpers/vectors.js";

const v = loadVectors("hivemind/vectors.json").aes_gcm;
const key = fromHex(v.key_hex);
const nonce = fromHex(v.nonce_hex);

describe("legacy HiveMind transport", () => {
  it("AES-GCM with a 16-byte nonce: the vectors.json case, as JSON-HEX and binary frames", async () => {
    const t = await LegacyTransport.create(key);
    const frame = await t.encryptJson(v.plaintext, nonce);
    assert.equal(frame, `{"ciphertext": "${v.ciphertext_hex}", "tag": "${v.tag_hex}", "nonce": "${v.nonce_hex}"}`);
    assert.deepEqual(await t.decryptJson(frame), utf8(v.plaintext));
    const tagless = JSON.stringify({ ciphertext: v.ciphertext_hex + v.tag_hex, nonce: v.nonce_hex });
    assert.deepEqual(await t.decryptJson(tagless), utf8(v.plaintext));
    const binary = await t.encryptBinary(v.plaintext, nonce);
    assert.equal(toHex(binary), v.nonce_hex + v.ciphertext_hex + v.tag_hex);
    assert.deepEqual(await t.decryptBinary(binary), utf8(v.plaintext));
  });

  // Expected frames printed by CPython's json.dumps + base64 module for the same bytes.
  it("JSON-B64, JSON-URLSAFE-B64 and JSON-B32 frames match Python's", async () => {
    const expected = {
      "JSON-B64": '{"ciphertext": "sEfiomed/taYsv3YyAo27tQn177hcuIv2W28Pg7iERJuoy0=", "tag": "fL3REGkB/veeUOcOgVnSdQ==", "nonce": "ABEiM0RVZneImaq7zN3u/w=="}',
      "JSON-URLSAFE-B64": '{"ciphertext": "sEfiomed_taYsv3YyAo27tQn177hcuIv2W28Pg7iERJuoy0=", "tag": "fL3REGkB_veeUOcOgVnSdQ==", "nonce": "ABEiM0RVZneImaq7zN3u_w=="}',
      "JSON-B32": '{"ciphertext": "WBD6FITHTX7NNGFS7XMMQCRW53KCPV564FZOEL6ZNW6D4DXCCEJG5IZN", "tag": "PS65CEDJAH7PPHSQ44HICWOSOU======", "nonce": "AAISEM2EKVTHPCEZVK54ZXPO74======"}',
    } as const;
    for (const [encoding, frame] of Object.entries(expected)) {
      const t = await LegacyTransport.create(key, { encoding: encoding as keyof typeof expected });
      assert.equal(await t.encryptJson(v.plaintext, nonce), frame);
      assert.deepEqual(await t.decryptJson(frame), utf8(v.plaintext));
    }
  });

  it("base64 frames decode as Python's base64 module decodes them", async () => {
    // CPython: b64decode("fL3REGkB/veeUOcOgVnSdR==") == b64decode("fL3REGkB/veeUOcOgVnSdQ==") (non-zero pad
    // bits), and urlsafe_b64decode reads the standard alphabet too.
    const b64 = await LegacyTransport.create(key, { encoding: "JSON-B64" });
    const padBits = '{"ciphertext": "sEfiomed/taYsv3YyAo27tQn177hcuIv2W28Pg7iERJuoy0=", "tag": "fL3REGkB/veeUOcOgVnSdR==", "nonce": "ABEiM0RVZneImaq7zN3u/x=="}';
    assert.deepEqual(await b64.decryptJson(padBits), utf8(v.plaintext));
    const urlSafe = await LegacyTransport.create(key, { encoding: "JSON-URLSAFE-B64" });
    const standard = '{"ciphertext": "sEfiomed/taYsv3YyAo27tQn177hcuIv2W28Pg7iERJuoy0=", "tag": "fL3REGkB/veeUOcOgVnSdQ==", "nonce": "ABEiM0RVZneImaq7zN3u/w=="}';
    assert.deepEqual(await urlSafe.decryptJson(standard), utf8(v.plaintext));
    // Unpadded text, or URL-safe characters in a standard frame: one uniform failure.
    await assert.rejects(b64.decryptJson(standard.replace("Pg7iERJuoy0=", "Pg7iERJuoy0")), DecryptionError);
    await assert.rejects(b64.decryptJson(standard.replace("sEfiomed/", "sEfiomed_")), DecryptionError);
  });

  it("CHACHA20-POLY1305 uses a 12-byte nonce and the RFC 8439 AEAD", async () => {
    const t = await LegacyTransport.create(key, { cipher: "CHACHA20-POLY1305" });
    const n = new Uint8Array(12).fill(1);
    const binary = await t.encryptBinary("hi", n);
    assert.deepEqual(binary, concatBytes(n, chacha20poly1305(key, n).encrypt(utf8("hi"))));
    assert.deepEqual(await t.decryptBinary(binary), utf8("hi"));
    await assert.rejects(t.encryptBinary("hi", new Uint8Array(16)), InvalidArgumentError);
  });

  it("round trips any message in every cipher and encoding, with random nonces", async () => {
    const transports = [];
    for (const cipher of Object.keys(HIVEMIND_WIRE.LEGACY_NONCE_BYTES) as LegacyCipher[]) {
      for (const encoding of HIVEMIND_WIRE.LEGACY_ENCODINGS) transports.push(await LegacyTransport.create(key, { cipher, encoding }));
    }
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...transports), fc.uint8Array({ maxLength: 200 }), async (t, data) => {
        assert.deepEqual(await t.decryptJson(await t.encryptJson(data)), data);
        assert.deepEqual(await t.decryptBinary(await t.encryptBinary(data)), data);
      }),
      { numRuns: 80 },
    );
  });

  it("every bad frame is one uniform DecryptionError", async () => {
    const t = await LegacyTransport.create(key);
    const good = JSON.parse(await t.encryptJson("secret"));
    const bad = [
      "not json", "{}", JSON.stringify({ ...good, tag: "00".repeat(16) }), JSON.stringify({ ...good, nonce: "zz" }),
      JSON.stringify({ ...good, ciphertext: 5 }), JSON.stringify({ ciphertext: "00", nonce: good.nonce }),
    ];
    for (const frame of bad) await assert.rejects(t.decryptJson(frame), (e: unknown) => e instanceof DecryptionError && e.message === "decryption failed");
    await assert.rejects(t.decryptBinary(new Uint8Array(20)), DecryptionError);
    const other = await LegacyTransport.create(new Uint8Array(32));
    await assert.rejects(other.decryptJson(JSON.stringify(good)), DecryptionError);
  });

  it("keys the transport with the password handshake's secret (the legacy flow)", async () => {
    const [client, hub] = [new PasswordHandShake("pw", { minBits: 0 }), new PasswordHandShake("pw", { minBits: 0 })];
    const [a, b] = [await client.generateHandshake(), await hub.generateHandshake()];
    await client.receiveAndVerify(b);
    await hub.receiveAndVerify(a);
    const [ct, ht] = [await LegacyTransport.create(client.secret!), await LegacyTransport.create(hub.secret!)];
    assert.deepEqual(await ht.decryptJson(await ct.encryptJson('{"msg_type": "bus"}')), utf8('{"msg_type": "bus"}'));
  });

  it("vectors.json's hsub and PBKDF2 cases (the legacy flow's key) hold", async () => {
    const all = loadVectors("hivemind/vectors.json");
    assert.equal(createHsub(all.hsub.password, fromHex(all.hsub.iv_hex)), all.hsub.expected_hsub);
    assert.equal(toHex(await derivePasswordSecret(all.pbkdf2.password, fromHex(all.pbkdf2.salt_hex))), all.pbkdf2.expected_key_hex);
    assert.equal(all.pbkdf2.expected_key_hex, v.key_hex);
  });

  it("names bad options", async () => {
    await assert.rejects(LegacyTransport.create(key, { cipher: "DES" as LegacyCipher }), /cipher must be one of/);
    await assert.rejects(LegacyTransport.create(key, { encoding: "JSON-B85" as never }), /encoding must be one of/);
    await assert.rejects(LegacyTransport.create(new Uint8Array(31), { cipher: "CHACHA20-POLY1305" }), InvalidArgumentError);
  });
});
