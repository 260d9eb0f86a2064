/**
 * Fiber's per-request crypto: sr25519 sign/verify (the shipped WebAssembly schnorrkel
 * behind `Keypair`, the raw wasm calls, and pure-JS `@scure/sr25519`) and Fernet
 * against AES-128-CBC + HMAC-SHA256 done directly with `node:crypto`.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import * as wasm from "@polkadot/wasm-crypto";
import * as scure from "@scure/sr25519";
import fernetNpm from "fernet";
import { Fernet, Keypair, sr25519Verify, ss58Decode } from "poorman-handshake/fiber";
import { type Row, rate, timeInterleaved } from "../harness.js";

const VERIFY_BUDGET_MS = 0.4;

/** Fernet with `node:crypto` primitives and Buffer base64: the same token, no abstraction. */
export function nativeFernet(key: Uint8Array) {
  const signKey = key.subarray(0, 16), encKey = key.subarray(16, 32);
  const mac = (data: Uint8Array) => createHmac("sha256", signKey).update(data).digest();
  return {
    encrypt(plain: Uint8Array): string {
      const iv = randomBytes(16);
      const header = Buffer.alloc(25);
      header[0] = 0x80;
      header.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000)), 1);
      iv.copy(header, 9);
      const c = createCipheriv("aes-128-cbc", encKey, iv);
      const signed = Buffer.concat([header, c.update(plain), c.final()]);
      const token = Buffer.concat([signed, mac(signed)]).toString("base64url");
      return token.padEnd(Math.ceil(token.length / 4) * 4, "="); // Fernet tokens are padded
    },
    decrypt(token: string): Buffer {
      const data = Buffer.from(token, "base64url");
      const signed = data.subarray(0, data.length - 32);
      if (!timingSafeEqual(mac(signed), data.subarray(data.length - 32))) throw new Error("bad MAC");
      const d = createDecipheriv("aes-128-cbc", encKey, data.subarray(9, 25));
      return Buffer.concat([d.update(data.subarray(25, data.length - 32)), d.final()]);
    },
  };
}

async function sr25519Rows(): Promise<Row[]> {
  const seed = randomBytes(32);
  const kp = await Keypair.fromSeed(seed);
  await wasm.waitReady();
  const pair = wasm.sr25519KeypairFromSeed(seed);
  const secret = pair.slice(0, 64), pub = pair.slice(64, 96);
  const scureSecret = scure.secretFromSeed(seed);
  const message = new TextEncoder().encode(`${Date.now()}000000_AbCdEfGhIj:${kp.ss58Address}:${"ab".repeat(32)}`);
  const signature = await kp.sign(message);
  // Cross-check before timing: every implementation accepts the others' signatures.
  if (!scure.verify(message, signature, pub) || !wasm.sr25519Verify(scure.sign(scureSecret, message), message, pub) || !(await Keypair.verify(message, signature, kp.ss58Address))) {
    throw new Error("sr25519 implementations disagree");
  }
  const verify = await timeInterleaved({
    ours: () => Keypair.verify(message, signature, kp.ss58Address),
    uncached: async () => sr25519Verify(message, signature, ss58Decode(kp.ss58Address).publicKey),
    wasm: () => wasm.sr25519Verify(signature, message, pub),
    scure: () => scure.verify(message, signature, pub),
  }, { budgetMs: 3000, maxIterations: 3000 });
  const sign = await timeInterleaved({
    ours: () => kp.sign(message),
    wasm: () => wasm.sr25519Sign(pub, secret, message),
    scure: () => scure.sign(scureSecret, message),
  }, { budgetMs: 2000, maxIterations: 3000 });
  return [
    { group: "sr25519", name: "Keypair.verify (repeated hotkey)", ours: verify.ours, bound: VERIFY_BUDGET_MS, boundName: "the 0.4 ms budget (absolute target)", target: 1 },
    { group: "sr25519", name: "Keypair.verify (repeated hotkey)", ours: verify.ours, bound: verify.wasm, boundName: "raw wasm schnorrkel verify" },
    { group: "sr25519", name: "Keypair.verify (repeated hotkey)", ours: verify.ours, bound: verify.scure, boundName: "@scure/sr25519 verify (pure JS)" },
    { group: "sr25519", name: "verify, hotkey decoded every call", ours: verify.uncached, bound: verify.ours, boundName: "Keypair.verify, decoded-key cache hit" },
    { group: "sr25519", name: "Keypair.sign", ours: sign.ours, bound: sign.wasm, boundName: "raw wasm schnorrkel sign" },
    { group: "sr25519", name: "Keypair.sign", ours: sign.ours, bound: sign.scure, boundName: "@scure/sr25519 sign (pure JS)" },
  ];
}

