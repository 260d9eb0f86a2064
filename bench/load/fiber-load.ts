/**
 * Load generator for the Fiber server benchmark, run as a separate process (so the
 * server's CPU is not shared with request building). Every request is prepared and
 * signed before the clock starts; after a warm-up, `count` requests are kept
 * `concurrency` at a time in flight over keep-alive connections to 127.0.0.1.
 *
 * Started by bench/cases/fiber-server.ts with fork(); talks over the IPC channel.
 */
import { randomBytes, publicEncrypt, constants } from "node:crypto";
import { Agent, request } from "node:http";
import { FIBER_WIRE, Fernet, Keypair, generateNonce, signedGetHeaders, signedRequestHeaders, signingMessage } from "poorman-handshake/fiber";
import { SIGNED_PATHS, signedBody } from "./signed-body.js";

/** A job from the parent. */
export interface LoadJob {
  /**
   * `floor` is a GET of an unknown path (404): the HTTP round trip without any crypto.
   * `signed` is a signed `POST /echo-signed` of a 1 KiB JSON body, `signedGet` a signed
   * `GET /example-subnet-get` (Fiber 2.5.0: signed over `nonce:miner_hotkey`).
   */
  kind: "handshake" | "echo" | "floor" | "signed" | "signedGet";
  concurrency: number;
  count: number;
  /** Server to send to; the Fiber server of the config by default (its miner hotkey must be the config's). */
  url?: string;
}

/** The answer to a job. */
export interface LoadResult {
  /** Wall milliseconds for `count` requests (warm-up excluded). */
  ms: number;
  /** Responses with the expected status (200; 404 for `floor`). */
  ok: number;
  /** Statuses of the others, for the error message. */
  failed: number[];
  /** CPU milliseconds this process used while the clock ran (user + system). */
  cpuMs: number;
  /** Requests sent in all, the warm-up's included. */
  sent: number;
}

interface Prepared {
  method?: "GET";
  path: string;
  headers: Record<string, string>;
  body: string;
}

const { url, miner, publicKeyPem, seed } = JSON.parse(process.argv[2]!) as { url: string; miner: string; publicKeyPem: string; seed: string };
const fiberTarget = new URL(url);
/** Where the current job sends (jobs run one at a time). */
let target = fiberTarget;
const keypair = await Keypair.fromSeed(seed);

async function headers(nonce: string, uuid: string, contentType: string): Promise<Record<string, string>> {
  return {
    [FIBER_WIRE.VALIDATOR_HOTKEY_HEADER]: keypair.ss58Address,
    [FIBER_WIRE.MINER_HOTKEY_HEADER]: miner,
    [FIBER_WIRE.SYMMETRIC_KEY_UUID_HEADER]: uuid,
    [FIBER_WIRE.NONCE_HEADER]: nonce,
    [FIBER_WIRE.SIGNATURE_HEADER]: await keypair.signHex(signingMessage(nonce, miner, uuid)),
    "content-type": contentType,
  };
}

async function exchange(key: Buffer, uuid: string): Promise<Prepared> {
  const encrypted = publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, key);
  return {
    path: FIBER_WIRE.EXCHANGE_PATH,
    headers: await headers(generateNonce(), uuid, "application/json"),
    body: JSON.stringify({ [FIBER_WIRE.ENCRYPTED_KEY_FIELD]: encrypted.toString("base64") }),
  };
}

function send(agent: Agent, p: Prepared): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path: p.path, method: p.method ?? "POST", agent, headers: p.method === "GET" ? p.headers : { ...p.headers, "content-length": Buffer.byteLength(p.body) } }, (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode ?? 0));
    });
    req.once("error", reject);
    req.end(p.method === "GET" ? undefined : p.body);
  });
}

async function run(agent: Agent, requests: Prepared[], concurrency: number, expected = 200): Promise<{ ok: number; failed: number[] }> {
  let next = 0, ok = 0;
  const failed: number[] = [];
  const worker = async () => {
    while (next < requests.length) {
      const status = await send(agent, requests[next++]!);
      if (status === expected) ok++;
      else failed.push(status);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ok, failed };
}

/** Requests sent before each job's clock starts: they open the connections and warm the JIT. */
const warmupCount = (job: LoadJob): number => Math.max(job.concurrency, 64);

async function prepare(job: LoadJob, agent: Agent): Promise<Prepared[]> {
  const total = job.count + warmupCount(job);
  const out: Prepared[] = [];
  if (job.kind === "floor") return Array.from({ length: total }, () => ({ method: "GET", path: "/nowhere", headers: {}, body: "" }));
  // Each signed request gets its own nonce: the server refuses a nonce it has seen.
  if (job.kind === "signed") {
    for (let i = 0; i < total; i++) {
      const body = signedBody(i);
      out.push({ path: SIGNED_PATHS.post, headers: await signedRequestHeaders(keypair, miner, body), body });
    }
    return out;
  }
  if (job.kind === "signedGet") {
    for (let i = 0; i < total; i++) out.push({ method: "GET", path: SIGNED_PATHS.get, headers: await signedGetHeaders(keypair, miner), body: "" });
    return out;
  }
  if (job.kind === "handshake") {
    for (let i = 0; i < total; i++) out.push(await exchange(randomBytes(32), randomBytes(32).toString("hex")));
    return out;
  }
  const key = randomBytes(32), uuid = randomBytes(32).toString("hex");
  const status = await send(agent, await exchange(key, uuid));
  if (status !== 200) throw new Error(`key exchange for /echo failed with ${status}`);
  const fernet = await Fernet.create(key);
  for (let i = 0; i < total; i++) {
    const nonce = generateNonce();
    const body = await fernet.encrypt(JSON.stringify({ hello: "miner", n: i, [FIBER_WIRE.PAYLOAD_NONCE_FIELD]: nonce }));
    out.push({ path: "/echo", headers: await headers(nonce, uuid, "application/octet-stream"), body });
  }
  return out;
}

process.on("message", async (job: LoadJob) => {
  target = job.url === undefined ? fiberTarget : new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  try {
    const requests = await prepare(job, agent);
    const expected = job.kind === "floor" ? 404 : 200;
    const warmup = warmupCount(job);
    await run(agent, requests.slice(0, warmup), job.concurrency, expected);
    const t = performance.now(), cpu = process.cpuUsage();
    const { ok, failed } = await run(agent, requests.slice(warmup), job.concurrency, expected);
    const used = process.cpuUsage(cpu);
    const result: LoadResult = { ms: performance.now() - t, ok, failed, cpuMs: (used.user + used.system) / 1000, sent: requests.length };
    process.send!(result);
  } finally {
    agent.destroy();
  }
});
// Warm both sides' HTTP code up (client and server JIT) before any job is timed.
{
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const floor: Prepared = { method: "GET", path: "/nowhere", headers: {}, body: "" };
  await run(agent, Array.from({ length: 2000 }, () => floor), 8, 404);
  agent.destroy();
}
process.send!("ready");
