import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import fc from "fast-check";
import { fromHex, toHex, utf8 } from "../src/common/bytes.js";
import { DecryptionError, HandshakeRejectedError, HandshakeStateError, KeyFormatError, ProtocolError } from "../src/common/errors.js";
import { HIVEMIND_WIRE, HiveMindClient, HiveMindHub, HiveMindTransport, buildPrologue, pythonJsonDumps, type HiveMindClientOptions, type HiveMindHubOptions } from "../src/hivemind/index.js";
import { CipherState, NOISE_WIRE, chaChaPoly, noiseBackend } from "../src/noise/index.js";
import { loadVectors } from "./helpers/vectors.js";
import { NOISE_BACKENDS, useNoiseBackend } from "./helpers/noise-backends.js";

const hm = loadVectors("hivemind/noise_vectors.json");
// PBKDF2 with few iterations keeps these tests fast; argon2id is covered by one test.
const FAST_KDF = { name: "pbkdf2", iterations: 1000 } as const;
const HUB = { password: "pw", nodeId: "tcp4:0.0.0.0:5678", kdf: FAST_KDF } satisfies HiveMindHubOptions;

async function handshake(hubOptions: Partial<HiveMindHubOptions> = {}, clientOptions: Partial<HiveMindClientOptions> = {}) {
  const hub = await HiveMindHub.create({ ...HUB, ...hubOptions });
  const client = await HiveMindClient.create({ password: "pw", ...clientOptions });
  // Payloads travel as JSON text, as on a websocket.
  const m1 = await client.start(JSON.stringify(hub.hello), JSON.stringify(hub.handshake));
  const m2 = await hub.receive(JSON.stringify(m1));
  const m3 = await client.receive(JSON.stringify(m2));
  if (m3 !== null) assert.equal(await hub.receive(JSON.stringify(m3)), null);
  return { hub, client, m1, m2, m3 };
}

async function exchange(a: HiveMindHub | HiveMindClient, b: HiveMindHub | HiveMindClient, marker: 0 | 1, body: Uint8Array) {
  const frames = await a.encrypt(marker, body);
  let out;
  for (const [i, frame] of frames.entries()) {
    out = await b.decrypt(frame);
    assert.equal(out === undefined, i < frames.length - 1);
  }
  return { frames, out: out! };
}

