/**
 * Fiber server over 127.0.0.1: key exchanges (handshakes) per second and encrypted
 * `/echo` requests per second at concurrency 1, 8 and 32, driven by a load generator in
 * another process with pre-signed requests, against the crypto-only bound measured here:
 * native RSA-OAEP decrypt + sr25519 verify per handshake, sr25519 verify + native
 * Fernet decrypt per request. And the `serve` adapter alone: the server's 404 (no crypto)
 * against raw `node:http` giving the same answer, in the same rounds; and at concurrency 1
 * key exchanges against a minimal raw `node:http` endpoint doing the same crypto.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { constants, KeyObject, privateDecrypt, publicEncrypt, randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import * as wasm from "@polkadot/wasm-crypto";
import { FIBER_WIRE, Fernet, FiberServer, Keypair, generateNonce, signingMessage } from "poorman-handshake/fiber";
import { generateRSAKeyPair, importRSAKey } from "poorman-handshake/rsa";

type RSAKeyPair = Awaited<ReturnType<typeof generateRSAKeyPair>>;
import { SignatureVerifyPool, serve } from "poorman-handshake/node";
import { type Row, median, timeInterleaved, timePerOp } from "../harness.js";
import type { LoadJob, LoadResult } from "../load/fiber-load.js";
import { nativeFernet } from "./fiber-crypto.js";

const LEVELS = [1, 8, 32];
const COUNTS = { floor: 400, handshake: 200, echo: 400 };
const ROUNDS = 3;

/** Requests per adapter round (a 404 takes well under 0.1 ms) and rounds. */
const ADAPTER = { count: 4000, rounds: 5, concurrency: 8 };

/** Runs one job in the load generator. */
export function ask(child: ChildProcess, job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => (child.off("exit", onExit), resolve(m as LoadResult));
    const onExit = (code: number | null) => (child.off("message", onMessage), reject(new Error(`load generator exited with ${code}`)));
    child.once("message", onMessage).once("exit", onExit);
    child.send(job);
  });
}

/**
 * Starts the load generator (bench/load/fiber-load.ts) for the Fiber server at `url`, as
 * the validator of `seed`; resolves once it has warmed up.
 */
