/**
 * Replays what the real HiveMind routing code did over 127.0.0.1 WebSockets
 * (test/vectors/hivemind/routing-real.json, see its SOURCES.md): hivemind-core's hub routing
 * between our nodes, hivemind_bus_client's HiveMessageBusClient on our hub, and our hub as a
 * node of the real hub. Each relay the real side made is set against what our routing code
 * makes of the same input.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { busMessage, type HiveMessage, openIntercom, sealIntercom, verifyIntercom } from "../src/hivemind/index.js";
import { arrivedFrom, routeOf, unpackMessage, withOwnHop } from "../src/hivemind/routing.js";
import { forbidden, HubRouter, type RoutedClient } from "../src/hivemind/node/router.js";

const vectors = JSON.parse(await readFile(new URL("./vectors/hivemind/routing-real.json", import.meta.url), "utf8"));
const realHub = vectors.realHub;
const onOurHub = vectors.realClientOnOurHub;
const underReal = vectors.ourHubUnderRealHub;
const parse = (text: string) => JSON.parse(text) as Required<HiveMessage>;
type Relayed = Record<string, string>;

/** The clients of the recorded real hub, as our router sees them; what it sends each is collected. */
function ourRouterOnTheSameHive() {
  const got = new Map<string, HiveMessage[]>();
  const up: HiveMessage[] = [];
  const client = (name: string, peer: string, rsaPublicKey?: string): RoutedClient => ({
    peer, isAdmin: name === "admin", canPropagate: name !== "carol", canEscalate: name !== "carol", rsaPublicKey, allowedTypes: undefined,
    send: async (m) => void got.set(peer, [...(got.get(peer) ?? []), m]), close: () => undefined,
  });
  const intercom = realHub.intercom;
  const clients = {
    alice: client("alice", "pmh-alice::1::alice::sess-alice", intercom.alicePublicKey),
    bob: client("bob", "pmh-bob::2::bob::sess-bob", intercom.bobPublicKey),
    admin: client("admin", "pmh-admin::3::admin::sess-admin"),
  };
  const router = new HubRouter({
    hubPeer: realHub.nodeId, nodeIdentity: "our-hub-identity", siteId: undefined, rsaKey: undefined, rsaKeyId: undefined, relaysPerSecond: 1000,
    clients: () => Object.values(clients), upstream: (m) => (up.push(m), true), deliver: () => undefined, routed: () => undefined, fromUpstream: () => undefined,
  });
  const run = async (from: keyof typeof clients, sent: HiveMessage) => {
    got.clear();
    up.length = 0;
    await router.fromClient(clients[from], arrivedFrom(sent, clients[from].peer));
    return { got: new Map(got), up: [...up] };
  };
  return { run, clients };
}

