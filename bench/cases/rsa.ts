/**
 * RSA (2048-bit keys, imported once) vs the raw native operations each step performs:
 * the mutual handshake (per side OAEP-SHA1 encrypt, PSS sign, PSS verify, OAEP decrypt),
 * the half handshake, hybrid RSA+AES-GCM, AES-GCM alone, and key generation.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  generateKeyPair,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign,
  verify,
} from "node:crypto";
import { availableParallelism } from "node:os";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import { HalfHandShake, HandShake } from "poorman-handshake";
import { aesGcmDecrypt, aesGcmEncrypt, generateRSAKeyPair, hybridDecryptRSA, hybridEncryptRSA } from "poorman-handshake/rsa";
import { type Row, median, rate, timeInterleaved, timePerOpConcurrent } from "../harness.js";

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" };
const CONCURRENCY = 16;
const CONCURRENT_TOTAL = 480;
/** Alternating rounds of the 16-in-flight row and its worker-thread bound (CONCURRENT_TOTAL / this handshakes each). */
const CONCURRENT_ROUNDS = 4;
const KIB = 1024, MIB = 1024 * 1024;

interface NativeKeys {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

/** The four native operations of one side, synchronously on this thread. */
function nativeSide(keys: NativeKeys): void {
  const ct = publicEncrypt({ key: keys.publicKey, ...OAEP }, randomBytes(32));
  const sig = sign("sha256", ct, { key: keys.privateKey, ...PSS });
  if (!verify("sha256", ct, { key: keys.publicKey, ...PSS }, sig)) throw new Error("native verify failed");
  privateDecrypt({ key: keys.privateKey, ...OAEP }, ct);
}

/** Native handshakes on worker threads, started once and driven round by round. */
interface NativeThreads {
  /** Runs `total` handshakes spread over the threads at once; wall ms per handshake. */
  run(total: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The same native operations on `threads` worker threads running at once (measured, not
 * divided: the machine may be shared). Each thread makes its keys once; each round
 * posts a count of handshakes to every thread and waits for all.
 */
async function nativeThreads(threads: number): Promise<NativeThreads> {
  const code = `
    const { parentPort } = require("node:worker_threads");
    const { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, sign, verify } = require("node:crypto");
    const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" };
    parentPort.postMessage("ready");
    parentPort.on("message", (handshakes) => {
      for (let i = 0; i < handshakes * 2; i++) {
        const ct = publicEncrypt({ key: keys.publicKey, ...OAEP }, randomBytes(32));
        const sig = sign("sha256", ct, { key: keys.privateKey, ...PSS });
        verify("sha256", ct, { key: keys.publicKey, ...PSS }, sig);
        privateDecrypt({ key: keys.privateKey, ...OAEP }, ct);
      }
      parentPort.postMessage("done");
    });`;
  const workers = Array.from({ length: threads }, () => new Worker(code, { eval: true }));
  await Promise.all(workers.map((w) => new Promise((r) => w.once("message", r))));
  return {
    async run(total) {
      const per = Math.ceil(total / threads);
      const t = performance.now();
      await Promise.all(workers.map((w) => new Promise((r) => (w.once("message", r), w.postMessage(per)))));
      return (performance.now() - t) / (per * threads);
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

async function mutual(a: HandShake, b: HandShake): Promise<void> {
  const [sa, sb] = await Promise.all([a.generateHandshake(), b.generateHandshake()]);
  await Promise.all([a.receiveAndVerify(sb), b.receiveAndVerify(sa)]);
}

/** Native AES-256-GCM with a 16-byte nonce, the hybrid blob's layout. */
function nativeGcmEncrypt(key: Uint8Array, nonce: Uint8Array, data: Uint8Array): { ct: Buffer; tag: Buffer } {
  const c = createCipheriv("aes-256-gcm", key, nonce);
  const ct = Buffer.concat([c.update(data), c.final()]);
  return { ct, tag: c.getAuthTag() };
}

function nativeGcmDecrypt(key: Uint8Array, nonce: Uint8Array, ct: Uint8Array, tag: Uint8Array): Buffer {
  const d = createDecipheriv("aes-256-gcm", key, nonce);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(ct), d.final()]);
}

/** The mutual handshake rows. */
async function handshakeRows(native: NativeKeys): Promise<Row[]> {
  // Two keys shared by many handshake objects: keys are imported once, and each object holds its own state.
  const [ka, kb] = await Promise.all([generateRSAKeyPair(), generateRSAKeyPair()]);
  const pairs = await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    const [a, b] = await Promise.all([HandShake.create({ privateKey: ka.privateKey }), HandShake.create({ privateKey: kb.privateKey })]);
    await Promise.all([a.loadPublic(b.pubkey), b.loadPublic(a.pubkey)]);
    return [a, b] as const;
  }));
  const [a, b] = pairs[0]!;
  const [ha, hb] = await Promise.all([HalfHandShake.create({ privateKey: ka.privateKey }), HalfHandShake.create({ privateKey: kb.privateKey })]);
  await Promise.all([ha.loadPublic(hb.pubkey), hb.loadPublic(ha.pubkey)]);
  const half = async () => hb.receiveAndVerify(await ha.generateHandshake());
  const t = await timeInterleaved({
    mutual: () => mutual(a, b),
    native8: () => (nativeSide(native), nativeSide(native)),
    half,
    native4: () => nativeSide(native),
  }, { budgetMs: 3000, maxIterations: 400 });
  const threads = Math.min(availableParallelism(), 4);
  let next = 0;
  const oneMutual = () => {
    const [x, y] = pairs[next++ % pairs.length]!;
    return mutual(x, y);
  };
  // Ours and the worker-thread bound alternate round by round, so both see the same load
  // from other processes; each figure is the median of its rounds.
  const onThreads = await nativeThreads(threads);
  const rounds = { ours: [] as number[], bound: [] as number[] };
  try {
    await onThreads.run(CONCURRENCY); // warm-up
    for (let round = 0; round < CONCURRENT_ROUNDS; round++) {
      rounds.ours.push(await timePerOpConcurrent(oneMutual, CONCURRENCY, CONCURRENT_TOTAL / CONCURRENT_ROUNDS));
      rounds.bound.push(await onThreads.run(CONCURRENT_TOTAL / CONCURRENT_ROUNDS));
    }
  } finally {
    await onThreads.close();
  }
  const concurrent = median(rounds.ours), measured = median(rounds.bound);
  return [
    { group: "rsa", name: "mutual handshake, one at a time", ours: t.mutual, bound: t.native8, boundName: "8 native RSA ops, sequential", target: 1.75 },
    { group: "rsa", name: `mutual handshakes, ${CONCURRENCY} in flight`, ours: concurrent, bound: measured, boundName: `8 native RSA ops run on ${threads} worker threads`, target: 1.1 },
    { group: "rsa", name: `mutual handshakes, ${CONCURRENCY} in flight`, ours: concurrent, bound: t.native8 / threads, boundName: `8 native RSA ops ÷ ${threads} threads (computed)` },
    { group: "rsa", name: "half handshake (send + receive)", ours: t.half, bound: t.native4, boundName: "4 native RSA ops, sequential" },
  ];
}

/** Hybrid RSA + AES-GCM and AES-GCM alone. */
async function hybridRows(native: NativeKeys): Promise<Row[]> {
  const keys = await generateRSAKeyPair();
  // The same key pair on the native side, so both decrypt the same blobs' RSA part size.
  const rows: Row[] = [];
  for (const size of [KIB, MIB]) {
    const data = randomBytes(size);
    const blob = await hybridEncryptRSA(keys.publicKey, data);
    const aesKey = randomBytes(32), nonce = randomBytes(16);
    const nativeCt = publicEncrypt({ key: native.publicKey, ...OAEP }, aesKey);
    const sealed = nativeGcmEncrypt(aesKey, nonce, data);
    const t = await timeInterleaved({
      encrypt: () => hybridEncryptRSA(keys.publicKey, data),
      nativeEncrypt: () => {
        const k = randomBytes(32), n = randomBytes(16);
        const rsa = publicEncrypt({ key: native.publicKey, ...OAEP }, k);
        const { ct, tag } = nativeGcmEncrypt(k, n, data);
        return Buffer.concat([rsa, n, tag, ct]);
      },
      decrypt: () => hybridDecryptRSA(keys.privateKey, blob),
      nativeDecrypt: () => nativeGcmDecrypt(privateDecrypt({ key: native.privateKey, ...OAEP }, nativeCt), nonce, sealed.ct, sealed.tag),
    }, { budgetMs: size === MIB ? 2500 : 2000, maxIterations: 300 });
    const label = size === KIB ? "1 KiB" : "1 MiB";
    rows.push(
      { group: "rsa", name: `hybrid encrypt, ${label}`, ours: t.encrypt, bound: t.nativeEncrypt, boundName: "native OAEP encrypt + AES-256-GCM" },
      { group: "rsa", name: `hybrid decrypt, ${label}`, ours: t.decrypt, bound: t.nativeDecrypt, boundName: "native OAEP decrypt + AES-256-GCM" },
    );
  }
  const data = randomBytes(MIB), key = randomBytes(32), nonce = randomBytes(16);
  const { ciphertext, tag } = await aesGcmEncrypt(key, nonce, data);
  const sealed = nativeGcmEncrypt(key, nonce, data);
  const t = await timeInterleaved({
    encrypt: () => aesGcmEncrypt(key, nonce, data),
    nativeEncrypt: () => nativeGcmEncrypt(key, nonce, data),
    decrypt: () => aesGcmDecrypt(key, nonce, ciphertext, tag),
    nativeDecrypt: () => nativeGcmDecrypt(key, nonce, sealed.ct, sealed.tag),
  }, { budgetMs: 2000, maxIterations: 500 });
  const gb = (ms: number) => rate(MIB, ms, 1e9);
  rows.push(
    { group: "rsa", name: "AES-256-GCM encrypt, 1 MiB", ours: gb(t.encrypt), bound: gb(t.nativeEncrypt), boundName: "node:crypto aes-256-gcm", unit: "GB/s" },
    { group: "rsa", name: "AES-256-GCM decrypt, 1 MiB", ours: gb(t.decrypt), bound: gb(t.nativeDecrypt), boundName: "node:crypto aes-256-gcm", unit: "GB/s" },
  );
  return rows;
}

/** RSA-2048 key generation (random primes: the median of a few). */
async function keygenRow(): Promise<Row> {
  const nativeGenerate = promisify(generateKeyPair);
  const t = await timeInterleaved({
    ours: () => generateRSAKeyPair(2048),
    native: () => nativeGenerate("rsa", { modulusLength: 2048 }),
  }, { budgetMs: 4000, maxIterations: 15, minIterations: 5, warmup: 1 });
  return { group: "rsa", name: "RSA-2048 key generation", ours: t.ours, bound: t.native, boundName: "node:crypto generateKeyPair" };
}

/** Runs the RSA benchmarks. */
export async function rsaBench(): Promise<Row[]> {
  const native = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return [...(await handshakeRows(native)), ...(await hybridRows(native)), await keygenRow()];
}
