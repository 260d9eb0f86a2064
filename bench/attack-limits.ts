/**
 * A bounded attack run on the unauthenticated cost of Fiber, 127.0.0.1 only:
 *
 * 1. `pmh serve` (default limits) under stalled uploads: `--connections` raw sockets each
 *    trickling a 4 MiB body, first without Fiber headers, then with valid signed headers
 *    (allow-all, so anyone can sign); honest validators keep sending `POST /echo`.
 * 2. An exchange flood from one hotkey against a miner whose key store holds 1,000 keys,
 *    while honest validators that exchanged before keep using their keys.
 * 3. A hostile miner streaming endless answers into `FiberClient` (handshake and route).
 *
 * For each phase: the miner's RSS (before and peak), honest requests tried, their success
 * rate and p50/p99 latency. `node --import tsx bench/attack-limits.ts [--connections N] [--json]`
 *
 * With `--hub`, raw WebSockets against `pmh hub` instead (default limits; upgrade timeout
 * 2 s): raced wrong-password handshakes on one key, allowedTypes through every envelope,
 * reused peer names, 8 clients sending 30 MiB each at once, clients that leave right after
 * their HELLO, and 600 connections that never upgrade; honest nodes keep connecting and
 * having an utterance answered. The hub's RSS is sampled; honest figures as above.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseArgs } from "node:util";
import { randomBytes, toBase64 } from "../src/common/bytes.js";
import { FiberClient } from "../src/fiber/client.js";
import { Keypair } from "../src/fiber/keypair.js";
import { MemoryKeyStore } from "../src/fiber/keystore.js";
import { FiberServer } from "../src/fiber/server.js";
import { serve } from "../src/fiber/node/serve.js";
import { encryptRSA } from "../src/rsa/index.js";
import { type HiveMessage, HiveMindNode } from "../src/hivemind/node/index.js";
import { startListening, startServe, stopChild } from "../test/helpers/cli.js";
import { guess, helloThenGone, smuggledUtterances } from "../test/helpers/hivemind-raw.js";
import { MINER_SEED, signedHeaders } from "../test/helpers/fiber.js";
import { flood, hostileServer, rawUpload, type RawUpload } from "../test/helpers/raw-http.js";
import { echoOnce, handshakeOnce, quantile, type LoadSession } from "./loadtest-lib.js";
import { residentBytes } from "./proc-cpu.js";

const { values: args } = parseArgs({ options: { connections: { type: "string", default: "100" }, json: { type: "boolean", default: false }, hub: { type: "boolean", default: false } } });
const CONNECTIONS = Math.min(500, Math.max(1, Number(args.connections)));
const MIB = 1024 * 1024;
const BODY = 4 * MIB;
const TRICKLE_CHUNK = 64 * 1024;
const TRICKLE_EVERY_MS = 100;
const HONEST_VALIDATORS = 8;
const HONEST_IN_FLIGHT = 2;
/** No phase runs longer than this. */
const PHASE_LIMIT_MS = 45_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => {
  if (!args.json) console.log(line);
};

/** Resident set size of a process in MiB (Linux; NaN elsewhere). */
const rssMib = (pid: number): number => residentBytes(pid) / 2 ** 20;

interface PhaseFigures {
  phase: string;
  attack: string;
  rssBeforeMib: number;
  rssPeakMib: number;
  rssAfterMib: number;
  honestTried: number;
  honestOk: number;
  successRate: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<string, number>;
  extra?: Record<string, unknown>;
}

/** Runs honest echoes (HONEST_IN_FLIGHT at a time) and samples RSS until `attack` settles. */
function phase(name: string, what: string, pid: number, sessions: LoadSession[], url: string, miner: string, attack: () => Promise<Record<string, unknown> | void>): Promise<PhaseFigures> {
  return measured(name, what, pid, (n) => echoOnce(sessions[n % sessions.length]!, url, miner, n), attack);
}