export async function forkLoad(config: { url: string; miner: string; publicKeyPem: string; seed: string }): Promise<ChildProcess> {
  const child = fork(fileURLToPath(new URL("../load/fiber-load.ts", import.meta.url)), [JSON.stringify(config)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  try {
    await new Promise((resolve, reject) => (child.once("message", resolve), child.once("error", reject), child.once("exit", (code) => reject(new Error(`load generator exited with ${code}`)))));
  } catch (error) {
    child.kill();
    throw error;
  }
  return child;
}

/** Requests per second of `count` 404s at `concurrency` against `url`. */
async function floorRate(child: ChildProcess, url: string, concurrency: number, count: number): Promise<number> {
  const result = await ask(child, { kind: "floor", concurrency, count, url });
  if (result.ok !== count) throw new Error(`floor x${concurrency} at ${url}: ${result.failed.length} failed (statuses ${[...new Set(result.failed)].join(", ")})`);
  return (count * 1000) / result.ms;
}

/**
 * The adapter alone: the Fiber server's 404 through `serve(server)` (its fast path) and
 * through `serve` with a plain fetch handler (WHATWG Request/Response), against raw
 * `node:http` writing the same answer, interleaved round by round.
 */
async function adapterRows(child: ChildProcess, server: FiberServer, fastUrl: string): Promise<Row[]> {
  const body = JSON.stringify({ detail: "Not Found" });
  const raw = createServer((_req, res) => void res.writeHead(404, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }).end(body));
  await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
  const rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
  const viaFetch = await serve((request) => server.fetch(request), { host: "127.0.0.1" });
  const rates = { fast: [] as number[], raw: [] as number[], fetch: [] as number[] };
  try {
    const { count, rounds, concurrency } = ADAPTER;
    for (let round = 0; round < rounds; round++) {
      rates.fast.push(await floorRate(child, fastUrl, concurrency, count));
      rates.raw.push(await floorRate(child, rawUrl, concurrency, count));
      rates.fetch.push(await floorRate(child, viaFetch.url, concurrency, count));
    }
  } finally {
    raw.closeAllConnections();
    await new Promise((resolve) => raw.close(resolve));
    await viaFetch.close();
  }
  const bound = median(rates.raw);
  const boundName = "raw node:http, the same 404 answer";
  return [
    { group: "fiber server", name: `serve adapter, trivial route, concurrency ${ADAPTER.concurrency}`, ours: median(rates.fast), bound, boundName, unit: "req/s", target: 1 / 0.8, note: "target: ≥ 0.8 of raw node:http; serve(server): the FiberServer's 404 through its lower-level handle, no Request/Response" },
    { group: "fiber server", name: `serve adapter, fetch handler, trivial route, concurrency ${ADAPTER.concurrency}`, ours: median(rates.fetch), bound, boundName, unit: "req/s", note: "serve((r) => server.fetch(r)): the same 404 through WHATWG Request/Response (the path of other handlers and other runtimes)" },
  ];
}

/**
 * A minimal raw `node:http` key-exchange endpoint doing the same crypto as the Fiber
 * server's (the sr25519 signature over the same message checked first, with the same
 * `Keypair.verify`, then the same Web Crypto RSA-OAEP-SHA256 decrypt), none of its other
 * checks (no nonce store, no key store, no header validation beyond what it reads): the
 * floor a key exchange over HTTP reaches here, in the same rounds.
 */
async function rawExchangeServer(rsaKeyPair: RSAKeyPair, minerHotkey: string): Promise<{ url: string; close: () => Promise<void> }> {
  const key = await importRSAKey(rsaKeyPair.privateKey, "decrypt", "SHA-256");
  const oaep = { name: "RSA-OAEP" };
  const header = (req: IncomingMessage, name: string) => String(req.headers[name.toLowerCase()] ?? "");
  const answer = (res: ServerResponse, status: number, body: string) => void res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }).end(body);
  const raw = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk)).once("end", async () => {
      try {
        const message = signingMessage(header(req, FIBER_WIRE.NONCE_HEADER), minerHotkey, header(req, FIBER_WIRE.SYMMETRIC_KEY_UUID_HEADER));
        if (!(await Keypair.verify(message, header(req, FIBER_WIRE.SIGNATURE_HEADER), header(req, FIBER_WIRE.VALIDATOR_HOTKEY_HEADER)))) return answer(res, 401, '{"detail":"bad signature"}');
        const encrypted = (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, string>)[FIBER_WIRE.ENCRYPTED_KEY_FIELD]!;
        const symmetric = new Uint8Array(await globalThis.crypto.subtle.decrypt(oaep, key, Buffer.from(encrypted, "base64")));
        answer(res, symmetric.length === 32 ? 200 : 401, JSON.stringify({ status: "Symmetric key exchanged successfully" }));
      } catch {
        answer(res, 400, '{"detail":"bad request"}');
      }
    });
  });
  await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(raw.address() as AddressInfo).port}`,
    close: () => (raw.closeAllConnections(), new Promise<void>((resolve) => raw.close(() => resolve()))),
  };
}

/** Crypto-only time per handshake and per request, in ms, measured in this process. */
async function cryptoBound(server: FiberServer, rsaKeyPair: RSAKeyPair, validator: Keypair): Promise<{ handshake: number; echo: number }> {
  await wasm.waitReady();
  const rsa = KeyObject.from(rsaKeyPair.privateKey);
  const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" };
  const ct = publicEncrypt({ key: KeyObject.from(rsaKeyPair.publicKey), ...OAEP }, randomBytes(32));
  const nonce = generateNonce(), uuid = "ab".repeat(32);
  const message = new TextEncoder().encode(signingMessage(nonce, server.minerHotkey, uuid));
  const signature = await validator.sign(message);
  const fernetKey = randomBytes(32);
  const native = nativeFernet(fernetKey);
  const token = await (await Fernet.create(fernetKey)).encrypt(JSON.stringify({ hello: "miner", n: 1, nonce }));
  const verify = () => {
    if (!wasm.sr25519Verify(signature, message, validator.publicKey)) throw new Error("bound: verify failed");
  };
  return timeInterleaved({
    handshake: () => (privateDecrypt({ key: rsa, ...OAEP }, ct), verify()),
    echo: () => (verify(), native.decrypt(token)),
  }, { budgetMs: 1500, maxIterations: 3000 });
}

/**
 * Key exchanges through `server.fetch` in this process, one at a time, without HTTP or
 * a second process: what the handler itself costs per exchange, in ms.
 */
async function inProcessExchange(server: FiberServer, validator: Keypair, count: number): Promise<number> {
  const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" };
  const requests: Request[] = [];
  for (let i = 0; i < count + 2; i++) {
    const uuid = randomBytes(32).toString("hex"), nonce = generateNonce();
    const encrypted = publicEncrypt({ key: server.publicKeyPem, ...OAEP }, randomBytes(32)).toString("base64");
    const headers = {
      [FIBER_WIRE.VALIDATOR_HOTKEY_HEADER]: validator.ss58Address,
      [FIBER_WIRE.MINER_HOTKEY_HEADER]: server.minerHotkey,
      [FIBER_WIRE.SYMMETRIC_KEY_UUID_HEADER]: uuid,
      [FIBER_WIRE.NONCE_HEADER]: nonce,
      [FIBER_WIRE.SIGNATURE_HEADER]: await validator.signHex(signingMessage(nonce, server.minerHotkey, uuid)),
      "content-type": "application/json",
    };
    requests.push(new Request(`http://127.0.0.1${FIBER_WIRE.EXCHANGE_PATH}`, { method: "POST", headers, body: JSON.stringify({ [FIBER_WIRE.ENCRYPTED_KEY_FIELD]: encrypted }) }));
  }
  let next = 0;
  return timePerOp(async () => {
    const response = await server.fetch(requests[next++]!);
    if (response.status !== 200) throw new Error(`in-process exchange failed with ${response.status}`);
  }, { budgetMs: 1500, maxIterations: count, warmup: 2 });
}

