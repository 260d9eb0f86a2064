/**
 * `node --import tsx bench/attack-stores.ts`: a bounded attack run against `pmh serve`'s
 * stores and process, all on 127.0.0.1 with redis-servers it starts itself: replays across
 * a restart, eviction in a Redis shared with a cache, a slow and a frozen Redis (DEBUG
 * SLEEP, SIGSTOP), two processes on one `--store` file, a closed stdout (EPIPE), and a
 * burst of raw HTTP requests at `pmh serve --workers 2` while its primary is stopped.
 * Prints one line per figure and the whole as JSON (`--json`); `--only stopped-primary`
 * runs that case alone. Needs `npm run build`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@redis/client";
import { fromBase64Any, randomBytes, toBase64, toHex } from "../src/common/bytes.js";
import { HttpStatusError } from "../src/common/errors.js";
import { FiberClient } from "../src/fiber/client.js";
import type { FiberSession } from "../src/fiber/client-config.js";
import { Fernet } from "../src/fiber/fernet.js";
import { encryptRSA } from "../src/rsa/index.js";
import { PMH_BIN, startServe, startServeThenCloseOutput, stopChild } from "../test/helpers/cli.js";
import { identities, MINER_SEED, signedHeaders, type Identities } from "../test/helpers/fiber.js";
import { freePort, hasRedisServer, RedisServer } from "../test/helpers/redis.js";
import { quantile } from "./loadtest-lib.js";

const { values: flags } = parseArgs({ options: { json: { type: "boolean", default: false }, only: { type: "string" } } });
const STORAGE_KEY = toHex(randomBytes(32));
const dir = mkdtempSync(join(tmpdir(), "pmh-attack-"));
const figures: Record<string, unknown> = {};
const say = (line: string) => flags.json || console.log(line);
let ids: Identities;

/** A request as captured on the wire: replayable as is. */
interface Captured {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Statuses tallied, and latencies of the honest ones. */
class Tally {
  readonly statuses: Record<string, number> = {};
  readonly ms: number[] = [];
  add(status: number | string, ms?: number): void {
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (ms !== undefined) this.ms.push(ms);
  }
  get total(): number {
    return Object.values(this.statuses).reduce((a, b) => a + b, 0);
  }
  summary() {
    const sorted = [...this.ms].sort((a, b) => a - b);
    return { total: this.total, statuses: this.statuses, okRate: (this.statuses["200"] ?? 0) / Math.max(1, this.total), p50Ms: round(quantile(sorted, 0.5)), p99Ms: round(quantile(sorted, 0.99)) };
  }
}

const round = (x: number) => Math.round(x * 10) / 10;

async function send(url: string, c: Captured): Promise<number> {
  const response = await fetch(url + c.path, { method: "POST", headers: c.headers, body: c.body, signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return response.status;
}

/** An encrypted /echo request under `session`, sent once (honest) and kept for replay. */
async function echoRequest(session: FiberSession): Promise<Captured> {
  const fernet = await Fernet.create(fromBase64Any(session.key));
  const headers = { ...(await signedHeaders(ids.other, ids.miner.ss58Address, { uuid: session.uuid })), "content-type": "application/octet-stream" };
  return { path: "/echo", headers, body: await fernet.encrypt(JSON.stringify({ pay: toHex(randomBytes(4)) })) };
}

/** A key exchange under the miner's public key, kept for replay. */
async function exchangeRequest(publicKeyPem: string): Promise<Captured> {
  const headers = { ...(await signedHeaders(ids.other, ids.miner.ss58Address)), "content-type": "application/json" };
  return { path: "/exchange-symmetric-key", headers, body: JSON.stringify({ encrypted_symmetric_key: toBase64(await encryptRSA(publicKeyPem, randomBytes(32), { hash: "SHA-256" })) }) };
}

/** One honest `FiberClient.post`, its status (200 or the error's) and latency. */
async function honest(client: FiberClient, url: string, tally: Tally): Promise<void> {
  const t = performance.now();
  try {
    await client.post(url, ids.miner.ss58Address, "/echo", { honest: true });
    tally.add(200, performance.now() - t);
  } catch (error) {
    tally.add(error instanceof HttpStatusError ? error.status : (error as Error).name, performance.now() - t);
  }
}

function run(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [PMH_BIN, "serve", "--host", "127.0.0.1", "--port", "0", "--protocol", "encrypted", "--hotkey-seed", MINER_SEED, ...args], { timeout: 20_000 }, (error, _out, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stderr: stderr.trim() }));
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 1. Requests and key exchanges captured before a restart, replayed after it. */
async function restartReplay(): Promise<void> {
  const args = ["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--port", String(await freePort()), "--store", join(dir, "keys.json"), "--storage-key", STORAGE_KEY, "--rsa-key", join(dir, "rsa.pem")];
  let server = await startServe(args);
  const client = new FiberClient({ keypair: ids.other });
  const session = await client.handshake(server.url, ids.miner.ss58Address);
  const pem = ((await (await fetch(`${server.url}/public-encryption-key`)).json()) as { public_key: string }).public_key;
  const captured: Captured[] = [];
  for (let i = 0; i < 100; i++) captured.push(i % 2 ? await echoRequest(session) : await exchangeRequest(pem));
  const first = new Tally();
  for (const c of captured) first.add(await send(server.url, c));
  await stopChild(server.child);
  server = await startServe(args);
  const replays = new Tally();
  for (const c of captured) replays.add(await send(server.url, c));
  const after = new Tally();
  for (let i = 0; i < 100; i++) await honest(client, server.url, after);
  await stopChild(server.child);
  figures.restartReplay = { sentBeforeRestart: first.summary(), replayedAfterRestart: replays.summary(), honestAfterRestart: after.summary() };
  say(`restart: ${replays.total} replays (50 requests, 50 key exchanges) after a restart: ${JSON.stringify(replays.statuses)}; honest after: ${JSON.stringify(after.statuses)}`);
}

/** 2. A Redis shared with a cache (volatile-ttl, small maxmemory): nonce records are evicted. */
async function eviction(): Promise<void> {
  const redis = await RedisServer.start(["--maxmemory-policy", "volatile-ttl"]);
  const raw = createClient({ url: redis.url });
  raw.on("error", () => {});
  await raw.connect();
  try {
    const refused = await run(["--redis", redis.url]);
    const server = await startServe(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--redis", redis.url, "--allow-eviction"]);
    const client = new FiberClient({ keypair: ids.other });
    const session = await client.handshake(server.url, ids.miner.ss58Address);
    const used = Number(/^used_memory:(\d+)/m.exec(String(await raw.sendCommand(["INFO", "memory"])))![1]);
    await raw.sendCommand(["CONFIG", "SET", "maxmemory", String(used + 1024 * 1024)]);
    const captured: Captured[] = [];
    const honestTally = new Tally();
    const quickReplays = new Tally();
    const filler = "x".repeat(16 * 1024);
    for (let i = 0; i < 400; i++) {
      const c = await echoRequest(session);
      const t = performance.now();
      honestTally.add(await send(server.url, c), performance.now() - t);
      captured.push(c);
      await raw.set(`cache:${i}`, filler, { expiration: { type: "PX", value: 600_000 } });
      // The attacker replays what it saw 20 requests ago, while Redis evicts.
      if (i >= 20) quickReplays.add(await send(server.url, captured[i - 20]!));
    }
    const evicted = Number(/^evicted_keys:(\d+)/m.exec(String(await raw.sendCommand(["INFO", "stats"])))![1]);
    await pause(2500); // one check of evicted_keys later
    const lateReplays = new Tally();
    for (const c of captured) lateReplays.add(await send(server.url, c));
    await stopChild(server.child);
    figures.eviction = { refusedWithoutFlag: refused, evictedKeys: evicted, honest: honestTally.summary(), replaysDuringEviction: quickReplays.summary(), replaysAfter: lateReplays.summary() };
    say(`eviction: without --allow-eviction exit ${refused.code}: ${refused.stderr.slice(0, 120)}…`);
    say(`eviction: ${evicted} keys evicted; honest ${JSON.stringify(honestTally.summary())}; replays during: ${JSON.stringify(quickReplays.statuses)}; after: ${JSON.stringify(lateReplays.statuses)}`);
  } finally {
    raw.destroy();
    await redis.dispose();
  }
}

/** 3. Honest traffic while Redis is slow (DEBUG SLEEP) and frozen (SIGSTOP): never a 401. */
async function slowRedis(): Promise<void> {
  const redis = await RedisServer.start(["--enable-debug-command", "local"]);
  const raw = createClient({ url: redis.url });
  raw.on("error", () => {});
  await raw.connect();
  const server = await startServe(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--redis", redis.url]);
  try {
    const tally = new Tally();
    let stopAbuse = false;
    const abuse = (async () => {
      let sleeps = 0;
      for (; sleeps < 8 && !stopAbuse; sleeps++) {
        await raw.sendCommand(["DEBUG", "SLEEP", sleeps % 2 ? "0.3" : "1.2"]);
        await pause(700);
      }
      redis.freeze();
      await pause(1500);
      redis.thaw();
      return sleeps;
    })();
    const workers = [...Array(4)].map(async () => {
      const client = new FiberClient({ keypair: ids.other });
      for (let i = 0; i < 250; i++) await honest(client, server.url, tally);
    });
    await Promise.all(workers);
    stopAbuse = true;
    const sleeps = await abuse;
    figures.slowRedis = { debugSleeps: sleeps, sigstopMs: 1500, honest: tally.summary() };
    say(`slow Redis: ${sleeps} DEBUG SLEEPs and one 1.5 s SIGSTOP; honest requests ${JSON.stringify(tally.summary())}`);
  } finally {
    await stopChild(server.child);
    raw.destroy();
    await redis.dispose();
  }
}

/** 4. Second processes on one --store file, and takeovers of a SIGKILLed holder's lock. */
async function twoProcesses(): Promise<void> {
  const file = join(dir, "shared.json");
  const args = ["--store", file, "--storage-key", STORAGE_KEY];
  let holder = await startServe(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, ...args]);
  let refused = 0;
  let tried = 0;
  let takeovers = 0;
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 5; i++, tried++) {
      const r = await run(args);
      if (r.code === 1 && r.stderr.includes(`in use by process ${holder.child.pid}`)) refused++;
    }
    await stopChild(holder.child, "SIGKILL");
    holder = await startServe(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, ...args]);
    takeovers++;
  }
  await stopChild(holder.child);
  figures.twoProcesses = { secondStarts: tried, refusedNamingHolder: refused, staleTakeovers: takeovers };
  say(`store lock: ${refused}/${tried} second starts refused naming the holder; ${takeovers} restarts after SIGKILL took the stale lock`);
}

