/**
 * `pmh serve --workers N`: N processes acting as one miner, with the stores held by the
 * primary (no Redis) or shared through a real redis-server. Requests go over fresh
 * connections (no keep-alive), so the primary's round robin spreads them over the workers.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fromBase64Any, randomBytes, toHex } from "../src/common/bytes.js";
import { FiberClient } from "../src/fiber/client.js";
import { DETAIL, EXCHANGE_PATH } from "../src/fiber/constants.js";
import { STORE_UNAVAILABLE_DETAIL } from "../src/fiber/constants.js";
import { Fernet } from "../src/fiber/fernet.js";
import cluster from "node:cluster";
import { assertOneLineError, PMH_BIN, pmh, startServe, stopChild, type ServeChild } from "./helpers/cli.js";
import { identities, MINER_SEED, signedHeaders, type Identities } from "./helpers/fiber.js";
import { eventually, hasRedisServer, REDIS_MISSING, RedisServer } from "./helpers/redis.js";

const STORAGE_KEY = toHex(randomBytes(32));
let ids: Identities;
let dir = "";

before(async () => {
  ids = await identities();
  dir = mkdtempSync(join(tmpdir(), "pmh-cli-workers-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** fetch over `agent`, or a new connection every time (`agent: false`, `connection: close`). */
const agentFetch = (agent: Agent | false): typeof fetch => (input, init) =>
  new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
    const req = httpRequest(String(input), { method: init?.method ?? "GET", headers: agent === false ? { ...headers, connection: "close" } : headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode!, headers: res.headers as Record<string, string> })));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(init?.body as string | Uint8Array | undefined);
  });
const freshFetch = agentFetch(false);

/** A validator that counts its key exchanges and never reuses a connection. */
function countingClient(count: { exchanges: number }): FiberClient {
  return new FiberClient({
    keypair: ids.other,
    fetch: (input, init) => {
      if (new URL(String(input)).pathname === EXCHANGE_PATH) count.exchanges++;
      return freshFetch(input, init);
    },
  });
}