/** Runs `honestOnce` (HONEST_IN_FLIGHT at a time; it resolves "ok" or a status) and samples RSS until `attack` settles. */
async function measured(name: string, what: string, pid: number, honestOnce: (n: number) => Promise<string>, attack: () => Promise<Record<string, unknown> | void>): Promise<PhaseFigures> {
  const rssBefore = rssMib(pid);
  let rssPeak = rssBefore;
  let running = true;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMib(pid))), 100);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let i = 0;
  const honest = async () => {
    while (running) {
      const n = i++;
      const started = performance.now();
      let outcome: string;
      try {
        outcome = await honestOnce(n);
      } catch (error) {
        outcome = (error as Error).message.split(" ")[0]!;
      }
      latencies.push(performance.now() - started);
      statuses[outcome] = (statuses[outcome] ?? 0) + 1;
    }
  };
  const workers = Array.from({ length: HONEST_IN_FLIGHT }, honest);
  const extra = await Promise.race([attack(), sleep(PHASE_LIMIT_MS).then(() => ({ truncated: true }))]);
  running = false;
  await Promise.all(workers);
  clearInterval(sampler);
  await sleep(500);
  const sorted = latencies.sort((a, b) => a - b);
  const ok = statuses.ok ?? 0;
  const figures: PhaseFigures = {
    phase: name,
    attack: what,
    rssBeforeMib: round(rssBefore),
    rssPeakMib: round(rssPeak),
    rssAfterMib: round(rssMib(pid)),
    honestTried: sorted.length,
    honestOk: ok,
    successRate: sorted.length === 0 ? 0 : round((100 * ok) / sorted.length),
    p50Ms: round(quantile(sorted, 0.5)),
    p99Ms: round(quantile(sorted, 0.99)),
    statuses,
    ...(extra ? { extra } : {}),
  };
  log(`${name.padEnd(34)} RSS ${figures.rssBeforeMib} -> peak ${figures.rssPeakMib} MiB   honest ${ok}/${sorted.length} ok (${figures.successRate} %)   p50 ${figures.p50Ms} p99 ${figures.p99Ms} ms   ${JSON.stringify(statuses)}${extra ? `   ${JSON.stringify(extra)}` : ""}`);
  return figures;
}

/** An endless answer (each bounded by FLOOD_CAP), adding what it sent to `total`. */
function floodCounted(res: ServerResponse, total: { bytes: number }): void {
  const own = { bytes: 0 };
  res.once("close", () => (total.bytes += own.bytes));
  flood(res, own);
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/** CONNECTIONS uploads of a 4 MiB body trickled at 64 KiB / 100 ms; counts answers by status. */
async function trickle(port: number, headers: () => Promise<Record<string, string>>): Promise<Record<string, unknown>> {
  const uploads: RawUpload[] = [];
  for (let c = 0; c < CONNECTIONS; c++) uploads.push(rawUpload(port, "/echo", { ...(await headers()), "content-length": BODY }));
  const answers: Record<string, number> = {};
  let sent = 0;
  await Promise.all(
    uploads.map(async (u) => {
      let open = true;
      void u.closed.then(() => (open = false));
      void u.answer.then((a) => (answers[a.status] = (answers[a.status] ?? 0) + 1), () => (answers.closed = (answers.closed ?? 0) + 1));
      const chunk = new Uint8Array(TRICKLE_CHUNK).fill(0x41);
      for (let at = 0; at < BODY && open; at += TRICKLE_CHUNK) {
        if (!u.socket.write(chunk)) await new Promise((resolve) => u.socket.once("drain", resolve).once("close", resolve));
        sent += TRICKLE_CHUNK;
        await sleep(TRICKLE_EVERY_MS);
      }
      await Promise.race([u.answer.catch(() => undefined), sleep(25_000)]);
      u.socket.destroy();
    }),
  );
  return { connections: CONNECTIONS, attackerMibSent: round(sent / MIB), answers };
}

async function minerPhases(validators: Keypair[]): Promise<PhaseFigures[]> {
  const miner = await startServe(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED]);
  try {
    const minerHotkey = (await Keypair.fromSeed(MINER_SEED)).ss58Address;
    const pid = miner.child.pid!;
    const port = Number(new URL(miner.url).port);
    const clients = validators.map((keypair) => new FiberClient({ keypair }));
    const sessions = await Promise.all(validators.map((v, i) => handshakeOnce(clients[i]!, v, miner.url, minerHotkey)));
    const attackers = await Promise.all(Array.from({ length: 4 }, () => Keypair.generate()));
    let a = 0;
    const figures = [await phase("baseline (no attack)", "none", pid, sessions, miner.url, minerHotkey, async () => void (await sleep(5000)))];
    figures.push(await phase(`${CONNECTIONS} x 4 MiB trickle, no headers`, "stalled uploads without Fiber headers", pid, sessions, miner.url, minerHotkey, () => trickle(port, async () => ({}))));
    figures.push(
      await phase(`${CONNECTIONS} x 4 MiB trickle, signed headers`, "stalled uploads with valid headers (allow-all)", pid, sessions, miner.url, minerHotkey, () =>
        trickle(port, () => signedHeaders(attackers[a++ % attackers.length]!, minerHotkey)),
      ),
    );
    return figures;
  } finally {
    await stopChild(miner.child);
  }
}

