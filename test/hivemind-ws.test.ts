/**
 * HiveMind over real WebSockets on 127.0.0.1: HiveMindNode against serveHiveMind, both
 * patterns and suites, chunked bodies, refusals, a dead hub, tampering, a stale pin,
 * the allowedTypes policy and the failed-handshake limits.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import WebSocket, { WebSocketServer } from "ws";
import { toHex } from "../src/common/bytes.js";
import { HiveMindNode, type HiveMessage, type HiveMindNodeOptions, type WebSocketConstructor } from "../src/hivemind/node/index.js";
import { type HiveMindConnectedClient, type HiveMindRefusal, NOT_READING_REASON, serveHiveMind, type ServeHiveMindOptions, X25519PinStore } from "../src/node/index.js";
import { guess, helloThenGone, smuggledUtterances } from "./helpers/hivemind-raw.js";

const folder = await mkdtemp(join(tmpdir(), "pmh-hivemind-ws-"));
after(() => rm(folder, { recursive: true, force: true }));

const ALICE = { accessKey: "alice+key/==", password: "alice password", name: "alice" };
const BOB = { accessKey: "bob-key", password: "bob password", name: "bob", allowedTypes: ["recognizer_loop:utterance"] };
const CAROL = { accessKey: "carol-key", password: "carol password", name: "carol", allowedTypes: ["speak"] };

/** Counts events; `reach(n)` resolves once `n` have happened. */
function counter<T>() {
  const seen: T[] = [];
  const waiters: [number, () => void][] = [];
  return {
    seen,
    add(value: T) {
      seen.push(value);
      for (const [n, resolve] of waiters) if (seen.length >= n) resolve();
    },
    reach: (n: number) => new Promise<void>((resolve) => (seen.length >= n ? resolve() : waiters.push([n, resolve]))),
  };
}

/** A hub that echoes every utterance as `speak`, closed after the test. */
async function echoHub(t: { after(fn: () => unknown): void }, extra: Partial<ServeHiveMindOptions> = {}) {
  const received: Required<HiveMessage>[] = [];
  const connects = counter<HiveMindConnectedClient>();
  const refusals = counter<HiveMindRefusal>();
  const hub = await serveHiveMind({
    clients: [ALICE, BOB, CAROL],
    onConnect: (client) => connects.add(client),
    onRefused: (refusal) => refusals.add(refusal),
    onMessage(client, message) {
      received.push(message);
      const payload = message.payload as { type?: string; data?: { utterances?: string[] } };
      if (payload.type === "recognizer_loop:utterance") void client.sendBus("speak", { utterance: payload.data?.utterances?.[0] ?? "" });
    },
    ...extra,
  });
  t.after(() => hub.close());
  return { hub, received, connects, refusals };
}

function nextMessage(node: HiveMindNode, type?: string): Promise<Required<HiveMessage>> {
  return new Promise((resolve) => {
    const listener = (message: Required<HiveMessage>) => {
      if (type !== undefined && (message.payload as { type?: string }).type !== type) return;
      node.off("message", listener);
      resolve(message);
    };
    node.on("message", listener);
  });
}

const closed = (node: HiveMindNode) => new Promise<{ code: number; reason: string }>((resolve) => node.on("close", resolve));

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Error> {
  const error = await promise.then(() => assert.fail(`expected ${code}`), (e: Error & { code?: string }) => e);
  assert.equal((error as { code?: string }).code, code, String(error));
  return error;
}

/** A WebSocket client bound to another loopback source address (the flood's attacker). */
function fromAddress(address: string): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { localAddress: address });
    }
  } as unknown as WebSocketConstructor;
}

