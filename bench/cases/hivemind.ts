/**
 * HiveMind v3: the argon2id PSK vs the native libargon2 addon; a full XXpsk2 handshake
 * (both sides, PSK cached) vs the X25519 operations it needs done with node:crypto; and
 * ChaChaPoly transport frames vs node:crypto's chacha20-poly1305.
 */
import { createCipheriv, diffieHellman, generateKeyPairSync, randomBytes } from "node:crypto";
import argon2 from "argon2";
import { HiveMindClient, HiveMindHub, derivePsk, clearPskCache } from "poorman-handshake/hivemind";
import { PORTABLE_BACKEND, noiseBackend, setNoiseBackend } from "poorman-handshake/noise";
import { type Row, timePerOp } from "../harness.js";

const PASSWORD = "correct horse battery staple";
const NODE_ID = "tcp4:0.0.0.0:5678";
const FRAME_BODY = 65000; // the largest single-frame body

async function xxHandshake(): Promise<void> {
  const hub = await HiveMindHub.create({ password: PASSWORD, nodeId: NODE_ID });
  const client = await HiveMindClient.create({ password: PASSWORD });
  const m3 = await client.receive(await hub.receive(await client.start(hub.hello, hub.handshake)));
  await hub.receive(m3);
  if (!hub.done || !client.done) throw new Error("handshake failed in benchmark");
}

/**
 * The X25519 operations of one XX handshake on node:crypto KeyObjects, with no key
 * conversion at all: 4 key pairs (2 static, 2 ephemeral) and 6 DH.
 */
function nativeXxDh(): void {
  const [cs, ce, hs, he] = Array.from({ length: 4 }, () => generateKeyPairSync("x25519"));
  for (const [a, b] of [[ce, he], [he, ce], [ce, hs], [hs, ce], [cs, he], [he, cs]] as const) diffieHellman({ privateKey: a!.privateKey, publicKey: b!.publicKey });
}

async function transportRate(): Promise<number> {
  const hub = await HiveMindHub.create({ password: PASSWORD, nodeId: NODE_ID });
  const client = await HiveMindClient.create({ password: PASSWORD });
  await hub.receive(await client.receive(await hub.receive(await client.start(hub.hello, hub.handshake))));
  const body = randomBytes(FRAME_BODY);
  const ms = await timePerOp(async () => {
    const frames = await client.encrypt(1, body);
    await hub.decrypt(frames[0]!);
  }, { budgetMs: 1500, maxIterations: 3000 });
  return (2 * FRAME_BODY) / 1e6 / (ms / 1000); // MB/s, encrypt + decrypt
}

function nativeChachaRate(): Promise<number> {
  const key = randomBytes(32);
  const body = randomBytes(FRAME_BODY + 1);
  return timePerOp(() => {
    const nonce = randomBytes(12);
    const c = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
    const sealed = Buffer.concat([c.update(body), c.final(), c.getAuthTag()]);
    const d = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
    d.update(sealed.subarray(0, sealed.length - 16));
    d.final();
  }, { budgetMs: 1500, maxIterations: 3000 }).then((ms) => (2 * FRAME_BODY) / 1e6 / (ms / 1000));
}

/** Runs the HiveMind benchmarks. */
export async function hivemindBench(): Promise<Row[]> {
  const salt = randomBytes(32);
  const native = await timePerOp(() => argon2.hash(PASSWORD, { type: argon2.argon2id, salt, timeCost: 3, memoryCost: 65536, parallelism: 1, hashLength: 32, raw: true }), { budgetMs: 3000, maxIterations: 10, warmup: 1 });
  const psk = await timePerOp(async () => {
    clearPskCache();
    await derivePsk(PASSWORD, NODE_ID);
  }, { budgetMs: 3000, maxIterations: 10, warmup: 1 });
  await derivePsk(PASSWORD, NODE_ID); // cached from here on: the handshakes exclude the PSK

  const nodeBackend = noiseBackend();
  const dhBound = await timePerOp(nativeXxDh, { budgetMs: 1500, maxIterations: 2000 });
  const nodeHandshake = await timePerOp(xxHandshake, { budgetMs: 2000, maxIterations: 2000 });
  const nodeRate = await transportRate();
  const chachaBound = await nativeChachaRate();
  setNoiseBackend(PORTABLE_BACKEND);
  const portableHandshake = await timePerOp(xxHandshake, { budgetMs: 2000, maxIterations: 500 });
  const portableRate = await transportRate();
  setNoiseBackend(nodeBackend);

  return [
    { group: "hivemind", name: "argon2id PSK (t=3, 64 MiB), hash-wasm", ours: psk, bound: native, boundName: "native libargon2 (argon2 addon)", target: 1.5 },
    { group: "hivemind", name: "XXpsk2 handshake, both sides, node backend", ours: nodeHandshake, bound: dhBound, boundName: "its X25519 ops on node:crypto", target: 1.5 },
    { group: "hivemind", name: "XXpsk2 handshake, both sides, portable backend", ours: portableHandshake, bound: dhBound, boundName: "its X25519 ops on node:crypto" },
    { group: "hivemind", name: "ChaChaPoly 65000-byte frames, node backend", ours: nodeRate, bound: chachaBound, boundName: "node:crypto chacha20-poly1305", target: 2, unit: "MB/s" },
    { group: "hivemind", name: "ChaChaPoly 65000-byte frames, portable backend", ours: portableRate, bound: chachaBound, boundName: "node:crypto chacha20-poly1305", unit: "MB/s" },
  ];
}