async function fernetRows(): Promise<Row[]> {
  const key = randomBytes(32);
  const ours = await Fernet.create(key), native = nativeFernet(key);
  const rows: Row[] = [];
  for (const size of [1024, 64 * 1024, 1024 * 1024]) {
    const plain = randomBytes(size);
    const token = await ours.encrypt(plain);
    if (!native.decrypt(token).equals(plain) || !Buffer.from(await ours.decrypt(native.encrypt(plain))).equals(plain)) {
      throw new Error("Fernet implementations disagree");
    }
    const t = await timeInterleaved({
      encrypt: () => ours.encrypt(plain),
      nativeEncrypt: () => native.encrypt(plain),
      decrypt: () => ours.decrypt(token),
      nativeDecrypt: () => native.decrypt(token),
    }, { budgetMs: 2000, maxIterations: size > 64 * 1024 ? 300 : 5000 });
    const label = size === 1024 ? "1 KiB" : size === 64 * 1024 ? "64 KiB" : "1 MiB";
    const mb = (ms: number) => rate(size, ms);
    const target = 1.5;
    rows.push(
      { group: "fernet", name: `encrypt, ${label}`, ours: mb(t.encrypt), bound: mb(t.nativeEncrypt), boundName: "node:crypto AES-128-CBC + HMAC-SHA256", unit: "MB/s", target },
      { group: "fernet", name: `decrypt, ${label}`, ours: mb(t.decrypt), bound: mb(t.nativeDecrypt), boundName: "node:crypto AES-128-CBC + HMAC-SHA256", unit: "MB/s", target },
    );
  }
  return [...rows, await fernetPeerRow(key, ours)];
}

/** Fernet 1 KiB encrypt + decrypt against the `fernet` npm package (crypto-js), tokens checked both ways. */
async function fernetPeerRow(key: Uint8Array, ours: Fernet): Promise<Row> {
  const secret = new fernetNpm.Secret(Buffer.from(key).toString("base64url") + "=");
  // The package encrypts strings (as UTF-8): 1024 ASCII characters are 1 KiB both sides.
  const text = randomBytes(768).toString("base64");
  const plain = new TextEncoder().encode(text);
  const theirs = () => new fernetNpm.Token({ secret, ttl: 0 }).decode(new fernetNpm.Token({ secret }).encode(text));
  const mine = async () => ours.decrypt(await ours.encrypt(plain));
  if (theirs() !== text || new TextDecoder().decode(await ours.decrypt(new fernetNpm.Token({ secret }).encode(text))) !== text
    || new fernetNpm.Token({ secret, ttl: 0 }).decode(await ours.encrypt(plain)) !== text) {
    throw new Error("Fernet and the fernet npm package disagree");
  }
  const t = await timeInterleaved({ mine, theirs }, { budgetMs: 2000, maxIterations: 3000 });
  return { group: "fernet", name: "encrypt + decrypt, 1 KiB", ours: t.mine, bound: t.theirs, boundName: "the fernet npm package 0.4 (crypto-js)", target: 0.2 };
}

/** Runs the sr25519 and Fernet benchmarks. */
export async function fiberCryptoBench(): Promise<Row[]> {
  return [...(await sr25519Rows()), ...(await fernetRows())];
}