describe("HiveMindNode <-> serveHiveMind over WebSockets", () => {
  for (const suite of ["25519_ChaChaPoly_SHA256", "25519_AESGCM_SHA256"] as const) {
    it(`${suite}: XXpsk2 first contact pins both ways, then KKpsk0 with the pins; 200 kB bodies both ways`, async (t) => {
      const pinStore = new X25519PinStore(join(folder, `pins-${suite}.json`));
      const { hub, received, connects } = await echoHub(t, { pinStore });
      const options: HiveMindNodeOptions = { ...ALICE, suites: [suite], staticKey: new Uint8Array(32).fill(7), siteId: "kitchen" };
      const first = await HiveMindNode.connect(hub.url, options);
      assert.deepEqual(first.protocol, { pattern: "XXpsk2", suite });
      assert.deepEqual(first.remoteStaticKey, hub.publicKey);
      assert.equal(first.stalePin, false);
      assert.equal(first.handshakeHash.length, 32);
      await connects.reach(1); // connect resolves once the HELLO is sent; the hub reads it a moment later
      assert.deepEqual(await pinStore.get("alice"), first.staticPublicKey, "the hub pinned the node on first contact");
      const big = "é".repeat(100_000); // 200 000 UTF-8 bytes: four frames
      const reply = nextMessage(first, "speak");
      await first.sendBus("recognizer_loop:utterance", { utterances: [big] });
      const speak = (await reply).payload as { data: { utterance: string } };
      assert.equal(speak.data.utterance, big);
      const inbound = received.at(-1)!.payload as { context: { session: { session_id: string; site_id: string } } };
      assert.deepEqual(inbound.context.session, { session_id: first.sessionId, site_id: "kitchen" });
      first.close();

      const second = await HiveMindNode.connect(hub.url, { ...options, pinnedHubKey: first.remoteStaticKey });
      assert.deepEqual(second.protocol, { pattern: "KKpsk0", suite });
      assert.equal(second.stalePin, false);
      assert.notEqual(second.sessionId, first.sessionId);
      const again = nextMessage(second, "speak");
      await second.sendBus("recognizer_loop:utterance", { utterances: ["hello"] });
      assert.equal(((await again).payload as { data: { utterance: string } }).data.utterance, "hello");
      const bye = closed(second);
      second.close();
      assert.equal((await bye).code, 1000);
    });
  }

  it("the hub sees connected clients, broadcasts, and reports disconnects", async (t) => {
    const gone = counter<{ code: number }>();
    const { hub, connects } = await echoHub(t, { onDisconnect: (_c, e) => gone.add(e) });
    const node = await HiveMindNode.connect(hub.url, { ...ALICE, sessionId: "s-1", siteId: "attic" });
    await connects.reach(1);
    assert.equal(hub.clients.size, 1);
    const [client] = [...hub.clients];
    assert.equal(client!.name, "alice");
    assert.equal(client!.sessionId, "s-1");
    assert.equal(client!.siteId, "attic");
    assert.equal(client!.peer, "poorman-handshake::alice::s-1");
    assert.deepEqual(client!.remoteStaticKey, node.staticPublicKey);
    const message = nextMessage(node);
    await hub.broadcast({ msg_type: "bus", payload: { type: "hello.everyone", data: {}, context: {} } });
    assert.equal(((await message).payload as { type: string }).type, "hello.everyone");
    node.close(1000, "done");
    await gone.reach(1);
    assert.equal(gone.seen[0]!.code, 1000);
    assert.equal(hub.clients.size, 0);
  });

  it("a wrong password is refused (the node notices at message 2 of XXpsk2)", async (t) => {
    const { hub } = await echoHub(t);
    const error = await rejectsWith(HiveMindNode.connect(hub.url, { ...ALICE, password: "wrong" }), "ERR_HANDSHAKE_REJECTED");
    assert.equal(error.name, "HandshakeRejectedError");
  });

  it("an unknown access key is closed with 1008 and a reason; the node rejects with ERR_HANDSHAKE_REJECTED", async (t) => {
    const { hub } = await echoHub(t);
    const error = await rejectsWith(HiveMindNode.connect(hub.url, { accessKey: "nobody", password: "x" }), "ERR_HANDSHAKE_REJECTED");
    assert.match(error.message, /1008: unknown access key/);
    const raw = new WebSocket(`${hub.url}/?authorization=${encodeURIComponent(Buffer.from("ua:nobody").toString("base64"))}`);
    const [code, reason] = await new Promise<[number, string]>((resolve) => raw.on("close", (c, r) => resolve([c, r.toString()])));
    assert.deepEqual([code, reason], [1008, "unknown access key"]);
    const bad = new WebSocket(`${hub.url}/?authorization=not*base64`);
    const badClose = await new Promise<[number, string]>((resolve) => bad.on("close", (c, r) => resolve([c, r.toString()])));
    assert.equal(badClose[0], 1008);
    assert.match(badClose[1], /invalid authorization/);
  });

  it("reads the real client's unencoded authorization (a + arrives as a space)", async (t) => {
    const { hub } = await echoHub(t);
    const value = Buffer.from(`ua:${ALICE.accessKey}`).toString("base64");
    assert.ok(value.includes("+") || ALICE.accessKey.includes("+"));
    const raw = new WebSocket(`${hub.url}/?authorization=${value}`); // no URL encoding, as the Python client
    const first = await new Promise<string>((resolve, reject) => {
      raw.once("message", (data) => resolve(data.toString()));
      raw.once("close", (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)));
    });
    assert.equal(JSON.parse(first).msg_type, "hello");
    raw.close();
  });

  it("a dead hub (accepts TCP, never answers) rejects with ERR_TIMEOUT within timeoutMs", async (t) => {
    const sockets: Socket[] = [];
    const dead = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
    t.after(() => {
      sockets.forEach((s) => s.destroy());
      dead.close();
    });
    const { port } = dead.address() as { port: number };
    // 1 s: long enough for a slow machine to accept the connection before the node gives up.
    await rejectsWith(HiveMindNode.connect(`ws://127.0.0.1:${port}`, { ...ALICE, timeoutMs: 1000 }), "ERR_TIMEOUT");
    assert.ok(sockets.length >= 1, "the node did reach the dead hub");
  });

  it("nothing listening rejects with ERR_NETWORK", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    await rejectsWith(HiveMindNode.connect(`ws://127.0.0.1:${port}`, ALICE), "ERR_NETWORK");
  });

  it("refuses bad options with ERR_INVALID_ARGUMENT", async () => {
    await rejectsWith(HiveMindNode.connect("http://127.0.0.1:1", ALICE), "ERR_INVALID_ARGUMENT");
    await rejectsWith(HiveMindNode.connect("ws://127.0.0.1:1", { ...ALICE, sessionId: "default" }), "ERR_INVALID_ARGUMENT");
    await rejectsWith(HiveMindNode.connect("ws://127.0.0.1:1", { ...ALICE, useragent: "a:b" }), "ERR_INVALID_ARGUMENT");
    await rejectsWith(HiveMindNode.connect("ws://127.0.0.1:1", { ...ALICE, timeoutMs: 0 }), "ERR_INVALID_ARGUMENT");
  });

  for (const direction of ["hub->node", "node->hub"] as const) {
    it(`a tampered transport frame (${direction}) is fatal: closed with 1008`, async (t) => {
      const { hub } = await echoHub(t);
      const proxy = await tamperingProxy(hub.url, direction);
      t.after(() => proxy.close());
      const node = await HiveMindNode.connect(proxy.url, ALICE);
      const end = closed(node);
      await node.sendBus("recognizer_loop:utterance", { utterances: ["tamper me"] });
      const event = await end;
      assert.equal(event.code, 1008);
      if (direction === "hub->node") assert.match(event.reason, /decryption failed/);
    });
  }

  it("a stale pin: KKpsk0 refused, one more try with XXpsk2 on a fresh connection, stalePin set", async (t) => {
    const staticKey = new Uint8Array(32).fill(9);
    const probe = await HiveMindNode.connect((await echoHub(t)).hub.url, { ...ALICE, staticKey });
    const nodePublic = probe.staticPublicKey;
    probe.close();
    const { hub } = await echoHub(t, { clients: [{ ...ALICE, pinnedKey: toHex(nodePublic) }] });
    const node = await HiveMindNode.connect(hub.url, { ...ALICE, staticKey, pinnedHubKey: new Uint8Array(32).fill(1) });
    assert.equal(node.stalePin, true);
    assert.equal(node.protocol.pattern, "XXpsk2");
    assert.deepEqual(node.remoteStaticKey, hub.publicKey);
    node.close();
  });

  it("a client key that contradicts its pin is refused with 1008", async (t) => {
    const { hub, refusals } = await echoHub(t, { clients: [{ ...ALICE, pinnedKey: "11".repeat(32) }] });
    // The hub offers KKpsk0 (it has a pin); this node has no hub pin, so XXpsk2, and the
    // hub sees the contradicting key after message 3, when the node has sent its HELLO.
    const node = await HiveMindNode.connect(hub.url, ALICE);
    const event = await closed(node);
    assert.equal(event.code, 1008);
    assert.match(event.reason, /does not match the pin of alice/);
    await refusals.reach(1);
    assert.equal(hub.clients.size, 0);
  });

  it("a bus type outside allowedTypes is not delivered; the client gets hive.policy.denied", async (t) => {
    const { hub, received } = await echoHub(t);
    const node = await HiveMindNode.connect(hub.url, BOB);
    const denied = nextMessage(node, "hive.policy.denied");
    await node.sendBus("speak", { utterance: "not allowed" });
    const answer = (await denied).payload as { data: { denied_type: string; code: string; reason: string; data: unknown }; context: { source: string } };
    // The shape hivemind-core's MessageTypeACLPolicy answers with (test/vectors/hivemind/ws-real.json).
    assert.equal(answer.data.denied_type, "speak");
    assert.equal(answer.data.code, "acl_disallowed_type");
    assert.equal(answer.data.reason, "speak not in allowed_types");
    assert.deepEqual(answer.data.data, { msg_type: "speak", allowed: ["recognizer_loop:utterance"] });
    assert.equal(answer.context.source, "hivemind-core");
    const echoed = nextMessage(node, "speak");
    await node.sendBus("recognizer_loop:utterance", { utterances: ["allowed"] });
    await echoed;
    assert.deepEqual(received.map((m) => (m.payload as { type: string }).type), ["recognizer_loop:utterance"]);
    node.close();
  });

  it("allowedTypes applies to the message any envelope carries; unknown envelopes are refused", async (t) => {
    // An admin (broadcast from anyone else disconnects), allowed only speak.
    const { hub, received } = await echoHub(t, { clients: [{ ...CAROL, isAdmin: true }], siteId: "hub-site" });
    const node = await HiveMindNode.connect(hub.url, CAROL);
    const attempts = smuggledUtterances(node.sessionId);
    const denials: Required<HiveMessage>[] = [];
    node.on("message", (m) => void ((m.payload as { type?: string }).type === "hive.policy.denied" && denials.push(m)));
    for (const attempt of attempts) await node.send(attempt);
    // A speak in a wrapper goes through; once it is seen, every earlier attempt was handled.
    const seen = new Promise<void>((resolve) => {
      const poll = setInterval(() => received.some((m) => JSON.stringify(m).includes("allowed speak")) && (clearInterval(poll), resolve()), 5);
    });
    // Delivered locally because it targets the hub's site.
    await node.send({ msg_type: "propagate", payload: { msg_type: "bus", payload: { type: "speak", data: { utterance: "allowed speak" }, context: {} } }, target_site_id: "hub-site" });
    await seen;
    assert.ok(!received.some((m) => JSON.stringify(m).includes("smuggled")), `passed on: ${received.map((m) => m.msg_type).join(", ")}`);
    while (denials.length < attempts.length) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(denials.length, attempts.length);
    node.close();
  });

  it("peers are unique, and set by the hub on everything it passes on (context.peer = source = client.peer)", async (t) => {
    const { hub, received, connects } = await echoHub(t);
    const same = { useragent: "twin", sessionId: "shared-session" };
    const a = await HiveMindNode.connect(hub.url, { ...ALICE, ...same });
    const b = await HiveMindNode.connect(hub.url, { ...BOB, ...same });
    const c = await HiveMindNode.connect(hub.url, { ...ALICE, ...same });
    await connects.reach(3);
    const peers = connects.seen.map((client) => client.peer);
    assert.equal(new Set(peers).size, 3, `peers: ${peers.join(" | ")}`);
    const forged = { peer: peers[1], source: peers[1], session: { session_id: "shared-session" } };
    await a.send({ msg_type: "shared_bus", payload: { type: "x.shared", data: {}, context: forged } });
    await a.sendBus("recognizer_loop:utterance", { utterances: ["hi"] }, { peer: peers[1], source: peers[1] });
    while (received.length < 2) await new Promise((resolve) => setImmediate(resolve));
    for (const message of received) {
      const context = (message.payload as { context: Record<string, unknown> }).context;
      assert.equal(context.peer, peers[0], message.msg_type);
      assert.equal(context.source, peers[0], message.msg_type);
      assert.equal(message.source_peer, peers[0], message.msg_type);
    }
    for (const node of [a, b, c]) node.close();
  });

  it("failed handshakes are limited per access key (then 1013), other keys unaffected", async (t) => {
    const { hub, refusals } = await echoHub(t, { rateLimit: { perKey: 3, perAddress: 1000 } });
    for (let i = 0; i < 3; i++) await rejectsWith(HiveMindNode.connect(hub.url, { ...ALICE, password: "wrong" }), "ERR_HANDSHAKE_REJECTED");
    await refusals.reach(3); // the hub counts each once it sees the node leave
    const error = await rejectsWith(HiveMindNode.connect(hub.url, ALICE), "ERR_HANDSHAKE_REJECTED");
    assert.match(error.message, /1013/);
    const bob = await HiveMindNode.connect(hub.url, BOB);
    bob.close();
  });

  it("concurrent wrong-password handshakes on one key, from 3 addresses, get no more answers than the per-key limit", async (t) => {
    const { hub } = await echoHub(t, { rateLimit: { perKey: 10, perAddress: 1000 } });
    const addresses = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => guess(hub.url, ALICE.accessKey, "wrong guess", addresses[i % 3]!)));
    const answered = outcomes.filter((o) => o === "answered").length;
    assert.ok(answered <= 10, `${answered} of 60 concurrent guesses were answered`);
    assert.ok(outcomes.filter((o) => o !== "answered").every((code) => code === 1013), JSON.stringify(outcomes));
    // The honest owner gets in once the window allows; here the guesses used up the key's window.
    const error = await rejectsWith(HiveMindNode.connect(hub.url, ALICE), "ERR_HANDSHAKE_REJECTED");
    assert.match(error.message, /1013/);
  });

  it("clients that leave right after their HELLO leave no ghost, and do not spend the key's failures", async (t) => {
    const gone = counter<unknown>();
    const { hub, connects } = await echoHub(t, { rateLimit: { perKey: 3 }, onDisconnect: (c) => gone.add(c) });
    for (let i = 0; i < 20; i++) await helloThenGone(hub.url, ALICE.accessKey, ALICE.password);
    await gone.reach(connects.seen.length);
    assert.equal(hub.clients.size, 0);
    assert.equal(gone.seen.length, connects.seen.length, "an onDisconnect for every onConnect");
    const node = await HiveMindNode.connect(hub.url, ALICE); // not locked out with 1013
    node.close();
  });

  it("handshakes in progress are capped per address (1013), and a slot frees when one ends", async (t) => {
    const { hub, refusals } = await echoHub(t, { rateLimit: { maxPendingPerAddress: 2 } });
    const auth = encodeURIComponent(Buffer.from(`ua:${ALICE.accessKey}`).toString("base64"));
    const idle = async () => {
      const raw = new WebSocket(`${hub.url}/?authorization=${auth}`);
      await new Promise((resolve) => raw.once("message", resolve)); // the HELLO: the hub has it pending
      return raw;
    };
    const [a, b] = [await idle(), await idle()];
    const third = new WebSocket(`${hub.url}/?authorization=${auth}`);
    const [code, reason] = await new Promise<[number, string]>((resolve) => third.on("close", (c, r) => resolve([c, r.toString()])));
    assert.deepEqual([code, reason], [1013, "too many handshakes in progress from this address; try again later"]);
    await refusals.reach(1); // the third, refused up front
    a.close();
    await refusals.reach(2); // the hub saw a leave (its slot is free by then)
    const node = await HiveMindNode.connect(hub.url, ALICE);
    node.close();
    b.close();
  });

  it("failed handshakes are limited per address: a flood from 127.0.0.2 is refused while honest clients on 127.0.0.1 all succeed", async (t) => {
    const { hub, refusals } = await echoHub(t, { rateLimit: { perKey: 1000, perAddress: 5 } });
    const attacker = fromAddress("127.0.0.2");
    const ROUNDS = 30;
    let honest = 0;
    const codes = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const bad = [0, 1, 2].map(() =>
        HiveMindNode.connect(hub.url, { ...BOB, password: "guess", WebSocket: attacker }).then(
          () => assert.fail("a bad handshake succeeded"),
          (e: Error & { code?: string }) => codes.set(e.code!, (codes.get(e.code!) ?? 0) + 1),
        ),
      );
      const good = HiveMindNode.connect(hub.url, ALICE).then((node) => {
        honest++;
        node.close();
      }, () => undefined);
      await Promise.all([...bad, good]);
    }
    assert.ok(honest >= ROUNDS * 0.9, `honest successes ${honest}/${ROUNDS}`);
    assert.equal(honest, ROUNDS);
    assert.deepEqual([...codes.keys()], ["ERR_HANDSHAKE_REJECTED"]);
    await refusals.reach(3 * ROUNDS);
    assert.ok(refusals.seen.every((r) => r.address === "127.0.0.2"), "no honest connection was refused");
    assert.ok(refusals.seen.filter((r) => /try again later/.test(r.reason)).length >= 3 * ROUNDS - 10, "past its 5 failures the address is refused up front");
    // Once blocked, the attacker's address is refused before any handshake work.
    const late = await rejectsWith(HiveMindNode.connect(hub.url, { ...BOB, WebSocket: attacker }), "ERR_HANDSHAKE_REJECTED");
    assert.match(late.message, /1013/);
  });
});

