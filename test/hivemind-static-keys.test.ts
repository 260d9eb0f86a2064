/**
 * Static keys given to hubs and clients are parsed and their key pair kept per process
 * (so the node backend imports each once): sessions still behave as if each had its own.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomBytes, toHex } from "../src/common/bytes.js";
import { HiveMindClient, HiveMindHub, clearStaticKeyCache, type HiveMindHubOptions } from "../src/hivemind/index.js";
import { NOISE_BACKENDS } from "./helpers/noise-backends.js";
import { setNoiseBackend } from "../src/noise/index.js";

const HUB = { password: "pw", nodeId: "tcp4:0.0.0.0:5678", kdf: { name: "pbkdf2", iterations: 1000 } } satisfies HiveMindHubOptions;

async function session(hubKey: Uint8Array | string, clientKey?: Uint8Array) {
  const hub = await HiveMindHub.create({ ...HUB, staticKey: hubKey });
  const client = await HiveMindClient.create({ password: "pw", ...(clientKey === undefined ? {} : { staticKey: clientKey }) });
  const third = await client.receive(await hub.receive(await client.start(hub.hello, hub.handshake)));
  if (third !== null) await hub.receive(third);
  assert.ok(hub.done && client.done);
  assert.deepEqual(client.remoteStaticKey, hub.staticPublicKey);
  return { hub, client };
}

for (const [name, backend] of NOISE_BACKENDS) {
  const install = () => setNoiseBackend(backend);
  describe(`HiveMind static keys (${name} backend)`, () => {
    it("hubs made with the same key, as bytes or hex, present the same public key; each has its own copy", async () => {
      install();
      const key = randomBytes(32);
      const a = await session(key);
      const b = await session(toHex(key));
      assert.deepEqual(a.hub.staticPublicKey, b.hub.staticPublicKey);
      a.hub.staticPublicKey.fill(0);
      assert.notDeepEqual(b.hub.staticPublicKey, a.hub.staticPublicKey, "a caller changing one hub's public key array leaves the others alone");
      const c = await session(key);
      assert.deepEqual(c.hub.staticPublicKey, b.hub.staticPublicKey);
      assert.ok(key.some((x) => x !== 0), "the caller's key is never wiped");
    });
    it("a caller changing its key array afterwards gets the new key's pair, and clearing the cache changes nothing visible", async () => {
      const key = randomBytes(32);
      const before = (await session(key)).hub.staticPublicKey;
      key[1]! ^= 1; // not byte 0: X25519 clamps its low bits away
      const after = (await session(key)).hub.staticPublicKey;
      assert.notDeepEqual(after, before);
      clearStaticKeyCache();
      assert.deepEqual((await session(key)).hub.staticPublicKey, after);
    });
    it("more distinct keys than the cache holds all work, and random keys (none given) differ every time", async () => {
      const keys = Array.from({ length: 20 }, () => randomBytes(32));
      const publics = [];
      for (const key of keys) publics.push(toHex((await session(key, keys[0])).hub.staticPublicKey));
      assert.equal(new Set(publics).size, 20);
      const first = (await session(keys[0]!)).hub.staticPublicKey;
      assert.equal(toHex(first), publics[0]);
      const r1 = await HiveMindHub.create(HUB), r2 = await HiveMindHub.create(HUB);
      assert.notDeepEqual(r1.staticPublicKey, r2.staticPublicKey);
    });
  });
}