for (const [label, backend] of NOISE_BACKENDS) describe(`HiveMind v3 sessions (${label} backend)`, () => {
  useNoiseBackend(backend);
  it("the prologue and payload forms match the vectors", () => {
    const v = hm.xxpsk2_chacha;
    assert.equal(toHex(buildPrologue(v.hello_payload, v.handshake_payload, v.protocol_name)), v.prologue_hex);
    assert.equal(toHex(buildPrologue(v.hello_payload, v.handshake_payload, hm.kkpsk0_chacha.protocol_name)), hm.kkpsk0_chacha.prologue_hex);
    assert.equal(pythonJsonDumps({ encoding: "JSON-HEX" }, { separators: [",", ":"] }), v.msg2_payload);
  });

  it("a hub built like the generator's advertises the vectors' payloads", async () => {
    const v = hm.xxpsk2_chacha;
    const hub = await HiveMindHub.create({ ...HUB, nodeId: v.hello_payload.node_id, pubkey: v.hello_payload.pubkey, peer: v.hello_payload.peer, patterns: ["XXpsk2"], suites: ["25519_ChaChaPoly_SHA256"], kdf: undefined });
    assert.deepEqual(hub.hello, v.hello_payload);
    assert.deepEqual(hub.handshake, v.handshake_payload);
  });

  it("XXpsk2 with argon2id: both sides agree, then JSON and binary messages flow both ways", async () => {
    const { hub, client, m1, m2, m3 } = await handshake({ kdf: undefined });
    assert.equal(m1.noise.pattern, "XXpsk2");
    assert.equal(m1.noise.suite, "25519_ChaChaPoly_SHA256");
    assert.ok(m2 !== null && m3 !== null);
    assert.ok(hub.done && client.done);
    assert.deepEqual(hub.handshakeHash, client.handshakeHash);
    assert.deepEqual(hub.remoteStaticKey, client.staticPublicKey);
    assert.deepEqual(client.remoteStaticKey, hub.staticPublicKey);
    assert.equal(client.encoding, "JSON-HEX");
    assert.equal(hub.encoding, "JSON-HEX");
    for (let i = 0; i < 3; i++) {
      const { frames, out } = await exchange(client, hub, 0, utf8(`{"n":${i}}`));
      assert.equal(frames.length, 1);
      assert.deepEqual(out, { marker: 0, body: utf8(`{"n":${i}}`) });
      assert.deepEqual((await exchange(hub, client, 1, Uint8Array.of(i, 1, 2))).out, { marker: 1, body: Uint8Array.of(i, 1, 2) });
    }
  });

  it("the hub's m2 payload is Python's default json.dumps form", async () => {
    const hub = await HiveMindHub.create({ ...HUB, ephemeralKey: new Uint8Array(32).fill(0x44), staticKey: new Uint8Array(32).fill(0x33) });
    const client = await HiveMindClient.create({ password: "pw" });
    const m2 = await hub.receive(await client.start(hub.hello, hub.handshake));
    assert.ok(m2 !== null);
    assert.equal(await client.receive(m2) !== null, true);
    assert.equal(client.encoding, "JSON-HEX");
    // m2 = e (32) + encrypted s (48) + encrypted payload: the payload has the default separators.
    assert.equal(fromHex(m2.noise.msg).length, 32 + 48 + utf8('{"encoding": "JSON-HEX"}').length + 16);
  });

  it("AESGCM when the client prefers it; a suite the hub lacks is refused", async () => {
    const { hub, client } = await handshake({}, { suites: ["25519_AESGCM_SHA256"] });
    assert.equal(client.suite, "25519_AESGCM_SHA256");
    assert.deepEqual((await exchange(hub, client, 0, utf8("{}"))).out.body, utf8("{}"));
    await assert.rejects(handshake({ suites: ["25519_ChaChaPoly_SHA256"] }, { suites: ["25519_AESGCM_SHA256"] }), HandshakeRejectedError);
  });

  it("KKpsk0 when both sides pinned each other: two messages", async () => {
    const hubKey = new Uint8Array(32).fill(5);
    const clientKey = new Uint8Array(32).fill(6);
    const probe = await handshake({ staticKey: hubKey }, { staticKey: clientKey });
    const { hub, client, m1, m3 } = await handshake({ staticKey: hubKey, pinnedClients: [toHex(probe.hub.remoteStaticKey!)] }, { staticKey: clientKey, pinnedHubKey: probe.client.remoteStaticKey! });
    assert.equal(m1.noise.pattern, "KKpsk0");
    assert.equal(m3, null);
    assert.ok(hub.done && client.done);
    assert.deepEqual((await exchange(client, hub, 0, utf8("kk"))).out.body, utf8("kk"));
  });

  it("KK is offered only with client pins; a client pin alone gives XX", async () => {
    const hub = await HiveMindHub.create(HUB);
    assert.deepEqual((hub.handshake.noise as { patterns: string[] }).patterns, ["XXpsk2"]);
    const { m1 } = await handshake({}, { pinnedHubKey: new Uint8Array(32).fill(9) });
    assert.equal(m1.noise.pattern, "XXpsk2");
    const unpinned = await HiveMindHub.create(HUB);
    const client = await HiveMindClient.create({ password: "pw" });
    const forged = await client.start(unpinned.hello, unpinned.handshake);
    await assert.rejects(unpinned.receive({ noise: { ...forged.noise, pattern: "KKpsk0" } }), /does not offer/);
    await assert.rejects(unpinned.receive(forged), HandshakeStateError); // dead after a refusal
  });

  it("a failed KK drops the hub pin and the retry uses XX", async () => {
    const clientKey = new Uint8Array(32).fill(6);
    const hub1 = await HiveMindHub.create({ ...HUB, pinnedClients: [new Uint8Array(32).fill(1), (await HiveMindClient.create({ password: "pw", staticKey: clientKey })).staticPublicKey] });
    const client = await HiveMindClient.create({ password: "pw", staticKey: clientKey, pinnedHubKey: new Uint8Array(32).fill(7) });
    const m1 = await client.start(hub1.hello, hub1.handshake);
    assert.equal(m1.noise.pattern, "KKpsk0");
    await assert.rejects(hub1.receive(m1), HandshakeRejectedError); // the hub key the client pinned is stale
    const hub2 = await HiveMindHub.create({ ...HUB, pinnedClients: [client.staticPublicKey] });
    const retry = await client.start(hub2.hello, hub2.handshake);
    assert.equal(client.pinnedHubKey, undefined);
    assert.equal(retry.noise.pattern, "XXpsk2");
    const m3 = await client.receive(await hub2.receive(retry));
    assert.equal(await hub2.receive(m3), null);
    assert.deepEqual(client.remoteStaticKey, hub2.staticPublicKey);
  });

  it("an unauthenticated KK first message costs one X25519 per pin plus one; pins are capped", async () => {
    const clientKey = new Uint8Array(32).fill(6);
    const hubKey = new Uint8Array(32).fill(8);
    const legit = await HiveMindClient.create({ password: "pw", staticKey: clientKey });
    const others = Array.from({ length: 7 }, (_, i) => new Uint8Array(32).fill(20 + i));
    const pinnedClients = [...others.map((k) => noiseBackend().dh["25519"]!.publicKey(k)), legit.staticPublicKey];
    const probe = await HiveMindHub.create({ ...HUB, staticKey: hubKey });
    const x25519 = noiseBackend().dh["25519"]!;
    for (const staticKey of [new Uint8Array(32).fill(9), clientKey]) {
      const hub = await HiveMindHub.create({ ...HUB, staticKey: hubKey, pinnedClients });
      const client = await HiveMindClient.create({ password: "pw", staticKey, pinnedHubKey: probe.staticPublicKey });
      const m1 = await client.start(hub.hello, hub.handshake);
      const spy = mock.method(x25519, "dh");
      try {
        if (staticKey === clientKey) assert.ok(await hub.receive(m1) !== null);
        else await assert.rejects(hub.receive(m1), HandshakeRejectedError);
        // Reading m1 (es shared, one ss per pin) plus, on success, m2's ee and se.
        assert.equal(spy.mock.callCount(), pinnedClients.length + 1 + (staticKey === clientKey ? 2 : 0));
      } finally {
        spy.mock.restore();
      }
    }
    const tooMany = Array.from({ length: HIVEMIND_WIRE.MAX_KK_CANDIDATES + 1 }, () => legit.staticPublicKey);
    await assert.rejects(HiveMindHub.create({ ...HUB, pinnedClients: tooMany }), /at most 64 keys/);
  });

  it("a handshake message longer than Noise allows is refused before its hex is decoded", async () => {
    const hub = await HiveMindHub.create(HUB);
    const msg = "00".repeat(NOISE_WIRE.MAX_MESSAGE_BYTES + 1);
    await assert.rejects(hub.receive({ noise: { pattern: "XXpsk2", suite: "25519_ChaChaPoly_SHA256", msg } }), (e: unknown) => e instanceof HandshakeRejectedError && /at most 65535 bytes/.test(e.message));
    const client = await HiveMindClient.create({ password: "pw" });
    const ok = await HiveMindHub.create(HUB);
    await client.start(ok.hello, ok.handshake);
    await assert.rejects(client.receive({ noise: { msg: "0".repeat(2 * NOISE_WIRE.MAX_MESSAGE_BYTES + 2) } }), HandshakeRejectedError);
  });

  it("a wrong password is refused on both sides and the handshake cannot continue", async () => {
    const hub = await HiveMindHub.create(HUB);
    const client = await HiveMindClient.create({ password: "not the password" });
    const m2 = await hub.receive(await client.start(hub.hello, hub.handshake));
    await assert.rejects(client.receive(m2), HandshakeRejectedError);
    await assert.rejects(client.receive(m2), HandshakeStateError);
    await assert.rejects(client.encrypt(0, "x"), HandshakeStateError);
  });

  it("a hub without a node id salts the PSK with the fixed bytes on both sides", async () => {
    const { hub, client } = await handshake({ nodeId: null });
    assert.equal(hub.hello.node_id, null);
    assert.ok(hub.done && client.done);
    assert.deepEqual(hub.handshakeHash, client.handshakeHash);
  });

  it("refuses a legacy hub, malformed payloads and bad keys with typed errors", async () => {
    const client = await HiveMindClient.create({ password: "pw" });
    await assert.rejects(client.start({ node_id: "n" }, { handshake: true, max_protocol_version: 2 }), /protocol v3/);
    await assert.rejects(client.start("{not json", "{}"), HandshakeRejectedError);
    const hub = await HiveMindHub.create(HUB);
    await assert.rejects(hub.receive({ noise: { msg: "zz" } }), HandshakeRejectedError);
    await assert.rejects(HiveMindClient.create({ password: "pw", pinnedHubKey: "abcd" }), KeyFormatError);
    await assert.rejects(HiveMindHub.create({ ...HUB, pinnedClients: [new Uint8Array(31)] }), KeyFormatError);
  });
});