describe("serveHiveMind's memory and connection bounds", () => {
  it("a message over maxMessageBytes is closed with 1009; smaller ones pass", async (t) => {
    const { hub, received } = await echoHub(t, { maxMessageBytes: 100_000, maxReassemblyBytes: 150_000 });
    const node = await HiveMindNode.connect(hub.url, ALICE);
    const gone = closed(node);
    await node.sendBus("x.fits", { pad: "a".repeat(90_000) });
    await node.sendBus("x.too.big", { pad: "a".repeat(120_000) });
    assert.equal((await gone).code, 1009);
    assert.deepEqual(received.map((m) => (m.payload as { type: string }).type), ["x.fits"]);
  });

  it("connections that never upgrade are capped (maxConnections) and closed after upgradeTimeoutMs", async (t) => {
    // 1 s: the last, real connect must upgrade within it on a slow machine too.
    const { hub } = await echoHub(t, { maxConnections: 2, upgradeTimeoutMs: 1000 });
    const { connect } = await import("node:net");
    const open = () => {
      const socket = connect(hub.port, "127.0.0.1");
      socket.on("error", () => undefined);
      // Flowing, so the hub's FIN is read and "close" follows: a paused socket that never reads
      // would not notice the hub closed it, and the test would wait forever.
      socket.resume();
      const ended = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      return { socket, ended };
    };
    const idle = [open(), open()];
    await Promise.all(idle.map(({ socket }) => new Promise((resolve) => socket.once("connect", resolve))));
    const third = open();
    await third.ended; // dropped at once: two connections are open
    await Promise.all(idle.map(({ ended }) => ended)); // the upgrade timeout ends the idle two
    const node = await HiveMindNode.connect(hub.url, ALICE);
    node.close();
  });

  it("refuses bad limits, naming them", async () => {
    for (const [name, value] of [["maxMessageBytes", 0], ["maxMessageBytes", 64 * 1024 * 1024], ["maxReassemblyBytes", 0], ["maxConnections", 1.5], ["upgradeTimeoutMs", -1]] as const) {
      await assert.rejects(serveHiveMind({ clients: [ALICE], [name]: value }), { code: "ERR_INVALID_ARGUMENT", message: new RegExp(name) });
    }
  });
});

