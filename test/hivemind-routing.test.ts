/**
 * The hub routes as hivemind-core does, with real servers on 127.0.0.1: BROADCAST (admins
 * only), PROPAGATE, ESCALATE, INTERCOM sealed end to end, QUERY answered "no answer", and a
 * two-level hive of our hubs. Properties of the routing fields and of the router's fan-out.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { busMessage, HiveMindNode, type HiveMessage, type HiveMindNodeOptions, openIntercom, rsaKeyId, sealIntercom, verifyIntercom } from "../src/hivemind/node/index.js";
import { arrivedFrom, isRoutingLoop, unpackMessage, withOwnHop } from "../src/hivemind/routing.js";
import { HubRouter, type RoutedClient } from "../src/hivemind/node/router.js";
import { type HiveMindConnectedClient, type HiveMindUpstreamEvent, serveHiveMind, type ServeHiveMindOptions } from "../src/node/index.js";
import { keys, pkcs8Pem } from "./helpers/rsa.js";

const ADMIN = { accessKey: "admin-key", password: "admin password", name: "admin", isAdmin: true };
const BOB = { accessKey: "bob-key", password: "bob password", name: "bob" };
const CAROL = { accessKey: "carol-key", password: "carol password", name: "carol" };
const NOPROP = { accessKey: "noprop-key", password: "noprop password", name: "noprop", canPropagate: false, canEscalate: false };
const MID = { accessKey: "mid-key", password: "mid password", name: "mid" };

type Test = { after(fn: () => unknown): void };

/** Collects a node's messages; `until(pred)` resolves with the first that matches (past or future). */
function inbox(node: HiveMindNode) {
  const seen: Required<HiveMessage>[] = [];
  const waiters: [(m: Required<HiveMessage>) => boolean, (m: Required<HiveMessage>) => void][] = [];
  node.on("message", (m) => {
    seen.push(m);
    for (const [pred, resolve] of waiters) if (pred(m)) resolve(m);
  });
  return {
    seen,
    until: (pred: (m: Required<HiveMessage>) => boolean) => new Promise<Required<HiveMessage>>((resolve) => {
      const found = seen.find(pred);
      if (found !== undefined) resolve(found);
      else waiters.push([pred, resolve]);
    }),
  };
}

const busType = (m: HiveMessage) => (m.payload as { type?: string } | null)?.type;
const isBus = (type: string) => (m: HiveMessage) => m.msg_type === "bus" && busType(m) === type;
const closed = (node: HiveMindNode) => new Promise<{ code: number; reason: string }>((resolve) => node.on("close", resolve));

async function hub(t: Test, extra: Partial<ServeHiveMindOptions> = {}) {
  const local: Required<HiveMessage>[] = [];
  const routed: Required<HiveMessage>[] = [];
  let connects = 0;
  const waiting: [number, () => void][] = [];
  const server = await serveHiveMind({
    clients: [ADMIN, BOB, CAROL, NOPROP, MID], nodeId: "hub-under-test",
    onMessage: (_c, m) => void local.push(m),
    onRoute: (_c, m) => void routed.push(m),
    onConnect: () => {
      connects++;
      for (const [n, resolve] of waiting) if (connects >= n) resolve();
    },
    ...extra,
  });
  t.after(() => server.close());
  const connected = (n: number) => new Promise<void>((resolve) => (connects >= n ? resolve() : waiting.push([n, resolve])));
  return { server, local, routed, connected };
}

async function nodes(t: Test, url: string, ...options: HiveMindNodeOptions[]) {
  const all = await Promise.all(options.map((o) => HiveMindNode.connect(url, o)));
  t.after(() => all.forEach((n) => n.close()));
  return all;
}