for (const [label, backend] of NOISE_BACKENDS) describe(`HiveMind v3 transport frames (${label} backend)`, () => {
  useNoiseBackend(backend);
  it("chunks over 65000 bytes (counted without the marker) and reassembles", async () => {
    const { hub, client } = await handshake();
    for (const [size, frames] of [[65000, 1], [65001, 2], [130000, 2], [130001, 3], [200000, 4]] as const) {
      const body = new Uint8Array(size).map((_, i) => i * 7);
      const result = await exchange(client, hub, 1, body);
      assert.equal(result.frames.length, frames, `size ${size}`);
      assert.equal(result.frames[0]!.length, 1 + Math.min(size, 65000) + 16);
      assert.deepEqual(result.out, { marker: 1, body });
    }
    await assert.rejects(client.encrypt(0, new Uint8Array(32 * 1024 * 1024 + 1)), /at most/);
  });

  it("round trips arbitrary messages, concurrent sends never interleave", async () => {
    const { hub, client } = await handshake();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(0 as const, 1 as const), fc.integer({ min: 0, max: 140000 })), { minLength: 1, maxLength: 3 }), async (messages) => {
        const bodies = messages.map(([, size]) => new Uint8Array(size).fill(size % 251));
        const sent = await Promise.all(messages.map(([marker], i) => client.encrypt(marker, bodies[i]!)));
        const received = [];
        for (const frame of sent.flat()) {
          const out = await hub.decrypt(frame);
          if (out !== undefined) received.push(out);
        }
        assert.deepEqual(received, messages.map(([marker], i) => ({ marker, body: bodies[i] })));
      }),
      { numRuns: 8 },
    );
  });

  // A transport whose peer can send any plaintext: both directions under one key.
  async function rawPair() {
    const key = new Uint8Array(32).fill(3);
    const peer = await CipherState.withKey(chaChaPoly, key);
    const transport = new HiveMindTransport(await CipherState.withKey(chaChaPoly, new Uint8Array(32)), await CipherState.withKey(chaChaPoly, key));
    const send = (...bytes: number[]) => peer.encryptWithAd(new Uint8Array(0), Uint8Array.from(bytes));
    const sendChunk = (marker: number, size: number) => { const p = new Uint8Array(1 + size); p[0] = marker; return peer.encryptWithAd(new Uint8Array(0), p); };
    return { transport, send, sendChunk };
  }

  for (const [name, sequence] of [
    ["an unknown marker", [[0x06]]],
    ["a middle chunk without a first", [[0x04, 1]]],
    ["a last chunk without a first", [[0x05, 1]]],
    ["a whole message inside a multi-frame one", [[0x02, 1], [0x00, 1]]],
    ["a second first chunk", [[0x03, 1], [0x02, 1]]],
    ["an empty plaintext (no marker)", [[]]],
  ] as const) {
    it(`${name} is fatal (ProtocolError), and so is everything after it`, async () => {
      const { transport, send } = await rawPair();
      const frames = [];
      for (const plaintext of sequence) frames.push(await send(...plaintext));
      for (const frame of frames.slice(0, -1)) assert.equal(await transport.decrypt(frame), undefined);
      await assert.rejects(transport.decrypt(frames.at(-1)!), ProtocolError);
      await assert.rejects(transport.decrypt(await send(0x00)), HandshakeStateError);
    });
  }

  it("a bad tag and a text frame are fatal", async () => {
    const { transport, send } = await rawPair();
    const frame = await send(0x00, 0x7b, 0x7d);
    frame[3]! ^= 0x80;
    await assert.rejects(transport.decrypt(frame), DecryptionError);
    await assert.rejects(transport.decrypt(frame), HandshakeStateError);
    const other = await rawPair();
    await assert.rejects(other.transport.decrypt("{}" as unknown as Uint8Array), ProtocolError);
  });

  it("reassembly is capped at 32 MiB", async () => {
    const { transport, sendChunk } = await rawPair();
    assert.equal(await transport.decrypt(await sendChunk(0x03, 65000)), undefined);
    let error: unknown;
    for (let i = 0; i < 520 && error === undefined; i++) {
      try {
        assert.equal(await transport.decrypt(await sendChunk(0x04, 65000)), undefined);
      } catch (e) {
        error = e;
      }
    }
    assert.ok(error instanceof ProtocolError && /exceeds/.test(error.message));
  });
});