describe("the real hivemind-core hub routing our nodes (routing-real.json)", () => {
  const cases = realHub.cases;

  it("BROADCAST from an admin: each relay is our unpackMessage of the same wrapper, field for field, and our router sends the same", async () => {
    const c = cases.broadcastByAdmin;
    const expected = unpackMessage(arrivedFrom(c.sent, c.senderPeer), realHub.nodeId);
    assert.deepEqual(Object.keys(c.relayed).sort(), ["pmh-alice::1::alice::sess-alice", "pmh-bob::2::bob::sess-bob"]);
    for (const text of Object.values(c.relayed as Relayed)) assert.deepEqual(parse(text), expected);
    assert.deepEqual(parse(c.callbackPayload), expected);
    const ours = await ourRouterOnTheSameHive().run("admin", c.sent);
    assert.deepEqual([...ours.got.keys()].sort(), Object.keys(c.relayed).sort());
    for (const [peer, [message]] of ours.got) assert.deepEqual(message, parse(c.relayed[peer]));
  });

  it("PROPAGATE: the relays match ours but for the one hop our hub appends (MSG-1 §5 loop suppression, absent from this revision)", async () => {
    for (const name of ["propagate", "propagateNested"]) {
      const c = cases[name];
      const expected = unpackMessage(arrivedFrom(c.sent, c.senderPeer), realHub.nodeId);
      assert.deepEqual(Object.keys(c.relayed).sort(), ["pmh-admin::3::admin::sess-admin", "pmh-bob::2::bob::sess-bob"], name);
      for (const text of Object.values(c.relayed as Relayed)) assert.deepEqual(parse(text), expected, name);
      assert.deepEqual(routeOf(expected), [{ source: c.senderPeer, targets: [c.senderPeer] }]);
      const ours = await ourRouterOnTheSameHive().run("alice", c.sent);
      assert.deepEqual([...ours.got.keys()].sort(), Object.keys(c.relayed).sort(), name);
      for (const [, [message]] of ours.got) assert.deepEqual(message, withOwnHop(expected, "our-hub-identity", realHub.nodeId), name);
    }
    // A nested wrapper is relayed as it is: only then does a node receive a PROPAGATE.
    assert.equal(parse(Object.values(cases.propagateNested.relayed as Relayed)[0]!).msg_type, "propagate");
    assert.equal(parse(Object.values(cases.propagate.relayed as Relayed)[0]!).msg_type, "bus");
  });

  it("ESCALATE at the top hub reaches its callback and no client; ours sends it to no client either", async () => {
    const c = cases.escalateAtTop;
    assert.equal(c.callback, "escalate_callback");
    assert.deepEqual(c.relayed, {});
    assert.deepEqual(parse(c.callbackPayload), unpackMessage(arrivedFrom(c.sent, c.senderPeer), realHub.nodeId));
    const ours = await ourRouterOnTheSameHive().run("bob", c.sent);
    assert.equal(ours.got.size, 0);
    assert.equal(ours.up[0]?.msg_type, "escalate");
  });

  it("a BROADCAST from a non-admin and a PROPAGATE without can_propagate close the connection; ours forbids both", () => {
    for (const [name, type, record] of [["broadcastNotAdmin", "broadcast", { isAdmin: false, canPropagate: true, canEscalate: true }], ["propagateNotAllowed", "propagate", { isAdmin: false, canPropagate: false, canEscalate: false }]] as const) {
      const c = cases[name];
      assert.equal(c.callback, "illegal_callback", name);
      assert.deepEqual(c.relayed, {}, name);
      assert.equal(c.closed.code, 1005, name);
      assert.notEqual(forbidden(record, type), undefined, name);
    }
  });

  it("an INTERCOM our node sealed travels the real hub unread; our target node opens it and verifies the sender", async () => {
    const { bobReceived, adminReceived, bobPrivateKey, alicePublicKey, bobOpened } = realHub.intercom;
    assert.equal(bobReceived.length, 1);
    const sealed = bobReceived[0];
    assert.equal(sealed.msg_type, "intercom");
    assert.equal(sealed.source_peer, realHub.nodeId);
    assert.equal(await verifyIntercom(sealed, alicePublicKey), true);
    assert.deepEqual(await openIntercom(sealed, bobPrivateKey), bobOpened[0]);
    assert.equal((bobOpened[0].payload as { data: { secret: string } }).data.secret, "for bob only");
    // The real hub sends it to every other client; ours only to the client holding the target key.
    assert.equal(adminReceived.length, 1);
    const ours = await ourRouterOnTheSameHive().run("alice", cases.intercomInPropagate.sent);
    assert.deepEqual([...ours.got.keys()], ["pmh-bob::2::bob::sess-bob"]);
  });

  it("a bare INTERCOM not for the hub is dropped by the real hub; ours hands it to the client it is sealed for", async () => {
    assert.deepEqual(cases.intercomBare.relayed, {});
    assert.equal(cases.intercomBare.callback, null);
    const ours = await ourRouterOnTheSameHive().run("alice", cases.intercomBare.sent);
    assert.deepEqual([...ours.got.keys()], ["pmh-bob::2::bob::sess-bob"]);
  });
});