describe("hub routing over WebSockets", () => {
  it("three nodes: a BROADCAST reaches the two others as its inner message, named by the hub; the sender gets nothing", async (t) => {
    const { server, routed, connected } = await hub(t);
    const [a, b, c] = await nodes(t, server.url, ADMIN, BOB, CAROL);
    const [ia, ib, ic] = [inbox(a!), inbox(b!), inbox(c!)];
    await connected(3);
    const peers = new Map([...server.clients].map((client) => [client.name, client.peer]));
    await a!.sendRouted("broadcast", busMessage("hive.announce", { n: 1 }, { peer: "forged", source: "forged" }));
    const [gotB, gotC] = await Promise.all([ib.until(isBus("hive.announce")), ic.until(isBus("hive.announce"))]);
    for (const got of [gotB, gotC]) {
      assert.equal(got.source_peer, "hub-under-test");
      assert.deepEqual(got.route, [{ source: peers.get("admin"), targets: [peers.get("admin")] }]);
      const context = (got.payload as { context: Record<string, unknown> }).context;
      assert.equal(context.peer, peers.get("admin"));
      assert.equal(context.source, peers.get("admin"));
    }
    assert.equal(routed.length, 1);
    // A marker from b, relayed to a after everything earlier: a never got its own broadcast.
    await b!.sendRouted("propagate", busMessage("marker"));
    await ia.until(isBus("marker"));
    assert.ok(!ia.seen.some(isBus("hive.announce")));
  });

  it("a PROPAGATE reaches every other client with the hub's hop in its route; a wrapper targeting the hub's site is also delivered locally", async (t) => {
    const { server, local, connected } = await hub(t, { siteId: "hub-site" });
    const [a, b, c] = await nodes(t, server.url, ADMIN, BOB, CAROL);
    const [ia, ib, ic] = [inbox(a!), inbox(b!), inbox(c!)];
    await connected(3);
    const bobPeer = [...server.clients].find((x) => x.name === "bob")!.peer;
    await b!.sendRouted("propagate", busMessage("news", { n: 2 }), { targetSiteId: "hub-site" });
    const [gotA, gotC] = await Promise.all([ia.until(isBus("news")), ic.until(isBus("news"))]);
    for (const got of [gotA, gotC]) {
      assert.equal(got.route.length, 2);
      assert.deepEqual(got.route[0], { source: bobPeer, targets: [bobPeer] });
      assert.deepEqual((got.route[1] as { targets: string[] }).targets, ["hub-under-test"]);
    }
    assert.ok(local.some(isBus("news")), "delivered to onMessage: it targets the hub's site");
    await a!.sendRouted("propagate", busMessage("marker"));
    await ib.until(isBus("marker"));
    assert.ok(!ib.seen.some(isBus("news")), "never back to the sender");
  });

  it("forbidden envelopes disconnect the sender, as hivemind-core does", async (t) => {
    const { server } = await hub(t);
    const cases: [HiveMindNodeOptions, HiveMessage, RegExp][] = [
      [BOB, { msg_type: "broadcast", payload: busMessage("x") }, /admin/],
      [NOPROP, { msg_type: "propagate", payload: busMessage("x") }, /can_propagate/],
      [NOPROP, { msg_type: "escalate", payload: busMessage("x") }, /can_escalate/],
      [NOPROP, { msg_type: "query", payload: busMessage("x") }, /can_escalate/],
    ];
    for (const [options, message, reason] of cases) {
      const [node] = await nodes(t, server.url, options);
      const bye = closed(node!);
      await node!.send(message);
      const event = await bye;
      assert.equal(event.code, 1008);
      assert.match(event.reason, reason);
    }
  });

  it("a client that floods PROPAGATE is told once, then closed; the others keep being served", async (t) => {
    const { server, connected } = await hub(t, { maxRelaysPerSecond: 5 });
    const [a, b] = await nodes(t, server.url, ADMIN, BOB);
    const [ia, ib] = [inbox(a!), inbox(b!)];
    await connected(2);
    const bye = closed(b!);
    // 5 relayed (the burst), then refusals: the first answered, the sixth within the second closes the sender.
    const started = performance.now();
    for (let i = 0; i < 40 && b!.open; i++) await b!.sendRouted("propagate", busMessage("flood", { i })).catch(() => undefined);
    // Bounded: a hub that never closes the flooder fails here instead of hanging the suite.
    const event = await Promise.race([bye, new Promise<{ code: number; reason: string }>((resolve) => setTimeout(() => resolve({ code: 0, reason: "still open after 10 s" }), 10_000).unref())]);
    // The hub's allowance refills with the real clock: a slow machine that took longer than a
    // second over the flood may relay a few more, and answer one refusal more each second.
    const seconds = Math.ceil((performance.now() - started) / 1000);
    assert.equal(event.code, 1008, event.reason);
    assert.match(event.reason, /flooding/);
    const denials = ib.seen.filter((m) => JSON.stringify(m.payload).includes("relay_rate_limited"));
    assert.ok(denials.length >= 1 && denials.length <= seconds, `${denials.length} relay_rate_limited answers over ${seconds} s: one a second`);
    const relayed = ia.seen.filter(isBus("flood")).length;
    assert.ok(relayed >= 5 && relayed < 5 + 5 * seconds, `relayed ${relayed} over ${seconds} s: the burst, and what refilled meanwhile`);
    const [c] = await nodes(t, server.url, CAROL);
    await c!.sendRouted("propagate", busMessage("after"));
    await ia.until(isBus("after"));
    // The flooder's record is kept out for floodCooldownMs (before any handshake work); the others are not.
    const again = await HiveMindNode.connect(server.url, BOB).then(() => "connected", (error: Error & { code?: string }) => `${error.code}: ${error.message}`);
    assert.match(again, /^ERR_HANDSHAKE_REJECTED: .*1013.*flooding/);
  });

  it("a client closed for flooding may come back at once with floodCooldownMs: 0", async (t) => {
    const { server, connected } = await hub(t, { maxRelaysPerSecond: 2, floodCooldownMs: 0 });
    const [b] = await nodes(t, server.url, BOB);
    await connected(1);
    const bye = closed(b!);
    for (let i = 0; i < 40 && b!.open; i++) await b!.sendRouted("propagate", busMessage("flood", { i })).catch(() => undefined);
    const event = await Promise.race([bye, new Promise<{ code: number }>((resolve) => setTimeout(() => resolve({ code: 0 }), 10_000).unref())]);
    assert.equal(event.code, 1008);
    const [back] = await nodes(t, server.url, BOB);
    assert.equal(back!.open, true);
  });

  it("refuses a floodCooldownMs that is not a non-negative integer, naming it", async () => {
    await assert.rejects(serveHiveMind({ clients: [{ ...BOB }], floodCooldownMs: -1 }), { code: "ERR_INVALID_ARGUMENT", message: /options\.floodCooldownMs/ });
  });

  it("an INTERCOM reaches only its target, sealed: the hub and the others cannot read it", async (t) => {
    const { server, local, connected } = await hub(t);
    const [a, b, c] = await nodes(t, server.url, { ...ADMIN, rsaKey: keys.alice.private_pem_pkcs1 }, { ...BOB, rsaKey: keys.bob.private_pem_pkcs1 }, CAROL);
    const [ib, ic] = [inbox(b!), inbox(c!)];
    await connected(3);
    assert.ok([...server.clients].find((x) => x.name === "bob")!.rsaPublicKey);
    await a!.sendIntercom(busMessage("psst", { secret: "for bob" }), keys.bob.public_pem_spki);
    const sealed = await ib.until((m) => m.msg_type === "intercom");
    assert.ok(!JSON.stringify(sealed).includes("for bob"));
    // Another node: hivemind_bus_client's envelope by default, the only one such a node opens.
    assert.equal(typeof (sealed.payload as { encrypted_key?: unknown }).encrypted_key, "string");
    assert.equal(await verifyIntercom(sealed, keys.alice.public_pem_spki), true);
    const inner = await b!.openIntercom(sealed);
    assert.deepEqual((inner.payload as { data: unknown }).data, { secret: "for bob" });
    await a!.sendRouted("propagate", busMessage("marker"));
    await ic.until(isBus("marker"));
    assert.ok(!ic.seen.some((m) => m.msg_type === "intercom"), "carol got no INTERCOM");
    assert.ok(!local.some(isBus("psst")), "the hub delivered nothing");
  });

  it("an INTERCOM sealed for the hub is verified against the sender's HELLO key and delivered to onMessage; a forged one is refused", async (t) => {
    const { server, local, connected } = await hub(t, { rsaKey: pkcs8Pem(keys.carol_3072) });
    const [a] = await nodes(t, server.url, { ...ADMIN, rsaKey: keys.alice.private_pem_pkcs1 });
    const ia = inbox(a!);
    await connected(1);
    assert.equal(rsaKeyId(a!.hubRsaPublicKey), rsaKeyId(keys.carol_3072.public_pem_spki), "the node kept the hub's HELLO key");
    const seenByHub: HiveMessage[] = [];
    const send = a!.send.bind(a);
    a!.send = (message: HiveMessage) => (seenByHub.push(message), send(message));
    await a!.sendIntercom(busMessage("for.the.hub", { n: 3 }), keys.carol_3072.public_pem_spki, "none");
    // The hub's own key: hivemind-core's layout by default, the only one its hub opens.
    assert.equal((seenByHub[0]!.payload as { encrypted_key?: unknown }).encrypted_key, undefined);
    // Signed with bob's key, not the key alice's HELLO presented.
    await a!.send(await sealIntercom(busMessage("forged"), keys.carol_3072.public_pem_spki, keys.bob.private_pem_pkcs1));
    const denied = await ia.until(isBus("hive.policy.denied"));
    assert.equal((denied.payload as { data: { code: string } }).data.code, "intercom_refused");
    const delivered = local.find(isBus("for.the.hub"))!;
    assert.ok(delivered, "opened and delivered");
    assert.equal((delivered.payload as { context: { peer: string } }).context.peer, [...server.clients][0]!.peer);
    assert.ok(!local.some(isBus("forged")));
  });

  it("a QUERY is answered no_answer (this hub answers no queries), as hivemind-core's top hub does", async (t) => {
    const { server } = await hub(t);
    const [b] = await nodes(t, server.url, BOB);
    const ib = inbox(b!);
    await b!.send({ msg_type: "query", payload: busMessage("recognizer_loop:utterance", { utterances: ["what time is it"] }), metadata: { query_id: "q1" } });
    const answer = await ib.until((m) => m.msg_type === "query");
    assert.deepEqual(answer.metadata, { query_id: "q1", originator_peer: [...server.clients][0]!.peer, responder_peer: "hub-under-test", is_response: true });
    assert.deepEqual((answer.payload as { payload: unknown }).payload, { type: "hive.query.timeout", data: { query_id: "q1", error: "no_answer" }, context: {} });
  });

  it("a two-level hive: ESCALATE and PROPAGATE go up, PROPAGATE and BROADCAST come down", async (t) => {
    const top = await hub(t, { siteId: "top-site", nodeId: "top" });
    const upstreamUp = new Promise<void>((resolve) => {
      void hub(t, { nodeId: "mid", upstream: { url: top.server.url, ...MID }, onUpstream: (e: HiveMindUpstreamEvent) => e.state === "connected" && resolve() }).then((m) => (mid = m));
    });
    let mid!: Awaited<ReturnType<typeof hub>>;
    await upstreamUp;
    const [x] = await nodes(t, mid.server.url, BOB); // under mid
    const [y] = await nodes(t, top.server.url, ADMIN); // under top
    const [ix, iy] = [inbox(x!), inbox(y!)];
    await top.connected(2);
    await mid.connected(1);
    // Up: x's PROPAGATE reaches y through both hubs; its ESCALATE reaches the top hub only.
    await x!.sendRouted("propagate", busMessage("up.propagate"));
    const up = await iy.until(isBus("up.propagate"));
    assert.equal(up.source_peer, "top");
    assert.equal(up.route.length, 4, JSON.stringify(up.route)); // x, mid's hop, mid (as top's client), top's hop
    await x!.sendRouted("escalate", busMessage("up.escalate"), { targetSiteId: "top-site" });
    while (!top.routed.some((m) => m.msg_type === "escalate")) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(top.local.some(isBus("up.escalate")), "delivered at the top: it targets the top's site");
    // Down: what top relays as PROPAGATE or BROADCAST, mid passes to its clients as it is.
    await y!.sendRouted("propagate", { msg_type: "propagate", payload: busMessage("down.propagate") });
    await y!.sendRouted("broadcast", { msg_type: "broadcast", payload: busMessage("down.broadcast") });
    const down = await ix.until((m) => m.msg_type === "propagate" && busType(m.payload as HiveMessage) === "down.propagate");
    assert.equal(down.source_peer, "top");
    await ix.until((m) => m.msg_type === "broadcast" && busType(m.payload as HiveMessage) === "down.broadcast");
    assert.ok(!iy.seen.some(isBus("up.escalate")), "an ESCALATE goes up only");
    assert.ok(mid.server.upstream?.connected);
  });
});

