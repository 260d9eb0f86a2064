/** The `node` export condition of ./hivemind: the same sessions over libsodium (when it loads) and node:crypto. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { utf8 } from "../src/common/bytes.js";
import { HiveMindClient, HiveMindHub } from "../src/hivemind/node/index.js";
import { noiseBackend, noiseBackendInUse } from "../src/noise/index.js";
import { NODE_DEFAULT_BACKEND, SODIUM_BACKEND, loadSodiumNoiseBackend } from "../src/node/index.js";
import { HandshakeRejectedError } from "../src/common/errors.js";
import { loadSodiumNoiseBackendSync } from "../src/noise/node/sodium.js";
import { NATIVE_BACKENDS, useNoiseBackend } from "./helpers/noise-backends.js";

const KDF = { name: "pbkdf2", iterations: 1000 } as const;

describe("the node entries' Noise backend", () => {
  it("is libsodium when sodium-native loads, node:crypto otherwise, and says which", () => {
    assert.equal(noiseBackend(), NODE_DEFAULT_BACKEND);
    assert.equal(noiseBackendInUse(), SODIUM_BACKEND === undefined ? "node:crypto" : "libsodium");
  });

  it("falls back (no libsodium backend) when sodium-native is missing, fails to load, or lacks a function", async () => {
    const missing = Object.assign(new Error("Cannot find package 'sodium-native'"), { code: "ERR_MODULE_NOT_FOUND" });
    assert.equal(await loadSodiumNoiseBackend(() => Promise.reject(missing)), undefined);
    assert.equal(await loadSodiumNoiseBackend(() => Promise.reject(new Error("invalid ELF header"))), undefined);
    assert.equal(await loadSodiumNoiseBackend(async () => ({ default: { crypto_scalarmult: () => {} } })), undefined);
    for (const load of [() => { throw missing; }, () => ({ default: { crypto_scalarmult: () => {} } })]) assert.equal(loadSodiumNoiseBackendSync(load), undefined);
  });

  it("is chosen at import without a promise: the synchronous loader finds the addon the asynchronous one finds", async () => {
    assert.equal(loadSodiumNoiseBackendSync()?.name, (await loadSodiumNoiseBackend())?.name);
    assert.equal(loadSodiumNoiseBackendSync()?.name, SODIUM_BACKEND?.name);
  });
});

for (const [label, backend] of NATIVE_BACKENDS) describe(`HiveMind v3 on the ${label} backend`, () => {
  useNoiseBackend(backend);

  for (const suite of ["25519_ChaChaPoly_SHA256", "25519_AESGCM_SHA256"] as const) {
    it(`${suite}: XXpsk2 then KKpsk0, with chunked transport`, async () => {
      const hubKey = new Uint8Array(32).fill(5);
      const clientKey = new Uint8Array(32).fill(6);
      let pins: { hub: Uint8Array; client: Uint8Array } | undefined;
      for (const round of [0, 1]) {
        const hub = await HiveMindHub.create({ password: "pw", nodeId: "n", kdf: KDF, staticKey: hubKey, pinnedClients: pins ? [pins.client] : [] });
        const client = await HiveMindClient.create({ password: "pw", staticKey: clientKey, suites: [suite], pinnedHubKey: pins?.hub });
        const m1 = await client.start(hub.hello, hub.handshake);
        assert.equal(m1.noise.pattern, round === 0 ? "XXpsk2" : "KKpsk0");
        const m3 = await client.receive(await hub.receive(m1));
        if (m3 !== null) await hub.receive(m3);
        assert.deepEqual(hub.handshakeHash, client.handshakeHash);
        const body = new Uint8Array(140_000).fill(round + 1);
        let received;
        for (const frame of await client.encrypt(1, body)) received = await hub.decrypt(frame);
        assert.deepEqual(received, { marker: 1, body });
        assert.deepEqual((await client.decrypt((await hub.encrypt(0, "{}"))[0]!))!.body, utf8("{}"));
        pins = { hub: client.remoteStaticKey!, client: hub.remoteStaticKey! };
      }
    });
  }

  it("a wrong password is refused", async () => {
    const hub = await HiveMindHub.create({ password: "pw", nodeId: "n", kdf: KDF });
    const client = await HiveMindClient.create({ password: "nope" });
    await assert.rejects(client.receive(await hub.receive(await client.start(hub.hello, hub.handshake))), HandshakeRejectedError);
  });
});