describe("serveHiveMind and a client that stops reading", () => {
  it("closes it with 1008 once maxUnreadBytes are queued, instead of queueing without bound", async (t) => {
    const sockets: WebSocket[] = [];
    const recording = class extends WebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    } as unknown as WebSocketConstructor;
    const maxUnreadBytes = 256 * 1024;
    const refusedClose = counter<{ code: number; reason: string }>();
    const { hub, connects } = await echoHub(t, { maxUnreadBytes, onDisconnect: (_client, event) => refusedClose.add(event) });
    const node = await HiveMindNode.connect(hub.url, { ...ALICE, WebSocket: recording });
    t.after(() => node.close());
    await connects.reach(1);
    const [client] = connects.seen;
    sockets[0]!.pause(); // the node's socket stops reading: frames pile up in the hub's send buffer
    const body = "x".repeat(60_000);
    // Bounded: far more than maxUnreadBytes plus the socket buffers, a few hundred frames at most.
    for (let i = 0; i < 400 && refusedClose.seen.length === 0; i++) await client!.sendBus("speak", { utterance: body }).catch(() => undefined);
    sockets[0]!.resume();
    await refusedClose.reach(1);
    assert.equal(refusedClose.seen[0]!.code, 1008);
    assert.equal(refusedClose.seen[0]!.reason, NOT_READING_REASON);
  });

  it("refuses a maxUnreadBytes that is not a positive integer, naming it", async () => {
    await assert.rejects(serveHiveMind({ clients: [ALICE], maxUnreadBytes: 0 }), /options\.maxUnreadBytes/);
  });
});