describe("routing fields (properties)", () => {
  const peer = fc.string({ minLength: 1, maxLength: 12 });
  const hop = fc.record({ source: peer, targets: fc.array(peer, { minLength: 1, maxLength: 3 }) });
  const wrapper = fc.record({ route: fc.array(hop, { maxLength: 5 }), type: fc.constantFrom("broadcast", "propagate", "escalate") });

  it("unpacking keeps the route travelled, names the hub as source_peer; a hub's own hop makes a loop", () => {
    fc.assert(fc.property(wrapper, peer, peer, peer, ({ route, type }, sender, hubPeer, nodeId) => {
      const arrived = arrivedFrom({ msg_type: type, payload: busMessage("x"), route }, sender);
      assert.equal(arrived.route.at(-1) && (arrived.route.at(-1) as { source: string }).source, sender);
      const inner = unpackMessage(arrived, hubPeer);
      assert.equal(inner.source_peer, hubPeer);
      assert.deepEqual(inner.route, arrived.route);
      const forwarded = withOwnHop(inner, nodeId, hubPeer);
      assert.ok(isRoutingLoop(forwarded, nodeId));
      assert.equal(isRoutingLoop(inner, nodeId), route.some((h) => h.source === nodeId) || sender === nodeId);
    }));
  });

  it("a client record's connections share one relay allowance: one closed for flooding gets no fresh one by connecting again", async () => {
    let now = 1_000_000;
    const got = new Map<string, number>();
    const closes: string[] = [];
    const client = (peer: string, name: string): RoutedClient => ({
      peer, name, isAdmin: false, canPropagate: true, canEscalate: true, rsaPublicKey: undefined, allowedTypes: undefined,
      send: async (m) => void (m.msg_type === "bus" && (m.payload as { type?: string }).type === "x" && got.set(peer, (got.get(peer) ?? 0) + 1)),
      close: () => void closes.push(peer),
    });
    const [flooder, again, other, listener] = [client("f1", "flooder"), client("f2", "flooder"), client("o", "other"), client("l", "listener")];
    const router = new HubRouter({
      hubPeer: "hub", nodeIdentity: "hub-id", siteId: undefined, rsaKey: undefined, rsaKeyId: undefined, relaysPerSecond: 5, now: () => now,
      clients: () => [flooder, again, other, listener], upstream: () => true, deliver: () => undefined, routed: () => undefined, fromUpstream: () => undefined,
    });
    const propagate = (from: RoutedClient) => router.fromClient(from as never, arrivedFrom({ msg_type: "propagate", payload: busMessage("x") }, from.peer));
    for (let i = 0; i < 11; i++) await propagate(flooder);
    assert.equal(got.get("l"), 5, "the burst was relayed, nothing after it");
    assert.deepEqual(closes, ["f1"], "closed past twice its allowance");
    await propagate(again);
    assert.equal(got.get("l"), 5, "the same record on a new connection has no allowance left");
    await propagate(other);
    assert.equal(got.get("l"), 6, "another record has its own");
    now += 1000;
    await propagate(again);
    assert.equal(got.get("l"), 7, "refilled a second later");
  });

  it("the router never delivers a client's routed message back to it, and only admins broadcast", async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.nat(4), fc.constantFrom("broadcast", "propagate", "escalate")), { minLength: 1, maxLength: 20 }), async (sends) => {
      const got = new Map<number, number>();
      const up: HiveMessage[] = [];
      const clients: (RoutedClient & { id: number })[] = Array.from({ length: 5 }, (_, id) => ({
        id, peer: `p${id}`, isAdmin: id % 2 === 0, canPropagate: true, canEscalate: true, rsaPublicKey: undefined, allowedTypes: undefined,
        send: async () => void got.set(id, (got.get(id) ?? 0) + 1), close: () => undefined,
      }));
      const router = new HubRouter({
        hubPeer: "hub", nodeIdentity: "hub-id", siteId: undefined, rsaKey: undefined, rsaKeyId: undefined, relaysPerSecond: 1000,
        clients: () => clients, upstream: (m) => (up.push(m), true), deliver: () => undefined, routed: () => undefined, fromUpstream: () => undefined,
      });
      let expectedUp = 0;
      for (const [from, type] of sends) {
        got.clear();
        const sender = clients[from]!;
        if (type === "broadcast" && !sender.isAdmin) continue; // the connection disconnects it before routing
        await router.fromClient(sender, arrivedFrom({ msg_type: type, payload: busMessage("x") }, sender.peer));
        assert.equal(got.get(from), undefined, `${type} came back to its sender`);
        assert.equal([...got.values()].reduce((a, b) => a + b, 0), type === "escalate" ? 0 : 4);
        if (type !== "broadcast") expectedUp++;
      }
      assert.equal(up.length, expectedUp);
    }));
  });
});