describe("hivemind_bus_client's HiveMessageBusClient on our hub (routing-real.json)", () => {
  const cases = onOurHub.cases;
  const received = (name: string) => (cases[name].realClient as { event: string; plaintext?: string }[]).filter((e) => e.event === "received").map((e) => parse(e.plaintext!));
  const agentBus = (name: string) => (cases[name].realClient as { event: string; message?: string }[]).filter((e) => e.event === "agent_bus").map((e) => JSON.parse(e.message!));

  it("it received our hub's PROPAGATE and BROADCAST relays and put each on its agent bus", () => {
    for (const name of ["propagate_from_our_node", "broadcast_from_our_admin", "broadcast_site_targeted"]) {
      const [relay] = received(name);
      const sent = cases[name].sent as HiveMessage;
      assert.equal(relay!.msg_type, "bus", name);
      assert.equal(relay!.source_peer, "pmh-hub", name);
      assert.deepEqual((relay!.payload as { data: unknown }).data, ((sent.payload as HiveMessage).payload as { data: unknown }).data, name);
      assert.equal(agentBus(name)[0].type, (relay!.payload as { type: string }).type, name);
    }
  });

  it("our hub names the inner bus message (context.peer, context.source); the real hub leaves the sender's context as it was", () => {
    const [relay] = received("propagate_from_our_node");
    const context = (relay!.payload as { context: Record<string, unknown> }).context;
    const sender = cases.propagate_from_our_node.ourHubRouted[0].from;
    assert.deepEqual([context.peer, context.source], [sender, sender]);
    const real = parse(Object.values(realHub.cases.propagate.relayed as Relayed)[0]!);
    assert.deepEqual((real.payload as { context: unknown }).context, ((realHub.cases.propagate.sent as HiveMessage).payload as { payload: { context: unknown } }).payload.context);
  });

  it("it drops an INTERCOM in hivemind-core's layout, and opens and verifies ours in its own (layout: bus-client)", async () => {
    const handled = (name: string) => (cases[name].realClient as { event: string; delivered?: boolean }[]).find((e) => e.event === "intercom_handled")!;
    assert.equal(handled("intercom_hub_layout_to_real_client").delivered, false);
    assert.equal(handled("intercom_bus_client_layout_to_real_client").delivered, true);
    const [delivered] = agentBus("intercom_bus_client_layout_to_real_client");
    assert.equal(delivered.type, "test.intercom.client");
    assert.equal(delivered.context.hivemind_verified_source_peer, onOurHub.alicePublicKey);
    const ours = cases.intercom_bus_client_layout_to_real_client.sent as HiveMessage;
    assert.deepEqual(Object.keys(ours.payload as object), ["encrypted_key", "ciphertext", "tag", "nonce", "signature"]);
    assert.equal(ours.target_pubkey, onOurHub.publicKey);
    assert.equal(await verifyIntercom(ours, onOurHub.alicePublicKey), true);
  });

  it("our node opens the real client's own INTERCOM envelope and verifies its signature", async () => {
    const sealedEvent = (cases.real_client_intercom_in_propagate.realClient as { event: string; envelope?: object; inner?: string }[]).find((e) => e.event === "sealed")!;
    const [atAlice] = cases.real_client_intercom_in_propagate.aliceReceived as Required<HiveMessage>[];
    assert.deepEqual(atAlice!.payload, sealedEvent.envelope);
    assert.equal(atAlice!.target_pubkey, onOurHub.alicePublicKey);
    assert.equal(await verifyIntercom(atAlice!, onOurHub.publicKey), true);
    assert.equal(await verifyIntercom(atAlice!, onOurHub.alicePublicKey), false);
    const opened = await openIntercom(atAlice!, onOurHub.alicePrivateKey);
    assert.deepEqual(opened, onOurHub.aliceOpened[0]);
    assert.deepEqual(opened.payload, parse(sealedEvent.inner!).payload);
    // The same layout, written by us, has the real envelope's fields in the same order.
    const ourSealed = await sealIntercom(busMessage("t"), onOurHub.alicePublicKey, onOurHub.alicePrivateKey, { layout: "bus-client" });
    assert.deepEqual(Object.keys(ourSealed.payload as object), Object.keys(sealedEvent.envelope!));
    assert.deepEqual(await openIntercom(ourSealed, onOurHub.alicePrivateKey), { ...busMessage("t"), metadata: {}, route: [], node: null, target_site_id: null, target_pubkey: null, source_peer: null });
  });

  it("its bare emit_intercom (no target_pubkey) is refused by our hub, which the real hub drops silently", () => {
    const [denied] = received("real_client_emit_intercom_bare");
    assert.equal((denied!.payload as { type: string }).type, "hive.policy.denied");
    assert.equal((denied!.payload as { data: { code: string } }).data.code, "intercom_refused");
  });
});

