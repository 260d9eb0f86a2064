/**
 * Replays what the real HiveMind v3 code did over 127.0.0.1 WebSockets
 * (test/vectors/hivemind/ws-real.json, see its SOURCES.md): hivemind-core's Tornado hub and
 * hivemind_bus_client's HiveMessageBusClient against HiveMindNode, serveHiveMind and `pmh hub`.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { toHex } from "../src/common/bytes.js";
import { HiveMindClient } from "../src/hivemind/client.js";
import { HubConnection } from "../src/hivemind/hub-connection.js";
import { buildPrologue, derivePsk, parseAuthorization, parseHiveMessage, parseJsonKeepingNumbers } from "../src/hivemind/index.js";

const vectors = JSON.parse(await readFile(new URL("./vectors/hivemind/ws-real.json", import.meta.url), "utf8"));
const hub = vectors.realHub;
const client = vectors.realClient;
const payloadOf = (frame: string) => (parseJsonKeepingNumbers(frame) as Record<string, unknown>).payload as Record<string, unknown>;
const hello = payloadOf(hub.helloFrame);
const offer = payloadOf(hub.handshakeFrame);

/** Our hub connection and our client, handshaken in memory; frames the hub sends are collected. */
async function handshaken(allowedTypes: string[]) {
  const toClient: (string | Uint8Array)[] = [];
  const delivered: unknown[] = [];
  const password = hub.password as string;
  const connection = await HubConnection.open({
    password, nodeId: "hub", staticKey: new Uint8Array(32).fill(7), peer: "py-real-client::s", allowedTypes,
    send: (frame) => void toClient.push(frame),
    close: () => undefined,
    onMessage: (message) => void delivered.push(message),
  });
  const node = await HiveMindClient.create({ password });
  const [helloFrame, shake] = toClient.splice(0).map((f) => JSON.parse(f as string));
  await connection.receive(JSON.stringify({ msg_type: "shake", payload: await node.start(helloFrame.payload, shake.payload) }));
  const m3 = await node.receive(JSON.parse(toClient.shift() as string).payload);
  await connection.receive(JSON.stringify({ msg_type: "shake", payload: m3 }));
  const feed = async (plaintext: string) => {
    for (const frame of await node.encrypt(0, plaintext)) await connection.receive(frame);
  };
  const answers = async () => {
    // The hub sends its denial without awaiting it: let the encryption queue run first.
    for (let turn = 0; turn < 1000 && toClient.length === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    const out = [];
    for (const frame of toClient.splice(0)) out.push(parseHiveMessage((await node.decrypt(frame as Uint8Array))!.body));
    return out;
  };
  return { connection, feed, answers, delivered };
}

describe("the real hivemind-core hub, recorded (ws-real.json)", () => {
  it("our prologue of its exact HELLO and HANDSHAKE frames equals hivemind_bus_client's build_prologue", () => {
    for (const [name, hex] of Object.entries(hub.prologues as Record<string, string>)) assert.equal(toHex(buildPrologue(hello, offer, name)), hex, name);
  });

  it("our PSK equals poorman_handshake's derive_psk for its node id", async () => {
    assert.equal(toHex(await derivePsk(hub.password, hello.node_id as string)), hub.psk);
  });

  it("its offer to an unpinned access key has no KKpsk0: our node takes XXpsk2 even with a pin", async () => {
    assert.deepEqual((offer.noise as { patterns: string[] }).patterns, ["XXpsk2"]);
    const pinned = await HiveMindClient.create({ password: hub.password, pinnedHubKey: hub.staticPublicKey });
    const first = (await pinned.start(hello, offer)).noise;
    assert.deepEqual([first.pattern, first.suite], ["XXpsk2", "25519_ChaChaPoly_SHA256"]);
    const aes = await HiveMindClient.create({ password: hub.password, suites: ["25519_AESGCM_SHA256"] });
    assert.equal((await aes.start(hello, offer)).noise.suite, "25519_AESGCM_SHA256");
  });

  it("it registered a cleartext HELLO sent instead of the handshake and leaked traffic to it; our hub closes it", async () => {
    const leak = hub.cleartextHelloLeak as { helloFrame: string; receivedInClear: string };
    assert.match(leak.receivedInClear, /alice-only/, "the recorded leak");
    let closedWith: [number, string] | undefined;
    let ready = false;
    const connection = await HubConnection.open({
      password: hub.password, nodeId: "hub", staticKey: new Uint8Array(32).fill(7), peer: "eve::s",
      send: () => undefined, close: (code, reason) => void (closedWith = [code, reason]), onReady: () => void (ready = true),
    });
    await assert.rejects(connection.receive(leak.helloFrame), { code: "ERR_PROTOCOL" });
    assert.equal(closedWith?.[0], 1008);
    assert.match(closedWith![1], /expected a shake message during the handshake, got "hello"/);
    assert.equal(ready, false);
  });

  it("the runs of our node against it: both patterns, both suites, bodies to 63,000 bytes, refusals and tampering", () => {
    const runs = Object.fromEntries((hub.runsOfOurNode as { case: string }[]).map((r) => [r.case, r])) as Record<string, Record<string, unknown>>;
    for (const name of ["xx-chachapoly-first-contact", "kk-chachapoly-pinned", "xx-aesgcm-first-contact", "kk-aesgcm-pinned"]) {
      const run = runs[name]!;
      assert.equal(run.speak, "hello from pmh", name);
      assert.equal(run.echo63000, true, name);
      assert.equal(run.denied, "acl_disallowed_type", name);
    }
    assert.deepEqual(runs["kk-aesgcm-pinned"]!.protocol, { pattern: "KKpsk0", suite: "25519_AESGCM_SHA256" });
    assert.equal(runs["stale-pin-kk-then-xx"]!.stalePin, true);
    assert.equal(runs["wrong-password"]!.code, "ERR_HANDSHAKE_REJECTED");
    assert.equal(runs["unknown-access-key"]!.code, "ERR_HANDSHAKE_REJECTED");
    assert.deepEqual(runs["tamper-up"]!.close, { code: 1005, reason: "" }, "the hub drops a tampered frame, without a code");
    assert.deepEqual(runs["tamper-down"]!.close, { code: 1008, reason: "decryption failed" }, "our node drops a tampered frame");
  });
});

describe("the real hivemind_bus_client, recorded (ws-real.json)", () => {
  it("its unencoded authorization, whose base64 has a +, reads back (hivemind-core's own hub refuses it)", () => {
    const url = client.authorizationUrlWithPlus as string;
    assert.ok(url.includes("+"));
    assert.deepEqual(parseAuthorization(`/${url.slice(url.indexOf("?"))}`), { useragent: client.useragent, accessKey: client.accessKeyWithPlus });
  });

  it("our hub accepts its exact HELLO and bus message, and denies a type the way hivemind-core does", async () => {
    const [helloText, busText] = client.wire as [string, string];
    const { connection, feed, answers, delivered } = await handshaken(["recognizer_loop:utterance", "test.echo"]);
    await feed(helloText);
    assert.equal(connection.ready, true);
    assert.equal(connection.sessionId, (JSON.parse(helloText).payload.session as { session_id: string }).session_id);
    await feed(busText);
    assert.equal(delivered.length, 1);
    const denied = JSON.parse(busText);
    denied.payload.type = hub.policyDenied.denied_type;
    await feed(JSON.stringify(denied));
    const [answer] = await answers();
    assert.deepEqual((answer!.payload as { data: unknown }).data, hub.policyDenied);
  });

  it("the runs of the real client against serveHiveMind and pmh hub: XXpsk2 then KKpsk0, both suites", () => {
    const runs = vectors.runs as Record<string, Record<string, unknown>>;
    for (const hubName of ["serveHiveMind", "serveHiveMind-aesgcm", "pmh-hub"]) {
      assert.equal(runs[`${hubName}/xx`]!.pattern, "XXpsk2", hubName);
      assert.equal(runs[`${hubName}/kk`]!.pattern, "KKpsk0", hubName);
    }
    assert.equal(runs["serveHiveMind/xx"]!.big_echo_ok, true);
    assert.equal(runs["pmh-hub/kk"]!.big_utt_ok, true);
    assert.deepEqual((runs["serveHiveMind/xx"]!.denied as unknown[])[0], hub.policyDenied);
  });
});

describe("the real multi-frame transport, recorded (multiframe-real.json)", async () => {
  const mf = JSON.parse(await readFile(new URL("./vectors/hivemind/multiframe-real.json", import.meta.url), "utf8"));
  const { NoiseHandShake } = await import("../src/noise/index.js");
  const { HiveMindTransport } = await import("../src/hivemind/index.js");
  const { fromHex } = await import("../src/common/bytes.js");

  it("our initiator replays the handshake with the real responder byte for byte", async () => {
    const hs = await NoiseHandShake.create({ initiator: true, psk: fromHex(mf.psk), prologue: mf.prologue, pattern: mf.protocol, staticKey: mf.initiatorStatic, ephemeralKey: fromHex(mf.initiatorEphemeral) });
    assert.equal(toHex(await hs.writeMessage()), mf.m1);
    await hs.readMessage(fromHex(mf.m2));
    assert.equal(toHex(await hs.writeMessage()), mf.m3);
  });

  it("its send_message chunks (JSON and binary, over 65,000 bytes) reassemble in HiveMindTransport", async () => {
    const hs = await NoiseHandShake.create({ initiator: true, psk: fromHex(mf.psk), prologue: mf.prologue, pattern: mf.protocol, staticKey: mf.initiatorStatic, ephemeralKey: fromHex(mf.initiatorEphemeral) });
    await hs.writeMessage();
    await hs.readMessage(fromHex(mf.m2));
    await hs.writeMessage();
    const [send, receive] = hs.split();
    receive.setNonce(BigInt(mf.theirFramesFirstNonce)); // the frames of the messages before these were not kept
    const transport = new HiveMindTransport(send, receive);
    for (const message of mf.theirMessages as { kind: string; length: number; fill: string; frames: string[] }[]) {
      assert.ok(message.length > 65000 && message.frames.length === 2, "a first chunk of 65000 bytes and a last one");
      let whole;
      for (const frame of message.frames) whole = (await transport.decrypt(fromHex(frame))) ?? whole;
      assert.equal(whole?.marker, message.kind === "json" ? 0 : 1);
      assert.equal(new TextDecoder().decode(whole!.body), message.fill.repeat(message.length));
    }
  });

  it("the recorded run: every size both ways, 65,000 bytes in one frame, 65,001 in two", () => {
    const results = mf.results as { direction: string; len: number; frames: number; ok: boolean }[];
    assert.ok(results.every((r) => r.ok));
    assert.deepEqual(results.filter((r) => r.len === 65000).map((r) => r.frames), [1, 1]);
    assert.ok(results.filter((r) => r.len === 65001).every((r) => r.frames === 2));
    assert.deepEqual(new Set(results.map((r) => r.direction)), new Set(["ours→dd5abbf", "dd5abbf→ours"]));
  });
});