/** One hotkey floods exchanges into a 1,000-key store; honest keys made before must survive. */
async function exchangeFlood(validators: Keypair[]): Promise<PhaseFigures> {
  const minerKeypair = await Keypair.fromSeed(MINER_SEED);
  const server = await FiberServer.create({ keypair: minerKeypair, keyStore: new MemoryKeyStore({ maxEntries: 1000 }) });
  server.route("/echo", { handler: (payload) => payload });
  const running = await serve(server.fetch);
  try {
    const clients = validators.map((keypair) => new FiberClient({ keypair }));
    const sessions = await Promise.all(validators.map((v, i) => handshakeOnce(clients[i]!, v, running.url, minerKeypair.ss58Address)));
    const flooder = await Keypair.generate();
    const total = 3000;
    return await phase("exchange flood, 3,000 from one hotkey", "key exchanges into a 1,000-key store", process.pid, sessions, running.url, minerKeypair.ss58Address, async () => {
      let next = 0;
      let accepted = 0;
      const worker = async () => {
        while (next < total) {
          next++;
          const headers = await signedHeaders(flooder, minerKeypair.ss58Address);
          const body = JSON.stringify({ encrypted_symmetric_key: toBase64(await encryptRSA(server.publicKeyPem, randomBytes(32), { hash: "SHA-256" })) });
          const r = await fetch(`${running.url}/exchange-symmetric-key`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body });
          await r.arrayBuffer();
          if (r.ok) accepted++;
        }
      };
      await Promise.all(Array.from({ length: 6 }, worker));
      return { exchanges: total, accepted };
    });
  } finally {
    await running.close();
  }
}

/** Runs `client` against a hostile miner whose answers `answer` writes; the client's RSS and what the miner got to send. */
async function underHostileMiner(label: string, attack: string, answer: (req: IncomingMessage, res: ServerResponse, sent: { bytes: number }) => void, client: (url: string, errors: Record<string, number>) => Promise<void>): Promise<Record<string, unknown>> {
  const sent = { bytes: 0 };
  const { url, stop } = await hostileServer((req, res) => answer(req, res, sent));
  const rssBefore = rssMib(process.pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMib(process.pid))), 50);
  const errors: Record<string, number> = {};
  try {
    await client(url, errors);
  } finally {
    clearInterval(sampler);
    await stop();
  }
  const figures = { attack, hostileMibSent: round(sent.bytes / MIB), clientRssBeforeMib: round(rssBefore), clientRssPeakMib: round(rssPeak), errors };
  log(`${label.padEnd(34)} client RSS ${figures.clientRssBeforeMib} -> peak ${figures.clientRssPeakMib} MiB   the miner got to send ${figures.hostileMibSent} MiB in all   ${JSON.stringify(errors)}`);
  return figures;
}

const count = (errors: Record<string, number>) => (e: Error) => (errors[e.name] = (errors[e.name] ?? 0) + 1);

/** Endless public key answers: every handshake is cut off at 64 KiB. */
async function hostileMiner(validator: Keypair): Promise<Record<string, unknown>> {
  const minerHotkey = (await Keypair.fromSeed(MINER_SEED)).ss58Address;
  const endless = (req: IncomingMessage, res: ServerResponse, sent: { bytes: number }) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json" }).write('{"public_key": "');
    floodCounted(res, sent);
  };
  return underHostileMiner("hostile miner, 10 handshakes", "hostile miner streaming endless public key answers (10 handshakes)", endless, async (url, errors) => {
    const client = new FiberClient({ keypair: validator });
    for (let i = 0; i < 10; i++) {
      await client.handshake(url, minerHotkey).catch(count(errors));
      client.forget(url, minerHotkey);
    }
  });
}

