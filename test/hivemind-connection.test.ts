/**
 * The pieces of a HiveMind connection without sockets: the authorization, the
 * HiveMessage envelope, the hub-side connection state machine and the failure limiter.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { HiveMindClient } from "../src/hivemind/client.js";
import { HubConnection, type HubConnectionOptions } from "../src/hivemind/hub-connection.js";
import { ReassemblyBudget } from "../src/hivemind/transport.js";
import {
  authorizationUrl, busMessage, encodeAuthorization, parseAuthorization, parseHiveMessage, serializeHiveMessage,
} from "../src/hivemind/index.js";
import { FailureLimiter } from "../src/hivemind/node/limiter.js";

describe("HiveMind authorization", () => {
  it("is base64 of useragent:access_key, URL-encoded in the URL", () => {
    assert.equal(encodeAuthorization("ua", "key"), "dWE6a2V5");
    const url = authorizationUrl("ws://127.0.0.1:5678", "ua", "k>?");
    assert.equal(url, "ws://127.0.0.1:5678/?authorization=dWE6az4%2F");
    assert.deepEqual(parseAuthorization(new URL(url).pathname + new URL(url).search), { useragent: "ua", accessKey: "k>?" });
  });

  it("round-trips URL-encoded and unencoded (+ as space) values", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((s) => !s.includes(":")), fc.string({ minLength: 1 }), (useragent, accessKey) => {
        const value = encodeAuthorization(useragent, accessKey);
        const expected = { useragent, accessKey };
        assert.deepEqual(parseAuthorization(`/?authorization=${encodeURIComponent(value)}`), expected);
        // The Python client's form: its + reaches the query decoder raw and comes out a space.
        assert.deepEqual(parseAuthorization(`/?authorization=${value}`), expected);
      }),
    );
  });

  it("refuses what hivemind-core refuses", () => {
    const b64 = (text: string) => encodeURIComponent(Buffer.from(text).toString("base64"));
    for (const url of ["/", "/?authorization=", "/?authorization=***", `/?authorization=${b64("nocolon")}`, `/?authorization=${b64(":key")}`, `/?authorization=${b64("ua:")}`, "/?authorization=/w==" /* not UTF-8 */]) {
      assert.throws(() => parseAuthorization(url), { code: "ERR_HANDSHAKE_REJECTED" }, url);
    }
    assert.throws(() => encodeAuthorization("a:b", "k"), { code: "ERR_INVALID_ARGUMENT" });
    assert.throws(() => authorizationUrl("http://x", "a", "k"), { code: "ERR_INVALID_ARGUMENT" });
  });
});

describe("HiveMessage", () => {
  it("writes every wire field, with hivemind_bus_client's defaults", () => {
    assert.deepEqual(JSON.parse(serializeHiveMessage(busMessage("speak", { utterance: "hi" }))), {
      msg_type: "bus", payload: { type: "speak", data: { utterance: "hi" }, context: {} },
      metadata: {}, route: [], node: null, target_site_id: null, target_pubkey: null, source_peer: null,
    });
  });

  it("parses JSON text or UTF-8 bytes, refusing anything else with ERR_PROTOCOL", () => {
    assert.equal(parseHiveMessage(new TextEncoder().encode('{"msg_type":"ping","payload":{}}')).msg_type, "ping");
    for (const bad of ["[]", "{}", '{"msg_type":1}', "not json", '{"msg_type":"bus","route":{}}']) {
      assert.throws(() => parseHiveMessage(bad), { code: "ERR_PROTOCOL" }, bad);
    }
    assert.throws(() => parseHiveMessage(Uint8Array.of(0xff)), { code: "ERR_PROTOCOL" });
    assert.throws(() => serializeHiveMessage({ msg_type: "" , payload: {} }), { code: "ERR_INVALID_ARGUMENT" });
    assert.throws(() => busMessage("x", [] as unknown as Record<string, unknown>), { code: "ERR_INVALID_ARGUMENT" });
  });
});