/** Runs the Fiber server benchmarks. */
export async function fiberServerBench(): Promise<Row[]> {
  const miner = await Keypair.generate();
  const seed = randomBytes(32);
  const validator = await Keypair.fromSeed(seed);
  const rsaKeyPair = await generateRSAKeyPair();
  const server = await FiberServer.create({ keypair: miner, rsaPrivateKey: rsaKeyPair.privateKey });
  server.route("/echo", { handler: (payload) => payload });
  const running = await serve(server, { host: "127.0.0.1" });
  // The same miner verifying signatures on a worker thread, for one more /echo row.
  const pool = await SignatureVerifyPool.create({ threads: 1 });
  const pooled = await FiberServer.create({ keypair: miner, rsaPrivateKey: rsaKeyPair.privateKey, verifySignature: pool.verify });
  pooled.route("/echo", { handler: (payload) => payload });
  const pooledRunning = await serve(pooled, { host: "127.0.0.1" });
  const rawExchange = await rawExchangeServer(rsaKeyPair, miner.ss58Address);
  const rows: Row[] = [];
  let child: ChildProcess | undefined;
  try {
    child = await forkLoad({ url: running.url, miner: miner.ss58Address, publicKeyPem: server.publicKeyPem, seed: `0x${seed.toString("hex")}` });
    const bound = await cryptoBound(server, rsaKeyPair, validator);
    // Per level, ROUNDS rounds of (404 floor, key exchanges, /echo), so all three see the
    // same load from other processes; each figure is the median of its rounds.
    for (const concurrency of LEVELS) {
      const rates: Record<"floor" | "handshake" | "echo" | "pooledEcho" | "rawHandshake", number[]> = { floor: [], handshake: [], echo: [], pooledEcho: [], rawHandshake: [] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const kind of ["floor", "handshake", "echo"] as const) {
          const count = concurrency === 1 ? COUNTS[kind] / 2 : COUNTS[kind];
          const result = await ask(child, { kind, concurrency, count });
          if (result.ok !== count) throw new Error(`fiber ${kind} x${concurrency}: ${result.failed.length} failed (statuses ${[...new Set(result.failed)].join(", ")})`);
          rates[kind].push((count * 1000) / result.ms);
        }
        if (concurrency === 1) {
          const count = COUNTS.handshake / 2;
          const result = await ask(child, { kind: "handshake", concurrency, count, url: rawExchange.url });
          if (result.ok !== count) throw new Error(`raw node:http key exchanges x${concurrency}: ${result.failed.length} failed (statuses ${[...new Set(result.failed)].join(", ")})`);
          rates.rawHandshake.push((count * 1000) / result.ms);
        }
        if (concurrency === 32) {
          const result = await ask(child, { kind: "echo", concurrency, count: COUNTS.echo, url: pooledRunning.url });
          if (result.ok !== COUNTS.echo) throw new Error(`fiber echo x${concurrency}, worker-thread signatures: ${result.failed.length} failed`);
          rates.pooledEcho.push((COUNTS.echo * 1000) / result.ms);
        }
      }
      const floor = `HTTP alone (a 404, no crypto) at this concurrency: ${Math.round(median(rates.floor))} req/s`;
      rows.push(
        { group: "fiber server", name: `key exchanges, concurrency ${concurrency}`, ours: median(rates.handshake), bound: 1000 / bound.handshake, boundName: "crypto only: RSA decrypt + sr25519 verify", unit: "handshakes/s", target: 2, note: `target: ≥ 0.5 of the bound; ${floor}` },
        // Only concurrency 32 has a target: below it the server is not saturated, and latency sets the rate.
        { group: "fiber server", name: `encrypted /echo, concurrency ${concurrency}`, ours: median(rates.echo), bound: 1000 / bound.echo, boundName: "crypto only: sr25519 verify + Fernet decrypt", unit: "req/s", ...(concurrency === 32 ? { target: 1 / 0.6, note: `target: ≥ 0.6 of the bound; ${floor}` } : { note: floor }) },
      );
      if (concurrency === 1) {
        rows.push({ group: "fiber server", name: "raw node:http + the same crypto, c=1", ours: median(rates.rawHandshake), bound: 1000 / bound.handshake, boundName: "crypto only: RSA decrypt + sr25519 verify", unit: "handshakes/s", note: "a minimal node:http endpoint: sr25519 verify, then the same Web Crypto OAEP decrypt, nothing else; in the same rounds" });
      }
      if (concurrency === 32) {
        rows.push({ group: "fiber server", name: `encrypted /echo, concurrency ${concurrency}, signatures on a worker thread`, ours: median(rates.pooledEcho), bound: 1000 / bound.echo, boundName: "crypto only: sr25519 verify + Fernet decrypt", unit: "req/s", note: "verifySignature: SignatureVerifyPool (1 thread), in the same rounds" });
      }
    }
    rows.push(...(await adapterRows(child, server, running.url)));
    const handler = await inProcessExchange(server, validator, 300);
    rows.push({ group: "fiber server", name: "key exchanges via server.fetch, in process", ours: 1000 / handler, bound: 1000 / bound.handshake, boundName: "crypto only: RSA decrypt + sr25519 verify", unit: "handshakes/s", note: "one at a time, no HTTP, no load process" });
  } finally {
    child?.kill();
    await Promise.all([running.close(), pooledRunning.close(), rawExchange.close()]);
    await pool.close();
  }
  return rows;
}
