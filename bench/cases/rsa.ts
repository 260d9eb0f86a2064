/**
 * RSA mutual handshake (2048-bit keys, imported once) vs the raw native RSA operations
 * it performs: per side OAEP-SHA1 encrypt, PSS sign, PSS verify, OAEP decrypt.
 */
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, sign, verify } from "node:crypto";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { HandShake } from "poorman-handshake";
import { type Row, timePerOp, timePerOpConcurrent } from "../harness.js";

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" };

/** The four native operations of one side, synchronously on this thread. */
function nativeSide(keys: ReturnType<typeof generateKeyPairSync>): void {
  const ct = publicEncrypt({ key: keys.publicKey, ...OAEP }, randomBytes(32));
  const sig = sign("sha256", ct, { key: keys.privateKey, ...PSS });
  if (!verify("sha256", ct, { key: keys.publicKey, ...PSS }, sig)) throw new Error("native verify failed");
  privateDecrypt({ key: keys.privateKey, ...OAEP }, ct);
}

/**
 * The same native operations for `total` handshakes, spread over `threads` worker
 * threads running at once (measured, not divided: the machine may be shared).
 * @returns wall milliseconds per handshake
 */
async function nativeOnThreads(threads: number, total: number): Promise<number> {
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    const { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, sign, verify } = require("node:crypto");
    const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" };
    parentPort.postMessage("ready");
    parentPort.once("message", () => {
      for (let i = 0; i < workerData * 2; i++) {
        const ct = publicEncrypt({ key: keys.publicKey, ...OAEP }, randomBytes(32));
        const sig = sign("sha256", ct, { key: keys.privateKey, ...PSS });
        verify("sha256", ct, { key: keys.publicKey, ...PSS }, sig);
        privateDecrypt({ key: keys.privateKey, ...OAEP }, ct);
      }
      parentPort.postMessage("done");
    });`;
  const per = Math.ceil(total / threads);
  const workers = Array.from({ length: threads }, () => new Worker(code, { eval: true, workerData: per }));
  try {
    await Promise.all(workers.map((w) => new Promise((r) => w.once("message", r))));
    const t = performance.now();
    await Promise.all(workers.map((w) => new Promise((r) => (w.once("message", r), w.postMessage("go")))));
    return (performance.now() - t) / (per * threads);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function mutual(a: HandShake, b: HandShake): Promise<void> {
  const [sa, sb] = await Promise.all([a.generateHandshake(), b.generateHandshake()]);
  await Promise.all([a.receiveAndVerify(sb), b.receiveAndVerify(sa)]);
}

/** Runs the RSA benchmarks. */
export async function rsaBench(): Promise<Row[]> {
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const native = await timePerOp(() => (nativeSide(keys), nativeSide(keys)), { budgetMs: 1500, maxIterations: 300 });
  const pairs = await Promise.all(Array.from({ length: 8 }, async () => {
    const a = await HandShake.create(), b = await HandShake.create();
    await Promise.all([a.loadPublic(b.pubkey), b.loadPublic(a.pubkey)]);
    return [a, b] as const;
  }));
  const [a, b] = pairs[0]!;
  const sequential = await timePerOp(() => mutual(a, b), { budgetMs: 1500, maxIterations: 300 });
  const threads = Math.min(availableParallelism(), 4);
  let next = 0;
  const concurrent = await timePerOpConcurrent(() => {
    const [x, y] = pairs[next++ % pairs.length]!;
    return mutual(x, y);
  }, 8, 200);
  return [
    { group: "rsa", name: "mutual handshake, one at a time", ours: sequential, bound: native, boundName: "8 native RSA ops, sequential", target: 1.75 },
    { group: "rsa", name: "mutual handshakes, 8 in flight", ours: concurrent, bound: await nativeOnThreads(threads, 200), boundName: `8 native RSA ops on ${threads} threads`, target: 1.4 },
  ];
}
