/**
 * Load generator for the Fiber server benchmark, run as a separate process (so the
 * server's CPU is not shared with request building). Every request is prepared and
 * signed before the clock starts; then `count` requests are kept `concurrency` at a
 * time in flight over keep-alive connections to 127.0.0.1.
 *
 * Started by bench/cases/fiber-server.ts with fork(); talks over the IPC channel.
 */
import { randomBytes, publicEncrypt, constants } from "node:crypto";
import { Agent, request } from "node:http";
import { FIBER_WIRE, Fernet, Keypair, generateNonce, signingMessage } from "poorman-handshake/fiber";

/** A job from the parent. */
export interface LoadJob {
  kind: "handshake" | "echo";
  concurrency: number;
  count: number;
}

/** The answer to a job. */
export interface LoadResult {
  /** Wall milliseconds for `count` requests (warm-up excluded). */
  ms: number;
  /** Responses with status 200. */
  ok: number;
  /** Statuses of the others, for the error message. */
  failed: number[];
}

interface Prepared {
  path: string;
  headers: Record<string, string>;
  body: string;
}

const { url, miner, publicKeyPem, seed } = JSON.parse(process.argv[2]!) as { url: string; miner: string; publicKeyPem: string; seed: string };
const target = new URL(url);
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
    const req = request({ host: target.hostname, port: target.port, path: p.path, method: "POST", agent, headers: { ...p.headers, "content-length": Buffer.byteLength(p.body) } }, (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode ?? 0));
    });
    req.once("error", reject);
    req.end(p.body);
  });
}

async function run(agent: Agent, requests: Prepared[], concurrency: number): Promise<{ ok: number; failed: number[] }> {
  let next = 0, ok = 0;
  const failed: number[] = [];
  const worker = async () => {
    while (next < requests.length) {
      const status = await send(agent, requests[next++]!);
      if (status === 200) ok++;
      else failed.push(status);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ok, failed };
}

async function prepare(job: LoadJob, agent: Agent): Promise<Prepared[]> {
  const total = job.count + job.concurrency; // the first `concurrency` warm the connections up
  const out: Prepared[] = [];
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
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  try {
    const requests = await prepare(job, agent);
    await run(agent, requests.slice(0, job.concurrency), job.concurrency);
    const t = performance.now();
    const { ok, failed } = await run(agent, requests.slice(job.concurrency), job.concurrency);
    const result: LoadResult = { ms: performance.now() - t, ok, failed };
    process.send!(result);
  } finally {
    agent.destroy();
  }
});
process.send!("ready");