describe("our hub as a node of the real hivemind-core hub (routing-real.json)", () => {
  const cases = underReal.cases;
  const dave = underReal.ourClients.dave;

  it("ESCALATE and PROPAGATE from our client reach the real hub with our client's hop, our hub's hop and the link's hop", () => {
    for (const name of ["escalate_up", "propagate_up"]) {
      const c = cases[name];
      const atReal = parse(c.realHub.callbackPayload);
      const route = routeOf(atReal);
      assert.deepEqual(route[0], { source: dave, targets: [dave] }, name);
      assert.deepEqual(route[1]!.targets, [underReal.ourHubNodeId], name);
      assert.match(route[1]!.source, /^-----BEGIN PUBLIC KEY-----/, name);
      assert.deepEqual(route[2], { source: underReal.ourHubPeerAtRealHub, targets: [underReal.ourHubPeerAtRealHub] }, name);
      assert.equal(atReal.source_peer, realHub.nodeId, name);
      // What our hub sent up is our routing of the client's wrapper.
      const ours = withOwnHop(unpackMessage(arrivedFrom(c.ourHubRouted[0].message, dave), underReal.ourHubNodeId), route[1]!.source, underReal.ourHubNodeId);
      assert.deepEqual(routeOf(ours), route.slice(0, 2), name);
      assert.deepEqual(atReal.payload, ours.payload, name);
    }
    assert.equal(cases.escalate_up.realHub.callback, "escalate_callback");
    assert.deepEqual(Object.keys(cases.propagate_up.realHub.relayed).sort(), ["pmh-admin::3::admin::sess-admin", "pmh-alice::1::alice::sess-alice"]);
    assert.equal(cases.propagate_up.erin.length, 1);
  });

  it("what the real hub relays to our hub is the inner message: a bus stays at our hub, a nested BROADCAST or PROPAGATE goes to our clients as it is", () => {
    for (const name of ["broadcast_down_plain", "propagate_down_plain"]) {
      const c = cases[name];
      const sent = parse(c.realHub.relayed[underReal.ourHubPeerAtRealHub]);
      assert.equal(sent.msg_type, "bus", name);
      assert.deepEqual(c.ourHubFromUpstream, [sent], name);
      assert.deepEqual([c.dave.length, c.erin.length], [0, 0], name);
    }
    for (const name of ["broadcast_down_nested", "propagate_down_nested"]) {
      const c = cases[name];
      const sent = parse(c.realHub.relayed[underReal.ourHubPeerAtRealHub]);
      assert.equal(sent.msg_type, name.startsWith("broadcast") ? "broadcast" : "propagate", name);
      assert.deepEqual(c.dave, [sent], name);
      assert.deepEqual(c.erin, [sent], name);
    }
  });
});
