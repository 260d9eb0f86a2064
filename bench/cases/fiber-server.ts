/**
 * Fiber server over 127.0.0.1: key exchanges (handshakes) per second and encrypted
 * `/echo` requests per second at concurrency 1, 8 and 32, driven by a load generator in
 * another process with pre-signed requests, against the crypto-only bound measured here:
 * native RSA-OAEP decrypt + sr25519 verify per handshake, sr25519 verify + native
 * Fernet decrypt per request.
 */
import { fork, type ChildProcess } from "node:child_process";
import { constants, KeyObject, privateDecrypt, publicEncrypt, randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import * as wasm from "@polkadot/wasm-crypto";
import { Fernet, FiberServer, Keypair, generateNonce, signingMessage } from "poorman-handshake/fiber";
import { serve } from "poorman-handshake/node";
import { type Row, timeInterleaved } from "../harness.js";
import type { LoadJob, LoadResult } from "../load/fiber-load.js";
import { nativeFernet } from "./fiber-crypto.js";

const LEVELS = [1, 8, 32];
const COUNTS: Record<LoadJob["kind"], number> = { handshake: 300, echo: 600 };

function ask(child: ChildProcess, job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    child.once("message", (m) => resolve(m as LoadResult));
    child.once("exit", (code) => reject(new Error(`load generator exited with ${code}`)));
    child.send(job);
  });
}

/** Crypto-only time per handshake and per request, in ms, measured in this process. */
async function cryptoBound(server: FiberServer, validator: Keypair): Promise<{ handshake: number; echo: number }> {
  await wasm.waitReady();
  const rsa = KeyObject.from(server.rsaKeyPair.privateKey);
  const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" };
  const ct = publicEncrypt({ key: KeyObject.from(server.rsaKeyPair.publicKey), ...OAEP }, randomBytes(32));
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

/** Runs the Fiber server benchmarks. */
export async function fiberServerBench(): Promise<Row[]> {
  const miner = await Keypair.generate();
  const seed = randomBytes(32);
  const validator = await Keypair.fromSeed(seed);
  const server = await FiberServer.create({ keypair: miner });
  server.route("/echo", { handler: (payload) => payload });
  const running = await serve(server.fetch, { host: "127.0.0.1" });
  const config = JSON.stringify({ url: running.url, miner: miner.ss58Address, publicKeyPem: server.publicKeyPem, seed: `0x${seed.toString("hex")}` });
  const child = fork(fileURLToPath(new URL("../load/fiber-load.ts", import.meta.url)), [config], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const rows: Row[] = [];
  try {
    await new Promise((resolve, reject) => (child.once("message", resolve), child.once("error", reject)));
    const bound = await cryptoBound(server, validator);
    for (const kind of ["handshake", "echo"] as const) {
      for (const concurrency of LEVELS) {
        const count = concurrency === 1 ? COUNTS[kind] / 2 : COUNTS[kind];
        const result = await ask(child, { kind, concurrency, count });
        if (result.ok !== count) throw new Error(`fiber ${kind} x${concurrency}: ${result.failed.length} failed (statuses ${[...new Set(result.failed)].join(", ")})`);
        const unit = kind === "handshake" ? "handshakes/s" : "req/s";
        rows.push({
          group: "fiber server",
          name: kind === "handshake" ? `key exchanges, concurrency ${concurrency}` : `encrypted /echo, concurrency ${concurrency}`,
          ours: (count * 1000) / result.ms,
          bound: 1000 / bound[kind],
          boundName: kind === "handshake" ? "crypto only: RSA decrypt + sr25519 verify" : "crypto only: sr25519 verify + Fernet decrypt",
          unit,
          ...(kind === "handshake" ? { target: 2, note: "target: ≥ 0.5 of the bound" } : {}),
        });
      }
    }
  } finally {
    child.kill();
    await running.close();
  }
  return rows;
}