/** A hub connection and a client wired in memory; returns what the hub closed with. */
async function inMemory(hello: Record<string, unknown>, { closeAfterTicks = -1, closeDuringOnHandshake = false, limits = {} as Partial<HubConnectionOptions> } = {}) {
  const toClient: (string | Uint8Array)[] = [];
  let closedWith: [number, string] | undefined;
  const password = "pw";
  const events: string[] = [];
  const hub: HubConnection = await HubConnection.open({
    password, nodeId: "hub", staticKey: new Uint8Array(32).fill(3), peer: "ua::x",
    send: (frame) => void toClient.push(frame),
    close: (code, reason) => void (closedWith = [code, reason]),
    onReady: () => void events.push("ready"),
    // A pin store on disk: the client's close event arrives while the pin is written.
    onHandshake: closeDuringOnHandshake ? () => new Promise<void>((resolve) => setImmediate(() => (hub.closed(), resolve()))) : undefined,
    ...limits,
  });
  const client = await HiveMindClient.create({ password });
  const [helloFrame, shake] = toClient.splice(0).map((f) => JSON.parse(f as string));
  const m1 = await client.start(helloFrame.payload, shake.payload);
  await hub.receive(JSON.stringify({ msg_type: "shake", payload: m1 }));
  const m3 = await client.receive(JSON.parse(toClient.shift() as string).payload);
  // The client sends its HELLO right after m3, as a real one does: both frames queue at the hub.
  const shaken = hub.receive(JSON.stringify({ msg_type: "shake", payload: m3 }));
  const [frame] = await client.encrypt(0, JSON.stringify({ msg_type: "hello", payload: hello }));
  const received = hub.receive(frame!);
  await shaken;
  let closedEarly = false;
  if (closeAfterTicks >= 0) {
    // The client leaves after a few microtask turns, while its HELLO may still be decrypted.
    for (let i = 0; i < closeAfterTicks; i++) await null;
    closedEarly = events.length === 0;
    if (closedEarly) hub.closed();
  }
  const result = await received.then(() => "accepted", (e: Error & { code: string }) => e.code);
  return { result, closedWith: () => closedWith, hub, events, closedEarly, client };
}