/** 5. `pmh serve | head -1` then Redis blips (CLIENT KILL): every log line meets EPIPE. */
async function closedOutput(): Promise<void> {
  const redis = await RedisServer.start();
  const raw = createClient({ url: redis.url });
  raw.on("error", () => {});
  await raw.connect();
  try {
    const { child, url } = await startServeThenCloseOutput(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--redis", redis.url]);
    const client = new FiberClient({ keypair: ids.other });
    const tally = new Tally();
    for (let blip = 0; blip < 5; blip++) {
      await raw.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
      for (let i = 0; i < 40; i++) await honest(client, url, tally);
    }
    const alive = child.exitCode === null;
    const code = await stopChild(child);
    figures.closedOutput = { blips: 5, honest: tally.summary(), aliveAfter: alive, exitCodeOnSigterm: code };
    say(`closed stdout: 5 Redis blips logged into a closed pipe; honest ${JSON.stringify(tally.statuses)}; alive ${alive}; exit ${code} on SIGTERM`);
  } finally {
    raw.destroy();
    await redis.dispose();
  }
}

/** One raw HTTP/1.1 request on a kept-alive socket; resolves with the answer's status. */
function rawRequest(socket: Socket, head: string, body = ""): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
      if (text.length < end + 4 + length) return;
      socket.off("data", onData).off("error", reject);
      resolve(Number(text.slice(9, 12)));
    };
    socket.on("data", onData).once("error", reject);
    socket.write(`${head}\r\nhost: 127.0.0.1\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
}

/**
 * 6. `pmh serve --workers 2` whose primary is stopped (SIGSTOP): 1,200 signed requests at
 * once on connections opened before (the primary hands out new ones, so none arrive while
 * it is stopped). Each needs a nonce store call; the calls past the bound of calls in
 * flight are refused at once, the rest wait out the 2 s timeout. Then honest traffic once
 * it resumes.
 */
async function stoppedPrimary(): Promise<void> {
  const count = 1200;
  const server = await startServe(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--workers", "2"]);
  const { port } = new URL(server.url);
  const sockets: Socket[] = [];
  try {
    const heads = await Promise.all(
      Array.from({ length: count }, async () => {
        const headers = await signedHeaders(ids.other, ids.miner.ss58Address);
        return ["POST /echo HTTP/1.1", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join("\r\n");
      }),
    );
    // Connections spread over both workers by the primary's round robin, each used once
    // (so it is kept alive and owned by its worker): the node adapter keeps it 5 s.
    for (let i = 0; i < count; i += 100) {
      const batch = await Promise.all(Array.from({ length: Math.min(100, count - i) }, () => new Promise<Socket>((resolve, reject) => {
        const socket = connect(Number(port), "127.0.0.1", () => resolve(socket)).once("error", reject);
      })));
      await Promise.all(batch.map((socket) => rawRequest(socket, "GET /public-encryption-key HTTP/1.1")));
      sockets.push(...batch);
    }
    process.kill(server.child.pid!, "SIGSTOP");
    const atOnce = new Tally();
    const waited = new Tally();
    try {
      await Promise.all(sockets.map(async (socket, i) => {
        const t = performance.now();
        const status = await rawRequest(socket, heads[i]!, "x");
        const ms = performance.now() - t;
        (ms < 1000 ? atOnce : waited).add(status, ms);
      }));
    } finally {
      process.kill(server.child.pid!, "SIGCONT");
    }
    const after = new Tally();
    const client = new FiberClient({ keypair: ids.other });
    for (let i = 0; i < 100; i++) await honest(client, server.url, after);
    figures.stoppedPrimary = { requests: count, answeredWithin1s: atOnce.summary(), answeredAfter1s: waited.summary(), honestAfterResume: after.summary() };
    say(`stopped primary: ${count} requests; answered within 1 s ${JSON.stringify(atOnce.summary())}; after ${JSON.stringify(waited.summary())}; honest after SIGCONT ${JSON.stringify(after.statuses)} p99 ${after.summary().p99Ms} ms`);
  } finally {
    for (const socket of sockets) socket.destroy();
    await stopChild(server.child);
  }
}

try {
  ids = await identities();
  const all = flags.only === undefined;
  if (all) {
    await restartReplay();
    await twoProcesses();
  }
  if (all || flags.only === "stopped-primary") await stoppedPrimary();
  if (all && hasRedisServer) {
    await eviction();
    await slowRedis();
    await closedOutput();
  } else if (all) {
    say("Redis attacks skipped: redis-server not installed (apt-get install redis-server)");
  }
  if (flags.json) console.log(JSON.stringify(figures, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