/** Worker pids from the "worker N (pid P) listening" lines, by slot, the latest of each. */
function workerPids(output: string): Map<number, number> {
  const pids = new Map<number, number>();
  for (const m of output.matchAll(/worker (\d+) \(pid (\d+)\) listening/g)) pids.set(Number(m[1]), Number(m[2]));
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** An encrypted /echo request ready to send (and replay), with a key exchanged first. */
async function capturedEcho(client: FiberClient, url: string, payload: unknown): Promise<{ headers: Record<string, string>; body: string }> {
  const session = await client.handshake(url, ids.miner.ss58Address);
  const fernet = await Fernet.create(fromBase64Any(session.key));
  const headers = { ...(await signedHeaders(ids.other, ids.miner.ss58Address, { uuid: session.uuid })), "content-type": "application/octet-stream" };
  return { headers, body: await fernet.encrypt(JSON.stringify(payload)) };
}

async function send(url: string, captured: { headers: Record<string, string>; body: string }): Promise<{ status: number; json: any }> {
  const response = await freshFetch(`${url}/echo`, { method: "POST", headers: captured.headers, body: captured.body });
  return { status: response.status, json: await response.json() };
}

describe("pmh serve --workers 2, stores held by the primary (--store file)", { timeout: 120_000 }, () => {
  const file = () => join(dir, "keys.json");
  let server: ServeChild;
  const count = { exchanges: 0 };
  let client: FiberClient;
  let captured: { headers: Record<string, string>; body: string };
  before(async () => {
    server = await startServe(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--workers", "2", "--store", file(), "--storage-key", STORAGE_KEY]);
    client = countingClient(count);
  });
  after(async () => {
    if (server !== undefined) await stopChild(server.child, "SIGKILL");
  });

  it("starts two workers and prints one listening line naming them", () => {
    assert.equal(workerPids(server.output()).size, 2, server.output());
    assert.match(server.output(), /held by the primary; 2 worker processes\)/);
    assert.ok(existsSync(`${file()}.lock`), "the primary holds the store's lock");
  });

  it("a key exchanged through one worker serves requests on every worker (fresh connections)", async () => {
    for (let n = 0; n < 12; n++) assert.equal(((await client.post(server.url, ids.miner.ss58Address, "/echo", { n })) as { n: number }).n, n);
    assert.equal(count.exchanges, 1, "one exchange served every request");
  });

  it("a nonce used on one worker is refused on every other", async () => {
    captured = await capturedEcho(countingClient({ exchanges: 0 }), server.url, { once: true });
    assert.deepEqual(await send(server.url, captured), { status: 200, json: { once: true } });
    for (let i = 0; i < 6; i++) assert.deepEqual(await send(server.url, captured), { status: 401, json: { detail: DETAIL.invalidNonce } }, `replay ${i}`);
    // The same fresh request on 8 connections at once, spread over both workers: one wins.
    const racing = await capturedEcho(countingClient({ exchanges: 0 }), server.url, { race: true });
    const statuses = (await Promise.all(Array.from({ length: 8 }, () => send(server.url, racing)))).map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 401, 401, 401, 401, 401, 401, 401]);
  });

  it("workers killed by pid are replaced; keys and nonce records survive in the primary", async () => {
    const before = workerPids(server.output());
    for (const pid of before.values()) process.kill(pid, "SIGKILL");
    assert.ok(
      await eventually(() => {
        const now = workerPids(server.output());
        return [...before].every(([slot, pid]) => now.get(slot) !== undefined && now.get(slot) !== pid && alive(now.get(slot)!));
      }, 30_000),
      `new workers: ${server.output()}`,
    );
    assert.match(server.output(), /worker 1 \(pid \d+\) exited with signal SIGKILL; starting a new one/);
    const exchanged = count.exchanges;
    // The port stays the same; the first connections may meet the moment no worker listened.
    assert.ok(await eventually(() => client.post(server.url, ids.miner.ss58Address, "/echo", { back: 1 }).then(() => true, () => false)));
    for (let n = 0; n < 8; n++) assert.equal(((await client.post(server.url, ids.miner.ss58Address, "/echo", { n })) as { n: number }).n, n);
    assert.equal(count.exchanges, exchanged, "the key survived the workers");
    assert.deepEqual(await send(server.url, captured), { status: 401, json: { detail: DETAIL.invalidNonce } }, "a replay (not a 503): the nonce record survived");
  });

  it("a primary that does not answer (stopped) gives 503 on the worker, never an accepted request", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sameConnection = agentFetch(agent);
    const validator = new FiberClient({ keypair: ids.other, fetch: sameConnection });
    try {
      // The connection is open on one worker; the stopped primary cannot hand out new ones.
      await validator.post(server.url, ids.miner.ss58Address, "/echo", { warm: 1 });
      const session = await validator.handshake(server.url, ids.miner.ss58Address);
      const fernet = await Fernet.create(fromBase64Any(session.key));
      const headers = { ...(await signedHeaders(ids.other, ids.miner.ss58Address, { uuid: session.uuid })), "content-type": "application/octet-stream" };
      const body = await fernet.encrypt(JSON.stringify({ stopped: 1 }));
      process.kill(server.child.pid!, "SIGSTOP");
      let answer: { status: number; json: any };
      try {
        const response = await sameConnection(`${server.url}/echo`, { method: "POST", headers, body });
        answer = { status: response.status, json: await response.json() };
      } finally {
        process.kill(server.child.pid!, "SIGCONT");
      }
      assert.deepEqual(answer, { status: 503, json: { detail: STORE_UNAVAILABLE_DETAIL } });
      assert.ok(await eventually(() => validator.post(server.url, ids.miner.ss58Address, "/echo", { after: 1 }).then(() => true, () => false)), "serves again");
    } finally {
      agent.destroy();
    }
  });

  it("SIGTERM drains every worker (each served requests), exits 0 and releases the lock", async () => {
    const pids = [...workerPids(server.output()).values()];
    assert.equal(await stopChild(server.child, "SIGTERM"), 0, server.output());
    const drained = [...server.output().matchAll(/worker (\d+) \(pid (\d+)\) drained after (\d+) requests/g)].filter((m) => pids.includes(Number(m[2])));
    assert.equal(drained.length, 2, server.output());
    for (const m of drained) assert.ok(Number(m[3]) > 0, `worker ${m[1]} served requests: the connections were spread`);
    assert.match(server.output(), /pmh: closed\n/);
    assert.equal(existsSync(`${file()}.lock`), false, "lock released");
    assert.ok(existsSync(file()), "keys saved");
    for (const pid of pids) assert.equal(alive(pid), false, `worker ${pid} exited`);
  });
});

