/**
 * Fiber's signed protocol (Fiber 2's default) over 127.0.0.1: signed `POST /echo-signed`
 * of a 1 KiB JSON body at concurrency 1, 8 and 32, and signed GETs (Fiber 2.5.0: signed
 * over `nonce:miner_hotkey`, no body) at 32, driven by the load generator of the Fiber
 * server rows (another process, every request signed before the clock starts), against
 * the crypto-only bound measured here: sr25519 verify + SHA-256 of the body per POST,
 * sr25519 verify per GET. Then `pmh serve --workers 2 --protocol signed` against one
 * `pmh serve --protocol signed` process, both children of this one on 127.0.0.1.
 */
import type { ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import * as wasm from "@polkadot/wasm-crypto";
import { FIBER_WIRE, FiberServer, Keypair, bodyHash, generateNonce, signedGetHeaders, signedRequestHeaders } from "poorman-handshake/fiber";
import { SignatureVerifyPool, serve } from "poorman-handshake/node";
import { generateRSAKeyPair } from "poorman-handshake/rsa";
import { startServe, stopChild, type ServeChild } from "../../test/helpers/cli.js";
import { type Row, median, timeInterleaved } from "../harness.js";
import type { LoadJob } from "../load/fiber-load.js";
import { SIGNED_BODY_BYTES, SIGNED_PATHS, signedBody } from "../load/signed-body.js";
import { cpuSeconds, serverPids } from "../proc-cpu.js";
import { ask, forkLoad } from "./fiber-server.js";

type RSAKeyPair = Awaited<ReturnType<typeof generateRSAKeyPair>>;

const LEVELS = [1, 8, 32];
/** Requests per job (half at concurrency 1), rounds, and requests per job of the `--workers` comparison. */
const FULL = { count: 1000, rounds: 3, workersCount: 2000 };
/** The smoke test's run: every check, no meaningful figure. */
const QUICK = { count: 40, rounds: 1, workersCount: 40 };

/** Options of {@link fiberSignedBench}. */
export interface FiberSignedBenchOptions {
  /** Tiny counts and one round: the checks only (for the test suite). */
  quick?: boolean;
}

const sha256hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
const signatureBytes = (hex: string): Uint8Array => Buffer.from(hex.replace(/^0x/, ""), "hex");

/** `server.fetch` of one signed request; the answer's status and text. */
async function fetchSigned(server: FiberServer, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  const response = await server.fetch(new Request(`http://127.0.0.1${path}`, { method: body === undefined ? "GET" : "POST", headers, ...(body === undefined ? {} : { body }) }));
  return { status: response.status, text: await response.text() };
}

/**
 * The crypto-only bound of each row, after checking that it does the server's work: for a
 * POST, the native SHA-256 of the body is the library's `bodyHash`, and schnorrkel's
 * WebAssembly verify (called directly) accepts the request's signature over
 * `nonce:miner:hash` exactly when the server does (200 and the body echoed; a body
 * changed by one byte fails both, the server with its invalid-signature 401); for a GET,
 * the same over `nonce:miner`, a signature over another nonce failing both.
 * @returns the bound's functions (each throws if its verify fails)
 */
async function checkedBound(server: FiberServer, validator: Keypair): Promise<{ post: () => void; get: () => void }> {
  await wasm.waitReady();
  const miner = server.minerHotkey;
  const verify = (signature: Uint8Array, message: string) => wasm.sr25519Verify(signature, Buffer.from(message), validator.publicKey);
  const refused = (answer: { status: number; text: string }) => answer.status === 401 && (JSON.parse(answer.text) as { detail?: string }).detail === FIBER_WIRE.DETAIL.invalidSignature;

  const text = signedBody(0), body = Buffer.from(text);
  if (body.length !== SIGNED_BODY_BYTES) throw new Error(`bound: the body has ${body.length} bytes, not ${SIGNED_BODY_BYTES}`);
  if (sha256hex(body) !== (await bodyHash(body))) throw new Error("bound: native SHA-256 and bodyHash differ");
  const post = await signedRequestHeaders(validator, miner, body);
  const postSignature = signatureBytes(post[FIBER_WIRE.SIGNATURE_HEADER]!);
  const postMessage = `${post[FIBER_WIRE.NONCE_HEADER]}:${miner}:${sha256hex(body)}`;
  const echoed = await fetchSigned(server, SIGNED_PATHS.post, post, text);
  if (!verify(postSignature, postMessage) || echoed.status !== 200 || echoed.text !== text) throw new Error(`bound: the signed POST was not accepted by both (server ${echoed.status})`);
  const changed = `${text.slice(0, -3)}y"}`; // still JSON: one pad character differs
  const forged = await signedRequestHeaders(validator, miner, body);
  const forgedMessage = `${forged[FIBER_WIRE.NONCE_HEADER]}:${miner}:${sha256hex(Buffer.from(changed))}`;
  if (verify(signatureBytes(forged[FIBER_WIRE.SIGNATURE_HEADER]!), forgedMessage) || !refused(await fetchSigned(server, SIGNED_PATHS.post, forged, changed))) throw new Error("bound: a changed body was not refused by both");

  const get = await signedGetHeaders(validator, miner);
  const getSignature = signatureBytes(get[FIBER_WIRE.SIGNATURE_HEADER]!);
  const getMessage = `${get[FIBER_WIRE.NONCE_HEADER]}:${miner}`;
  const got = await fetchSigned(server, SIGNED_PATHS.get, get);
  if (!verify(getSignature, getMessage) || got.status !== 200) throw new Error(`bound: the signed GET was not accepted by both (server ${got.status})`);
  const otherNonce = generateNonce();
  if (verify(getSignature, `${otherNonce}:${miner}`) || !refused(await fetchSigned(server, SIGNED_PATHS.get, { ...get, [FIBER_WIRE.NONCE_HEADER]: otherNonce }))) throw new Error("bound: a GET signed over another nonce was not refused by both");

  const postBytes = Buffer.from(postMessage), getBytes = Buffer.from(getMessage);
  return {
    post: () => {
      if (sha256hex(body).length !== 64 || !wasm.sr25519Verify(postSignature, postBytes, validator.publicKey)) throw new Error("bound: verify failed");
    },
    get: () => {
      if (!wasm.sr25519Verify(getSignature, getBytes, validator.publicKey)) throw new Error("bound: verify failed");
    },
  };
}

/** A signed Fiber server with the routes of `pmh serve --protocol signed` that the load uses. */
async function signedServer(miner: Keypair, rsaPrivateKey: RSAKeyPair["privateKey"], verifySignature?: SignatureVerifyPool["verify"]): Promise<FiberServer> {
  const server = await FiberServer.create({ keypair: miner, rsaPrivateKey, protocol: "signed", ...(verifySignature === undefined ? {} : { verifySignature }) });
  server.signedRoute(SIGNED_PATHS.post, { handler: (body) => body });
  server.signedRoute(SIGNED_PATHS.get, { method: "GET", handler: () => ({ status: "Example get request received" }) });
  return server;
}

/** A job's requests per second, and CPU per request (ms) of the load generator and of the server. */
interface Measured {
  rate: number;
  loadCpu: number;
  serverCpu: number;
  /** The part of `serverCpu` used by the process of `primaryPid`, when given. */
  primaryCpu?: number;
}

const us = (ms: number) => `${Math.round(ms * 1000)} µs`;

/**
 * Runs one job; requests per second and CPU per request (ms) of the load generator and of
 * the server: the processes of `serverPidList`, else this one (whose servers answer it).
 */
async function measure(child: ChildProcess, job: LoadJob, what: string, serverPidList?: number[], primaryPid?: number): Promise<Measured> {
  const before = serverPidList === undefined ? process.cpuUsage() : cpuSeconds(serverPidList);
  const primaryBefore = primaryPid === undefined ? 0 : cpuSeconds([primaryPid]);
  const result = await ask(child, job);
  if (result.ok !== job.count) throw new Error(`${what} x${job.concurrency}: ${result.failed.length} failed (statuses ${[...new Set(result.failed)].join(", ")})`);
  // The server's CPU is spread over the warm-up requests too; it includes the (idle) wait
  // while the load generator prepares the job: a little above the true figure.
  const serverMs = typeof before === "number" ? (cpuSeconds(serverPidList!) - before) * 1000 : ((used) => (used.user + used.system) / 1000)(process.cpuUsage(before));
  const primary = primaryPid === undefined ? {} : { primaryCpu: ((cpuSeconds([primaryPid]) - primaryBefore) * 1000) / result.sent };
  return { rate: (job.count * 1000) / result.ms, loadCpu: result.cpuMs / job.count, serverCpu: serverMs / result.sent, ...primary };
}

/**
 * `pmh serve --workers 2 --protocol signed` ÷ one `pmh serve --protocol signed` process,
 * signed POSTs at concurrency 32, in turn round by round; the note gives the CPU per
 * request of each side and the cores they used together.
 */
async function workersRow(child: ChildProcess, minerSeed: string, counts: typeof FULL): Promise<Row> {
  // No verify thread on either side: the row compares processes. (One process on a machine
  // with a spare core gets a verify thread by default; the rows above measure what it does.)
  const args = ["--protocol", "signed", "--verify-threads", "0", "--hotkey-seed", minerSeed];
  const servers: ServeChild[] = [];
  const runs = { one: [] as Measured[], two: [] as Measured[] };
  try {
    servers.push(await startServe(args), await startServe([...args, "--workers", "2"]));
    const [one, two] = servers as [ServeChild, ServeChild];
    const job = (url: string): LoadJob => ({ kind: "signed", concurrency: 32, count: counts.workersCount, url });
    for (let round = 0; round < counts.rounds; round++) {
      runs.one.push(await measure(child, job(one.url), "pmh serve, one process", serverPids([one])));
      runs.two.push(await measure(child, job(two.url), "pmh serve --workers 2", serverPids([two]), two.child.pid!));
    }
  } finally {
    await Promise.all(servers.map((s) => stopChild(s.child)));
  }
  const summary = (r: Measured[]) => {
    const rate = median(r.map((x) => x.rate)), server = median(r.map((x) => x.serverCpu)), load = median(r.map((x) => x.loadCpu));
    const primary = r[0]!.primaryCpu === undefined ? "" : ` (the primary, holding the nonces, ${us(median(r.map((x) => x.primaryCpu!)))})`;
    return { rate, server, load, text: `miner ${us(server)}${primary} + load generator ${us(load)} of CPU per request, ${((rate * (server + load)) / 1000).toFixed(2)} cores in all` };
  };
  const one = summary(runs.one), two = summary(runs.two);
  // What these CPU costs allow with the 2 cores free of other work: one process is held to
  // one core (and shares the machine with the load generator), 2 workers to both.
  const ceiling = 2 / (two.server + two.load) / Math.min(1 / one.server, 2 / (one.server + one.load));
  return {
    group: "fiber signed",
    name: "signed POST /echo-signed, pmh serve --workers 2, concurrency 32",
    ours: two.rate,
    bound: one.rate,
    boundName: "pmh serve --protocol signed, one process",
    unit: "req/s",
    target: 1 / 1.6,
    note: `target: ≥ 1.6× one process; 2 workers: ${two.text}; one process: ${one.text}; with both cores free of other work these costs allow at most ${ceiling.toFixed(2)}×; load average ${loadavg()[0]!.toFixed(1)}`,
  };
}

/** Runs the signed-protocol benchmarks. */
export async function fiberSignedBench(options: FiberSignedBenchOptions = {}): Promise<Row[]> {
  const counts = options.quick ? QUICK : FULL;
  const minerSeed = `0x${randomBytes(32).toString("hex")}`, validatorSeed = `0x${randomBytes(32).toString("hex")}`;
  const miner = await Keypair.fromSeed(minerSeed), validator = await Keypair.fromSeed(validatorSeed);
  // A signed-only server never decrypts; one key for both servers saves generating a second.
  const { privateKey } = await generateRSAKeyPair();
  const server = await signedServer(miner, privateKey);
  const running = await serve(server, { host: "127.0.0.1" });
  // The same miner verifying signatures on a worker thread, for one more row.
  const pool = await SignatureVerifyPool.create({ threads: 1 });
  const pooledRunning = await serve(await signedServer(miner, privateKey, pool.verify), { host: "127.0.0.1" });
  const rows: Row[] = [];
  let child: ChildProcess | undefined;
  try {
    const boundFns = await checkedBound(server, validator);
    child = await forkLoad({ url: running.url, miner: miner.ss58Address, publicKeyPem: server.publicKeyPem, seed: validatorSeed });
    // Per level, rounds of (the bound, 404 floor, signed POSTs, and at 32 signed GETs and
    // the worker-thread server), so all see the same load from other processes: on this
    // shared machine the bound alone moves by a third from one minute to the next.
    for (const concurrency of LEVELS) {
      const count = concurrency === 1 ? counts.count / 2 : counts.count;
      const runs = { floor: [] as Measured[], post: [] as Measured[], get: [] as Measured[], pooled: [] as Measured[], pooledGet: [] as Measured[] };
      const bounds: { post: number; get: number }[] = [];
      for (let round = 0; round < counts.rounds; round++) {
        bounds.push(await timeInterleaved(boundFns, { budgetMs: 500, maxIterations: options.quick ? 20 : 2000 }));
        runs.floor.push(await measure(child, { kind: "floor", concurrency, count }, "floor"));
        runs.post.push(await measure(child, { kind: "signed", concurrency, count }, "signed POST"));
        runs.pooled.push(await measure(child, { kind: "signed", concurrency, count, url: pooledRunning.url }, "signed POST, worker-thread signatures"));
        if (concurrency === 32) {
          runs.get.push(await measure(child, { kind: "signedGet", concurrency, count }, "signed GET"));
          runs.pooledGet.push(await measure(child, { kind: "signedGet", concurrency, count, url: pooledRunning.url }, "signed GET, worker-thread signatures"));
        }
      }
      const bound = { post: median(bounds.map((b) => b.post)), get: median(bounds.map((b) => b.get)) };
      const postBound = { bound: 1000 / bound.post, boundName: "crypto only: sr25519 verify + SHA-256 of the body", unit: "req/s" };
      const rate = (r: Measured[]) => median(r.map((x) => x.rate));
      // The server's CPU per request beside the bound's time: what is left of the gap once the machine's other work is set aside.
      const cpu = (r: Measured[], boundMs: number) => `server CPU ${us(median(r.map((x) => x.serverCpu)))} per request (the bound: ${us(boundMs)})`;
      const floor = `HTTP alone (a 404, no crypto) at this concurrency: ${Math.round(rate(runs.floor))} req/s`;
      const share = concurrency === 1 ? 0.5 : 0.8;
      const pooledNote = (r: Measured[], boundMs: number) => `verifySignature: SignatureVerifyPool (1 thread; pmh serve --verify-threads 1), in the same rounds; compare with the row above's target, ≥ ${share} of the bound (info: what pmh serve does by default with 2 cores); ${cpu(r, boundMs)}, both threads`;
      rows.push(
        { group: "fiber signed", name: `signed POST /echo-signed (1 KiB), concurrency ${concurrency}`, ours: rate(runs.post), ...postBound, target: 1 / share, note: `target: ≥ ${share} of the bound; ${cpu(runs.post, bound.post)}; ${floor}` },
        { group: "fiber signed", name: `signed POST /echo-signed (1 KiB), concurrency ${concurrency}, signatures on a worker thread`, ours: rate(runs.pooled), ...postBound, note: pooledNote(runs.pooled, bound.post) },
      );
      if (concurrency === 32) {
        rows.push(
          { group: "fiber signed", name: `signed GET (2.5.0 signing), concurrency ${concurrency}`, ours: rate(runs.get), bound: 1000 / bound.get, boundName: "crypto only: sr25519 verify", unit: "req/s", target: 1 / 0.8, note: `target: ≥ 0.8 of the bound; ${cpu(runs.get, bound.get)}; ${floor}` },
          { group: "fiber signed", name: `signed GET (2.5.0 signing), concurrency ${concurrency}, signatures on a worker thread`, ours: rate(runs.pooledGet), bound: 1000 / bound.get, boundName: "crypto only: sr25519 verify", unit: "req/s", note: pooledNote(runs.pooledGet, bound.get) },
        );
      }
    }
    rows.push(await workersRow(child, minerSeed, counts));
  } finally {
    child?.kill();
    await Promise.all([running.close(), pooledRunning.close()]);
    await pool.close();
  }
  return rows;
}