/** A real handshake (forwarded to a real miner), then route answers without end: cut off at 16 MiB. */
async function hostileRoute(validator: Keypair): Promise<Record<string, unknown>> {
  const minerKeypair = await Keypair.fromSeed(MINER_SEED);
  const real = await FiberServer.create({ keypair: minerKeypair });
  const realRunning = await serve(real.fetch);
  const answer = (req: IncomingMessage, res: ServerResponse, sent: { bytes: number }) => {
    if (req.url === "/public-encryption-key" || req.url === "/exchange-symmetric-key") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c)).on("end", async () => {
        const forwarded = await fetch(realRunning.url + req.url, { method: req.method, headers: req.headers as Record<string, string>, body: req.method === "GET" ? undefined : Buffer.concat(chunks) });
        res.writeHead(forwarded.status, { "content-type": "application/json" }).end(Buffer.from(await forwarded.arrayBuffer()));
      });
      return;
    }
    req.resume();
    res.writeHead(200, { "content-type": "application/json" }).write('{"a": "');
    floodCounted(res, sent);
  };
  try {
    return await underHostileMiner("hostile miner, 10 route requests", "hostile miner streaming endless route answers (10 requests, 16 MiB default limit)", answer, async (url, errors) => {
      const client = new FiberClient({ keypair: validator });
      for (let i = 0; i < 10; i++) await client.post(url, minerKeypair.ss58Address, "/echo", { i }).catch(count(errors));
    });
  } finally {
    await realRunning.close();
  }
}

/** An honest node: connects, has an utterance answered, leaves. */
async function honestHiveMind(url: string, n: number): Promise<string> {
  const node = await HiveMindNode.connect(url, { accessKey: "honest", password: "honest password" });
  try {
    const spoken = new Promise<void>((resolve) => node.on("message", (m) => (m.payload as { type?: string }).type === "speak" && resolve()));
    await node.sendBus("recognizer_loop:utterance", { utterances: [`honest ${n}`] });
    await Promise.race([spoken, sleep(10_000).then(() => Promise.reject(new Error("ERR_TIMEOUT no answer")))]);
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message.split(" ")[0]!;
  } finally {
    node.close();
  }
}

const tally = (outcomes: (string | number)[]) => outcomes.reduce<Record<string, number>>((t, o) => ((t[String(o)] = (t[String(o)] ?? 0) + 1), t), {});