describe("HubConnection (sans-I/O)", () => {
  it("accepts a HELLO with a session id", async () => {
    const { result, hub } = await inMemory({ session: { session_id: "abc", site_id: "s" }, site_id: "s" });
    assert.equal(result, "accepted");
    assert.equal(hub.ready, true);
    assert.equal(hub.sessionId, "abc");
  });

  it("messages being reassembled share one byte budget across connections: past it, 1013; over maxMessageBytes, 1009", async () => {
    const budget = new ReassemblyBudget(300_000);
    const limits = { reassemblyBudget: budget, maxMessageBytes: 250_000 };
    const session = { session: { session_id: "abc" } };
    const big = (n: number) => JSON.stringify({ msg_type: "bus", payload: { type: "x", data: { pad: "a".repeat(n) }, context: {} } });
    const a = await inMemory(session, { limits });
    const b = await inMemory(session, { limits });
    const framesA = await a.client.encrypt(0, big(200_000));
    for (const frame of framesA.slice(0, -1)) await a.hub.receive(frame);
    assert.ok(budget.used >= 195_000 && budget.used <= 200_100, `${budget.used} bytes held for a's unfinished message`);
    // b's message would take the budget past 300,000 bytes while a's is held.
    const framesB = await b.client.encrypt(0, big(200_000));
    const refused = await (async () => {
      for (const frame of framesB) await b.hub.receive(frame);
    })().then(() => "accepted", (e: Error & { code: string }) => e.code);
    assert.equal(refused, "ERR_PROTOCOL");
    assert.equal(b.closedWith()?.[0], 1013);
    assert.ok(budget.used <= 200_100, "b's chunks were given back");
    // a finishes: its bytes are given back.
    await a.hub.receive(framesA.at(-1)!);
    assert.equal(budget.used, 0);
    // Over maxMessageBytes: 1009, whatever the budget.
    const c = await inMemory(session, { limits });
    const tooBig = (async () => {
      for (const frame of await c.client.encrypt(0, big(260_000))) await c.hub.receive(frame);
    })().then(() => "accepted", (e: Error & { code: string }) => e.code);
    assert.equal(await tooBig, "ERR_PROTOCOL");
    assert.equal(c.closedWith()?.[0], 1009);
    assert.equal(budget.used, 0);
    // A connection closed mid-message gives its bytes back.
    const d = await inMemory(session, { limits });
    const framesD = await d.client.encrypt(0, big(100_000));
    await d.hub.receive(framesD[0]!);
    assert.ok(budget.used > 0);
    d.hub.closed();
    assert.equal(budget.used, 0);
  });

  it("a client that leaves while its key is being pinned is never ready, though its HELLO was already queued (no ghost client)", async () => {
    const { hub, events } = await inMemory({ session: { session_id: "abc", site_id: "s" } }, { closeDuringOnHandshake: true });
    assert.equal(hub.ready, false);
    assert.deepEqual(events, [], "onReady fired after closed()");
  });

  it("a client that leaves while its HELLO is decrypted is never ready (no ghost client), whenever it leaves", async () => {
    let raced = 0;
    for (let ticks = 0; ticks <= 40; ticks++) {
      const { hub, events, closedEarly } = await inMemory({ session: { session_id: "abc", site_id: "s" } }, { closeAfterTicks: ticks });
      if (!closedEarly) break;
      raced++;
      assert.equal(hub.ready, false, `closed after ${ticks} microtask turns`);
      assert.deepEqual(events, [], `onReady fired after closed() (closed after ${ticks} microtask turns)`);
    }
    assert.ok(raced > 1, "the close landed inside the HELLO's processing at least once");
  });

  for (const [name, hello] of [["the default session", { session: { session_id: "default" } }], ["no session", {}]] as const) {
    it(`closes a HELLO with ${name} with 1008`, async () => {
      const { result, closedWith, hub } = await inMemory(hello);
      assert.equal(result, "ERR_HANDSHAKE_REJECTED");
      assert.equal(closedWith()?.[0], 1008);
      assert.match(closedWith()![1], /session_id other than "default"/);
      assert.equal(hub.ready, false);
    });
  }
});

describe("FailureLimiter", () => {
  it("blocks a key after maxFailures in a window, and forgets it after the window", () => {
    let now = 0;
    const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 1000, maxTracked: 10 }, () => now);
    for (let i = 0; i < 3; i++) {
      assert.equal(limiter.blocked("a"), false);
      limiter.fail("a");
    }
    assert.equal(limiter.blocked("a"), true);
    assert.equal(limiter.blocked("b"), false);
    now = 1000;
    assert.equal(limiter.blocked("a"), false);
  });

  it("reserved attempts count until settled: a success frees its slot, a failure keeps it", () => {
    let now = 0;
    const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 1000, maxTracked: 10 }, () => now);
    assert.deepEqual([0, 1, 2, 3].map(() => limiter.reserve("k")), [true, true, true, false]);
    limiter.settle("k", false);
    assert.equal(limiter.reserve("k"), true);
    limiter.settle("k", true);
    limiter.settle("k", true);
    assert.equal(limiter.reserve("k"), false, "two failures and one attempt in progress");
    now = 1000; // a new window: the failures are forgotten, the attempt in progress is not
    assert.deepEqual([0, 1, 2].map(() => limiter.reserve("k")), [true, true, false]);
    for (let i = 0; i < 3; i++) limiter.settle("k", false);
    assert.equal(limiter.size, 0);
  });

  it("keeps at most maxTracked keys, whatever the flood", () => {
    const limiter = new FailureLimiter({ maxFailures: 2, windowMs: 60_000, maxTracked: 100 });
    for (let i = 0; i < 10_000; i++) limiter.fail(`key-${i}`);
    assert.equal(limiter.size, 100);
    limiter.fail("key-9999");
    assert.equal(limiter.blocked("key-9999"), true, "the most recent keys are kept");
    assert.equal(limiter.blocked("key-0"), false, "the oldest were forgotten");
  });
});

