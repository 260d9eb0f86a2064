/**
 * `pmh demo` (and `npm run demo`): in one process, two parties run every handshake
 * (password, mutual and half RSA, HiveMind v3 Noise in memory and over a 127.0.0.1
 * WebSocket, a full Fiber exchange over HTTP on an ephemeral 127.0.0.1 port with
 * in-memory stores, and Fiber's signed requests), printing each step, its time and a
 * fingerprint of the secret each side derived. Exits non-zero on any disagreement.
 *
 * @module
 */
import type { Command } from "commander";
import { equalBytes, fromBase64Any, fromHex } from "../common/bytes.js";
import { FiberClient } from "../fiber/client.js";
import { Keypair } from "../fiber/keypair.js";
import { MemoryKeyStore } from "../fiber/keystore.js";
import { FiberServer } from "../fiber/server.js";
import { bodyHash, signedRequestHeaders } from "../fiber/signed.js";
import { fingerprint } from "../common/fingerprint.js";
import { HiveMindClient, HiveMindHub, HiveMindNode } from "../hivemind/node/index.js";
import { serveHiveMind } from "../hivemind/node/server.js";
import { serve } from "../fiber/node/serve.js";
import { PasswordHandShake } from "../password/handshake.js";
import { HalfHandShake, HandShake } from "../rsa/handshake.js";
import { action, EXIT, jsonOption, printJson } from "./common.js";
import { streamSigned } from "./signed-routes.js";
// Fiber's Node backends (node:crypto Fernet, body hashes, RSA): the demo takes no hotkey
// options (see ./hotkeys.js), so it installs them itself.
import "../fiber/node/install.js";

/** One printed step of a demo. */
export interface DemoStep {
  who: string;
  what: string;
  /** Milliseconds the step took. */
  ms: number;
}

/** The outcome of one protocol's demo. */
export interface DemoResult {
  protocol: string;
  /** Whether both sides derived the same secret (and every check passed). */
  agreed: boolean;
  /** Fingerprints of the secret as each side holds it. */
  fingerprints: [string, string];
  steps: DemoStep[];
  /** Milliseconds the whole protocol took. */
  ms: number;
}

/** Records the steps of one demo, printing them as they happen unless quiet. */
class Steps {
  readonly steps: DemoStep[] = [];
  readonly #start = performance.now();
  #last = this.#start;

  constructor(
    readonly protocol: string,
    description: string,
    readonly quiet: boolean,
  ) {
    if (!quiet) console.log(`${protocol}: ${description}`);
  }