async function hubPhases(): Promise<PhaseFigures[]> {
  const dir = await mkdtemp(join(tmpdir(), "pmh-attack-hub-"));
  const records = ["honest", "victim", "ghost", "big", "twin"].map((name) => ({ accessKey: name, password: `${name} password`, name }));
  await writeFile(join(dir, "clients.json"), JSON.stringify([...records, { accessKey: "speaker", password: "speaker password", name: "speaker", allowedTypes: ["speak"], isAdmin: true }]));
  const hub = await startListening(["hub", "--port", "0", "--clients", join(dir, "clients.json"), "--upgrade-timeout", "2000"], /listening on (ws:\/\/127\.0\.0\.1:\d+)/);
  const url = hub.url;
  const pid = hub.child.pid!;
  const run = (name: string, what: string, attack: () => Promise<Record<string, unknown> | void>) => measured(name, what, pid, (n) => honestHiveMind(url, n), attack);
  try {
    const figures = [await run("hub baseline (no attack)", "none", async () => void (await sleep(3000)))];
    figures.push(await run("60 raced wrong passwords, one key", "60 concurrent XXpsk2 m1 with a wrong password on one access key from 3 addresses (limit 10)", async () => {
      const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => guess(url, "victim", "a guess", `127.0.0.${1 + (i % 3)}`)));
      return { attempts: 60, ...tally(outcomes) };
    }));
    figures.push(await run("allowedTypes through 17 envelopes", "an utterance from a speak-only client in bus-carrying wrappers, hello and a made-up type", async () => {
      const node = await HiveMindNode.connect(url, { accessKey: "speaker", password: "speaker password" });
      const seen: string[] = [];
      node.on("message", (m) => seen.push((m.payload as { type?: string }).type ?? m.msg_type));
      const attempts = smuggledUtterances(node.sessionId);
      attempts.push({ ...attempts[1]!.payload as HiveMessage }); // and plain bus
      for (const attempt of attempts) await node.send(attempt);
      await sleep(1000);
      node.close();
      return { attempts: attempts.length, answered: seen.filter((t) => t === "speak").length, denied: seen.filter((t) => t === "hive.policy.denied").length };
    }));
    figures.push(await run("reused useragent and session", "two connections on one key with the same useragent and session id, plus one on another key", async () => {
      const same = { useragent: "twin", sessionId: "shared" };
      const nodes = [
        await HiveMindNode.connect(url, { accessKey: "twin", password: "twin password", ...same }),
        await HiveMindNode.connect(url, { accessKey: "twin", password: "twin password", ...same }),
        await HiveMindNode.connect(url, { accessKey: "ghost", password: "ghost password", ...same }),
      ];
      await sleep(200);
      const peers = [...hub.output().matchAll(/connected as (twin::\S+)/g)].map((m) => m[1]);
      for (const node of nodes) node.close();
      return { peers, distinct: new Set(peers).size };
    }));
    figures.push(await run("8 clients x 30 MiB at once", "8 clients each send one 30 MiB message at the same time (budget 64 MiB)", async () => {
      const nodes = await Promise.all(Array.from({ length: 8 }, () => HiveMindNode.connect(url, { accessKey: "big", password: "big password" })));
      const pad = "a".repeat(30 * MIB);
      const codes = nodes.map((node) => new Promise<number>((resolve) => node.on("close", (e: { code: number }) => resolve(e.code))));
      await Promise.all(nodes.map((node) => node.sendBus("x.big", { pad }).catch(() => undefined)));
      await Promise.race([Promise.all(codes), sleep(5000)]);
      for (const node of nodes) node.close();
      return { attempts: 8, closes: tally(await Promise.all(codes.map((c) => Promise.race([c, sleep(2000).then(() => "open")])))) };
    }));
    figures.push(await run("50 clients gone right after HELLO", "complete the handshake, send the HELLO and close at once, 50 times on one key", async () => {
      for (let i = 0; i < 50; i += 10) await Promise.all(Array.from({ length: 10 }, () => helloThenGone(url, "ghost", "ghost password")));
      await sleep(500);
      const connected = [...hub.output().matchAll(/ghost connected as .*ghost::ghost/g)].length;
      const left = [...hub.output().matchAll(/ghost \(.*ghost::ghost.*\) left/g)].length;
      const after = await HiveMindNode.connect(url, { accessKey: "ghost", password: "ghost password" }).then((n) => (n.close(), "connected"), (e: { code?: string; message: string }) => e.message);
      return { attempts: 50, connected, left, ghosts: connected - left, thenTheKeysOwner: after };
    }));
    figures.push(await run("600 connections that never upgrade", "600 TCP connections send nothing (upgrade timeout 2 s)", async () => {
      const sockets = Array.from({ length: 600 }, () => {
        const socket = connect(new URL(url).port as unknown as number, "127.0.0.1");
        socket.on("error", () => undefined);
        return new Promise<void>((resolve) => socket.on("close", () => resolve()));
      });
      const started = performance.now();
      const closedIn = await Promise.race([Promise.all(sockets).then(() => round((performance.now() - started) / 1000)), sleep(15_000).then(() => "over 15")]);
      return { attempts: 600, allClosedWithinS: closedIn };
    }));
    return figures;
  } finally {
    await stopChild(hub.child);
    await rm(dir, { recursive: true, force: true });
  }
}

if (args.hub) {
  log(`attack-limits --hub: pmh hub, default limits, ${HONEST_IN_FLIGHT} honest nodes in flight, Node ${process.version}`);
  const hub = await hubPhases();
  if (args.json) console.log(JSON.stringify({ hub }));
  process.exit(0);
}

const validators = await Promise.all(Array.from({ length: HONEST_VALIDATORS }, () => Keypair.generate()));
log(`attack-limits: ${CONNECTIONS} connections, ${HONEST_VALIDATORS} honest validators (${HONEST_IN_FLIGHT} requests in flight), Node ${process.version}`);
const miner = await minerPhases(validators);
const keys = await exchangeFlood(validators);
const client = [await hostileMiner(validators[0]!), await hostileRoute(validators[0]!)];
if (args.json) console.log(JSON.stringify({ connections: CONNECTIONS, miner, keys, client }));