describe("recorded interop with Python (test/vectors/hivemind/ws-interop.json)", async () => {
  const { readFile } = await import("node:fs/promises");
  const { derivePsk, buildPrologue, parseJsonKeepingNumbers, pythonJsonDumps } = await import("../src/hivemind/index.js");
  const { toHex } = await import("../src/common/bytes.js");
  const vectors = JSON.parse(await readFile(new URL("./vectors/hivemind/ws-interop.json", import.meta.url), "utf8"));
  const payloadOf = (frame: string) => (parseJsonKeepingNumbers(frame) as Record<string, unknown>).payload as Record<string, unknown>;
  const hub = vectors.pythonHub;
  const hello = payloadOf(hub.helloFrame), handshake = payloadOf(hub.handshakeFrame);

  it("the Python client's unencoded authorization (base64 with +) reads back", () => {
    assert.ok(vectors.pythonClient.authorization.includes("+"));
    assert.deepEqual(parseAuthorization(`/?authorization=${vectors.pythonClient.authorization}`), { useragent: "hm-py-client", accessKey: "k>>>" });
  });

  it("the PSKs equal poorman_handshake.noise.derive_psk's", async () => {
    assert.equal(toHex(await derivePsk(hub.password, hello.node_id as string)), hub.psk);
    assert.equal(toHex(await derivePsk(vectors.pythonClient.password, vectors.pythonClient.ourHubHello.payload.node_id)), vectors.pythonClient.psk);
  });

  it("the prologue of the Python hub's HELLO (a PEM with newlines) and HANDSHAKE equals hivemind_bus_client's build_prologue", () => {
    for (const [name, hex] of Object.entries(vectors.pythonHub.prologues)) assert.equal(toHex(buildPrologue(hello, handshake, name)), hex, name);
  });

  it("our node picks KKpsk0 with a pin and XXpsk2 without, from the Python hub's offer", async () => {
    const pinned = await HiveMindClient.create({ password: hub.password, pinnedHubKey: hub.staticPublicKey });
    assert.equal((await pinned.start(hello, handshake)).noise.pattern, "KKpsk0");
    const fresh = await HiveMindClient.create({ password: hub.password });
    assert.equal((await fresh.start(hello, handshake)).noise.pattern, "XXpsk2");
  });

  it("the recorded runs: every connection echoed its utterance, the wrong password failed at message 2", () => {
    const ours = hub.runsOfOurNode as { label: string; echoed?: boolean; error?: string; pattern?: string; stalePin?: boolean }[];
    assert.deepEqual(ours.map((r) => r.pattern ?? r.error), ["XXpsk2", "KKpsk0", "KKpsk0", "XXpsk2", "XXpsk2", "ERR_HANDSHAKE_REJECTED", "ERR_HANDSHAKE_REJECTED"]);
    assert.ok(ours.filter((r) => r.pattern !== undefined).every((r) => r.echoed));
    assert.equal(ours.find((r) => r.label === "stale pin")?.stalePin, true);
    const theirs = vectors.pythonClient.runsAgainstPmhHub as { pattern?: string; m2_payload?: string; answer_ok?: boolean; error?: string }[];
    assert.deepEqual(theirs.map((r) => r.pattern ?? "failed"), ["XXpsk2", "KKpsk0", "KKpsk0", "XXpsk2", "failed"]);
    for (const r of theirs.filter((x) => x.pattern !== undefined)) {
      assert.equal(r.answer_ok, true);
      assert.equal(r.m2_payload, pythonJsonDumps({ encoding: "JSON-HEX" }));
    }
    assert.match(theirs.at(-1)!.error!, /^m2: InvalidTag/);
  });
});