  /** Records that `who` did `what`, timed since the previous step. */
  step(who: string, what: string): void {
    const now = performance.now();
    const ms = Number((now - this.#last).toFixed(1));
    this.#last = now;
    this.steps.push({ who, what, ms });
    if (!this.quiet) console.log(`  ${who.padEnd(9)} ${what}  (${ms.toFixed(1)} ms)`);
  }

  /** Compares the two sides' secrets, records their fingerprints and the verdict. */
  finish(sides: [string, string], a: Uint8Array | undefined, b: Uint8Array | undefined, checks = true, label = "secret"): DemoResult {
    const fingerprints: [string, string] = [a ? fingerprint(a) : "(none)", b ? fingerprint(b) : "(none)"];
    this.step(sides[0], `${label} fingerprint ${fingerprints[0]}`);
    this.step(sides[1], `${label} fingerprint ${fingerprints[1]}`);
    const agreed = checks && a !== undefined && b !== undefined && equalBytes(a, b);
    const ms = Number((performance.now() - this.#start).toFixed(1));
    if (!this.quiet) console.log(agreed ? `  => agreed on a ${a!.length}-byte ${label} (${ms.toFixed(1)} ms in all)` : "  => DISAGREEMENT");
    return { protocol: this.protocol, agreed, fingerprints, steps: this.steps, ms };
  }
}

/** The password handshake between Alice and Bob. */
export async function passwordDemo(quiet = false, password = "Super Secret Pass Phrase"): Promise<DemoResult> {
  const s = new Steps("password", "hsub envelope, then PBKDF2-HMAC-SHA256 (100000 iterations) of the password", quiet);
  const alice = new PasswordHandShake(password);
  const bob = new PasswordHandShake(password);
  const toBob = await alice.generateHandshake();
  s.step("alice", `sends hsub ${toBob}`);
  const toAlice = await bob.generateHandshake();
  s.step("bob", `sends hsub ${toAlice}`);
  const [aliceOk, bobOk] = await Promise.all([alice.receiveAndVerify(toAlice), bob.receiveAndVerify(toBob)]);
  s.step("both", `verified the peer's hsub: alice ${aliceOk}, bob ${bobOk}`);
  return s.finish(["alice", "bob"], alice.secret, bob.secret, aliceOk && bobOk);
}

/** The mutual RSA handshake between Alice and Bob. */
export async function rsaDemo(quiet = false): Promise<DemoResult> {
  const s = new Steps("rsa-mutual", "RSA-2048, OAEP-SHA1 of 32 random bytes, PSS-SHA256 signature; secret = XOR of both halves", quiet);
  const [alice, bob] = await Promise.all([HandShake.create(), HandShake.create()]);
  await Promise.all([alice.loadPublic(bob.pubkey), bob.loadPublic(alice.pubkey)]);
  s.step("both", "generated RSA-2048 keys and exchanged public keys");
  const [toBob, toAlice] = await Promise.all([alice.generateHandshake(), bob.generateHandshake()]);
  s.step("both", `sent shakes ${toBob.slice(0, 16)}... and ${toAlice.slice(0, 16)}... (${toBob.length} hex digits each)`);
  await Promise.all([alice.receiveAndVerify(toAlice), bob.receiveAndVerify(toBob)]);
  s.step("both", "verified the peer's signature and decrypted its half");
  return s.finish(["alice", "bob"], alice.secret, bob.secret);
}

/** The half RSA handshake (what HiveMind hubs do): the hub's 32 bytes become the secret. */
export async function halfRsaDemo(quiet = false): Promise<DemoResult> {
  const s = new Steps("rsa-half", "the client sends its public key, the hub answers with one signed, encrypted shake", quiet);
  const [hub, client] = await Promise.all([HalfHandShake.create(), HalfHandShake.create()]);
  s.step("both", "generated RSA-2048 keys");
  const shake = await hub.generateHandshake(client.pubkey);
  s.step("hub", `sends shake ${shake.slice(0, 16)}... (${shake.length} hex digits)`);
  await client.receiveAndVerify(shake, hub.pubkey);
  s.step("client", "verified the hub's signature and decrypted the secret");
  return s.finish(["hub", "client"], hub.secret, client.secret);
}

/** HiveMind protocol v3: Noise XXpsk2 keyed by the password, then one transport frame each way. */
export async function hivemindDemo(quiet = false, password = "correct horse battery staple"): Promise<DemoResult> {
  const s = new Steps("hivemind-v3", "Noise handshake keyed by a PSK (argon2id of the password), first contact, then a transport frame", quiet);
  const [hub, client] = await Promise.all([HiveMindHub.create({ password, nodeId: "demo-hub" }), HiveMindClient.create({ password })]);
  s.step("both", "derived the PSK and made X25519 static keys");
  const first = await client.start(JSON.stringify(hub.hello), JSON.stringify(hub.handshake));
  s.step("client", `sends ${first.noise.pattern} ${first.noise.suite} message 1 (${first.noise.msg.length / 2} bytes)`);
  const second = await hub.receive(JSON.stringify(first));
  s.step("hub", "sends message 2 (its static key, encrypted)");
  const third = await client.receive(JSON.stringify(second));
  if (third !== null) await hub.receive(JSON.stringify(third));
  s.step("client", "sends message 3 (its static key, encrypted); both sides done");
  const text = "hello from the client";
  let echoed = false;
  for (const frame of await client.encrypt(0, text)) {
    const message = await hub.decrypt(frame);
    echoed ||= message !== undefined && new TextDecoder().decode(message.body) === text;
  }
  s.step("hub", echoed ? "decrypted the client's first transport frame" : "COULD NOT DECRYPT the client's frame");
  // The handshake hash commits to every key and message of the handshake: equal hashes, same session keys.
  return s.finish(["client", "hub"], client.handshakeHash, hub.handshakeHash, echoed && client.done && hub.done, "handshake hash");
}

/** HiveMind over a real WebSocket: `serveHiveMind` on 127.0.0.1, a node, an utterance and its answer. */
export async function hivemindWebSocketDemo(quiet = false, password = "correct horse battery staple"): Promise<DemoResult> {
  const s = new Steps("hivemind-ws", "a node connects to a hub over a 127.0.0.1 WebSocket (XXpsk2), sends an utterance, gets a speak back", quiet);
  const hub = await serveHiveMind({
    nodeId: "demo-hub",
    clients: [{ accessKey: "demo-node", password, name: "demo" }],
    onMessage(client, message) {
      const { type, data } = message.payload as { type?: string; data?: { utterances?: string[] } };
      if (type === "recognizer_loop:utterance") void client.sendBus("speak", { utterance: `you said: ${data?.utterances?.[0] ?? ""}` });
    },
  });
  try {
    s.step("hub", `listening on ${hub.url}`);
    const node = await HiveMindNode.connect(hub.url, { accessKey: "demo-node", password, siteId: "demo" });
    s.step("node", `handshake ${node.protocol.pattern} ${node.protocol.suite} done, encrypted HELLO sent (session ${node.sessionId.slice(0, 8)}...)`);
    const answer = new Promise<string>((resolve) => node.on("message", (m) => resolve(String((m.payload as { data?: { utterance?: string } }).data?.utterance))));
    await node.sendBus("recognizer_loop:utterance", { utterances: ["hello hive"] });
    const utterance = await answer;
    const echoed = utterance === "you said: hello hive";
    s.step("node", echoed ? `got speak "${utterance}"` : `WRONG ANSWER ${JSON.stringify(utterance)}`);
    // Each side authenticated the other's static key: the hub's client record holds ours.
    const [client] = [...hub.clients];
    const hubSawNode = client !== undefined && equalBytes(client.remoteStaticKey, node.staticPublicKey);
    s.step("hub", hubSawNode ? `${client.name} connected as ${client.peer}` : "has NO connected client with the node's key");
    node.close();
    return s.finish(["node", "hub"], node.remoteStaticKey, hub.publicKey, echoed && hubSawNode, "hub static key");
  } finally {
    await hub.close();
  }
}

/** A full Fiber exchange over HTTP on an ephemeral 127.0.0.1 port, in-memory stores. */
export async function fiberDemo(quiet = false): Promise<DemoResult> {
  const s = new Steps("fiber", "sr25519-signed requests, RSA-OAEP-SHA256 key exchange, Fernet-encrypted JSON over HTTP", quiet);
  const [miner, validator] = await Promise.all([Keypair.generate(), Keypair.generate()]);
  const keyStore = new MemoryKeyStore();
  const server = await FiberServer.create({ keypair: miner, keyStore });
  server.route("/echo", { handler: (payload) => payload });
  const running = await serve(server.fetch, { host: "127.0.0.1", port: 0 });
  try {
    s.step("miner", `${miner.ss58Address} listening on ${running.url} (RSA-2048 key generated)`);
    const client = new FiberClient({ keypair: validator, requireSignedKey: true });
    const session = await client.handshake(running.url, miner.ss58Address);
    s.step("validator", `fetched the signed public key, sent a new key (uuid ${session.uuid.slice(0, 16)}...)`);
    const stored = await keyStore.get(validator.ss58Address, session.uuid);
    s.step("miner", stored ? "verified the signature and nonce, decrypted and stored the key" : "holds NO key for that uuid");
    let echoed = true;
    for (const payload of [{ hello: "miner", n: 1 }, { hello: "again", n: 2 }]) {
      const answer = (await client.post(running.url, miner.ss58Address, "/echo", payload)) as Record<string, unknown>;
      const same = answer?.hello === payload.hello && answer?.n === payload.n;
      echoed &&= same;
      s.step("validator", `POST /echo ${JSON.stringify(payload)} -> ${same ? "echoed back" : `WRONG ANSWER ${JSON.stringify(answer)}`}`);
    }
    return s.finish(["validator", "miner"], fromBase64Any(session.key, "key"), stored, echoed);
  } finally {
    await running.close();
  }
}

/**
 * Fiber's default protocol over HTTP on an ephemeral 127.0.0.1 port: signed plain JSON, a
 * streamed answer, and a replay refused. No secret is shared; both sides must agree on
 * the hash of the body the signature covers.
 */
export async function fiberSignedDemo(quiet = false): Promise<DemoResult> {
  const s = new Steps("fiber-signed", "plain JSON signed over nonce:miner:sha256(body) with sr25519, no key exchange (Fiber 2 default)", quiet);
  const [miner, validator] = await Promise.all([Keypair.generate(), Keypair.generate()]);
  let received: Uint8Array | undefined;
  const server = await FiberServer.create({ keypair: miner });
  server.signedRoute("/echo-signed", {
    handler: async (body) => {
      received = fromHex(await bodyHash(JSON.stringify(body)));
      return body;
    },
  });
  server.signedRoute("/stream-signed", streamSigned);
  const running = await serve(server.fetch, { host: "127.0.0.1", port: 0 });
  try {
    s.step("miner", `${miner.ss58Address} listening on ${running.url} (no RSA key needed)`);
    const client = new FiberClient({ keypair: validator });
    const payload = { hello: "miner", n: 1 };
    const answer = (await client.postSigned(running.url, miner.ss58Address, "/echo-signed", payload)) as Record<string, unknown>;
    const echoed = answer?.hello === payload.hello && answer?.n === payload.n;
    const minerHash = received;
    s.step("validator", `POST /echo-signed ${JSON.stringify(payload)} -> ${echoed ? "verified by the miner and echoed back" : `WRONG ANSWER ${JSON.stringify(answer)}`}`);
    const lines: string[] = [];
    for await (const line of client.streamSigned(running.url, miner.ss58Address, "/stream-signed", { lines: ["one", "", "three"] })) lines.push(line);
    const streamed = JSON.stringify(lines) === JSON.stringify(["one", "", "three"]);
    s.step("validator", `POST /stream-signed -> lines ${JSON.stringify(lines)}`);
    const body = JSON.stringify({ hello: "once" });
    const headers = await signedRequestHeaders(validator, miner.ss58Address, body);
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) statuses.push((await fetch(`${running.url}/echo-signed`, { method: "POST", headers, body })).status);
    const replayRefused = statuses[0] === 200 && statuses[1] === 401;
    s.step("attacker", `replayed a captured request: ${statuses.join(" then ")}${replayRefused ? " (the nonce is single use)" : " UNEXPECTED"}`);
    const sent = fromHex(await bodyHash(JSON.stringify(payload)));
    return s.finish(["validator", "miner"], sent, minerHash, echoed && streamed && replayRefused, "body hash");
  } finally {
    await running.close();
  }
}

/** Every demo, in order. */
export const DEMOS = { password: passwordDemo, "rsa-mutual": rsaDemo, "rsa-half": halfRsaDemo, "hivemind-v3": hivemindDemo, "hivemind-ws": hivemindWebSocketDemo, fiber: fiberDemo, "fiber-signed": fiberSignedDemo } as const;

/** Runs the demos; resolves with their results (sequentially, so the timings are honest). */
export async function runDemos(quiet = false, only: (keyof typeof DEMOS)[] = Object.keys(DEMOS) as (keyof typeof DEMOS)[]): Promise<DemoResult[]> {
  const results: DemoResult[] = [];
  for (const name of only) results.push(await DEMOS[name](quiet));
  return results;
}

/** Adds `demo` to `program`. */
export function demoCommand(program: Command): void {
  jsonOption(
    program
      .command("demo")
      .description("run every handshake between two parties in this process and check that both sides agree")
      .addHelpText("after", `\nProtocols: ${Object.keys(DEMOS).join(", ")}. The Fiber exchange runs over HTTP on an ephemeral 127.0.0.1 port.\nExits 1 if any pair of parties disagrees.`),
  ).action(
    action("demo", async (flags: { json?: boolean }) => {
      const results = await runDemos(flags.json === true);
      const agreed = results.every((r) => r.agreed);
      if (flags.json) printJson({ agreed, results });
      else console.log(agreed ? `\nall ${results.length} protocols agreed` : `\nDISAGREEMENT in ${results.filter((r) => !r.agreed).map((r) => r.protocol).join(", ")}`);
      return agreed ? EXIT.ok : EXIT.failed;
    }),
  );
}