/** A WebSocket relay that flips one byte of the first binary frame in one direction. */
async function tamperingProxy(target: string, direction: "hub->node" | "node->hub") {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", resolve));
  server.on("connection", (inbound, request) => {
    const outbound = new WebSocket(`${target}${request.url ?? "/"}`);
    let flipped = false;
    const flip = (data: Buffer, isBinary: boolean, tamper: boolean) => {
      if (!isBinary || !tamper || flipped) return data;
      flipped = true;
      const copy = Buffer.from(data);
      copy[copy.length - 1]! ^= 1;
      return copy;
    };
    const pending: [Buffer, boolean][] = [];
    outbound.on("open", () => pending.splice(0).forEach(([d, b]) => outbound.send(d, { binary: b })));
    inbound.on("message", (data: Buffer, isBinary) => {
      // The node's HELLO is its first binary frame; tamper with the one after it.
      const tamper = direction === "node->hub" && isBinary && (inbound as unknown as { seen?: number }).seen !== undefined;
      if (isBinary) (inbound as unknown as { seen?: number }).seen = 1;
      const out = flip(data, isBinary, tamper);
      if (outbound.readyState === WebSocket.OPEN) outbound.send(out, { binary: isBinary });
      else pending.push([out, isBinary]);
    });
    outbound.on("message", (data: Buffer, isBinary) => inbound.send(flip(data, isBinary, direction === "hub->node"), { binary: isBinary }));
    inbound.on("close", (code, reason) => outbound.close(code === 1005 || code === 1006 ? 1000 : code, reason));
    outbound.on("close", (code, reason) => inbound.close(code === 1005 || code === 1006 ? 1000 : code, reason));
    outbound.on("error", () => undefined);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      for (const c of server.clients) c.terminate();
      server.close(() => resolve());
    }),
  };
}