describe("pmh serve --workers 2 --redis", { timeout: 90_000 }, () => {
  const needsRedis = { skip: hasRedisServer ? false : REDIS_MISSING };
  let redis: RedisServer;
  let server: ServeChild;
  before(async () => {
    if (!hasRedisServer) return;
    redis = await RedisServer.start();
    server = await startServe(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--workers", "2", "--redis", redis.url, "--storage-key", STORAGE_KEY]);
  });
  after(async () => {
    if (!hasRedisServer) return;
    if (server !== undefined) await stopChild(server.child, "SIGKILL");
    await redis.dispose();
  });

  it("the primary publishes the RSA key, the workers adopt it; keys and nonces shared; SIGTERM exits 0", needsRedis, async () => {
    assert.match(server.output(), /published a new shared RSA key/);
    assert.equal(server.output().match(/worker \d: adopted the shared RSA key/g)?.length, 2, server.output());
    const count = { exchanges: 0 };
    const client = countingClient(count);
    for (let n = 0; n < 8; n++) await client.post(server.url, ids.miner.ss58Address, "/echo", { n });
    assert.equal(count.exchanges, 1);
    const captured = await capturedEcho(client, server.url, { once: 1 });
    assert.equal((await send(server.url, captured)).status, 200);
    for (let i = 0; i < 4; i++) assert.equal((await send(server.url, captured)).status, 401);
    assert.equal(await stopChild(server.child, "SIGTERM"), 0, server.output());
    const drained = [...server.output().matchAll(/drained after (\d+) requests/g)].map((m) => Number(m[1]));
    assert.equal(drained.length, 2);
    assert.ok(drained.every((n) => n > 0), server.output());
  });
});

describe("pmh serve --workers: bad values", () => {
  it("refuses values that are not an integer from 1 to 64, with one line", async () => {
    for (const value of ["0", "65", "x", "1.5", "-1", ""]) {
      const run = await pmh(["serve", "--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--port", "0", "--workers", value]);
      assertOneLineError(run, 2, /^pmh serve: option '--workers <n>' argument '.*' is invalid\. must be an integer from 1 to 64/);
    }
  });
  it("pmh serve run as a worker of someone else's cluster (a process manager) is one ordinary process", async () => {
    cluster.setupPrimary({ exec: PMH_BIN, args: ["serve", "--host", "127.0.0.1", "--port", "0", "--protocol", "encrypted", "--hotkey-seed", MINER_SEED], silent: true });
    const worker = cluster.fork();
    try {
      let output = "";
      const url = await new Promise<string>((resolve, reject) => {
        worker.process.stdout!.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match) resolve(match[1]!);
        });
        worker.process.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
        worker.once("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
        setTimeout(() => reject(new Error(`no listening line within 15 s: ${output}`)), 15_000).unref();
      });
      assert.match(output, /in-memory stores\)/);
      assert.equal((await fetch(`${url}/public-encryption-key`)).status, 200);
    } finally {
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      worker.process.kill("SIGKILL"); // its IPC channel to this process would keep it alive after SIGTERM
      await exited;
    }
  });
  it("--workers 1 is one process, as without the option", async () => {
    const server = await startServe(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--workers", "1"]);
    try {
      assert.doesNotMatch(server.output(), /worker/);
      assert.equal((await fetch(`${server.url}/public-encryption-key`)).status, 200);
    } finally {
      assert.equal(await stopChild(server.child), 0);
    }
  });
});