describe("INTERCOM layout (hivemind-core's encrypt_RSA / sign_RSA)", () => {
  it("single-block OAEP-SHA1 when it fits, the hybrid blob when not; base64 fields; target_pubkey is the recipient's PEM", async () => {
    for (const size of [10, 5000]) {
      const sealed = await sealIntercom(busMessage("t", { pad: "p".repeat(size) }), keys.bob.public_pem_spki, keys.alice.private_pem_pkcs1);
      const payload = sealed.payload as { ciphertext: string; signature: string };
      assert.equal(sealed.target_pubkey, keys.bob.public_pem_spki);
      assert.equal(Buffer.from(payload.signature, "base64").length, 256);
      assert.equal(Buffer.from(payload.ciphertext, "base64").length === 256, size === 10);
      assert.equal(await verifyIntercom(sealed, keys.alice.public_pem_spki), true);
      assert.equal(await verifyIntercom(sealed, keys.bob.public_pem_spki), false);
      const inner = await openIntercom(sealed, keys.bob.private_pem_pkcs1);
      assert.equal((inner.payload as { data: { pad: string } }).data.pad.length, size);
      await assert.rejects(openIntercom(sealed, keys.alice.private_pem_pkcs1), { code: "ERR_DECRYPTION_FAILED" });
    }
  });

  it("layout bus-client: hivemind_bus_client's envelope (AES-256-GCM, 16-byte nonce, key wrapped with OAEP-SHA1), any size; a changed byte fails", async () => {
    for (const size of [10, 5000]) {
      const sealed = await sealIntercom(busMessage("t", { pad: "p".repeat(size) }), keys.bob.public_pem_spki, keys.alice.private_pem_pkcs1, { layout: "bus-client" });
      const payload = sealed.payload as Record<string, string>;
      assert.deepEqual(Object.keys(payload), ["encrypted_key", "ciphertext", "tag", "nonce", "signature"]);
      assert.deepEqual([payload.encrypted_key, payload.tag, payload.nonce].map((b) => Buffer.from(b!, "base64").length), [256, 16, 16]);
      assert.equal(await verifyIntercom(sealed, keys.alice.public_pem_spki), true);
      assert.equal(((await openIntercom(sealed, keys.bob.private_pem_pkcs1)).payload as { data: { pad: string } }).data.pad.length, size);
      await assert.rejects(openIntercom(sealed, keys.alice.private_pem_pkcs1), { code: "ERR_DECRYPTION_FAILED" });
      const tag = Buffer.from(payload.tag!, "base64");
      tag[0]! ^= 1;
      await assert.rejects(openIntercom({ ...sealed, payload: { ...payload, tag: tag.toString("base64") } }, keys.bob.private_pem_pkcs1), { code: "ERR_DECRYPTION_FAILED" });
    }
    await assert.rejects(sealIntercom(busMessage("t"), keys.bob.public_pem_spki, keys.alice.private_pem_pkcs1, { layout: "other" as "hub" }), { code: "ERR_INVALID_ARGUMENT" });
  });
});

// Keep the type import used when the file is read alone.
export type { HiveMindConnectedClient };
