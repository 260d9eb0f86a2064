/**
 * Pieces of `npm run loadtest`: a bounded pool runner, latency statistics, and raw
 * Fiber operations that count lost keys instead of quietly re-handshaking.
 */
import { fromBase64Any } from "../src/common/bytes.js";
import { FiberClient } from "../src/fiber/client.js";
import type { FiberSession } from "../src/fiber/client-config.js";
import { Fernet } from "../src/fiber/fernet.js";
import type { Keypair } from "../src/fiber/keypair.js";
import { generateNonce } from "../src/fiber/nonce.js";
import { signingMessage } from "../src/fiber/constants.js";
import { DETAIL } from "../src/fiber/constants.js";

/** What one operation ended as. */
export type Outcome = "ok" | "lost-key" | "error";

/** Results of one phase. */
export interface PhaseReport {
  phase: string;
  /** Operations asked for, and completed before the time limit. */
  planned: number;
  done: number;
  ok: number;
  errors: number;
  keysLost: number;
  /** A few error messages, for the report. */
  sampleErrors: string[];
  seconds: number;
  perSecond: number;
  /** Latency in milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The value at quantile `q` of sorted `values` (nearest rank). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Runs `op(i)` for i in [0, total) with `concurrency` in flight, starting no new one
 * after `deadline` (performance.now() milliseconds).
 */
export async function runPhase(phase: string, total: number, concurrency: number, deadline: number, op: (i: number) => Promise<Outcome>): Promise<PhaseReport> {
  const latencies: number[] = [];
  const sampleErrors: string[] = [];
  let next = 0;
  let ok = 0;
  let errors = 0;
  let keysLost = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total && performance.now() < deadline) {
      const i = next++;
      const t = performance.now();
      let outcome: Outcome;
      try {
        outcome = await op(i);
      } catch (error) {
        outcome = "error";
        if (sampleErrors.length < 5) sampleErrors.push(error instanceof Error ? error.message : String(error));
      }
      latencies.push(performance.now() - t);
      if (outcome === "ok") ok++;
      else if (outcome === "lost-key") keysLost++;
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (x: number) => Number(x.toFixed(2));
  return {
    phase,
    planned: total,
    done: latencies.length,
    ok,
    errors,
    keysLost,
    sampleErrors,
    seconds: round(seconds),
    perSecond: round(latencies.length / seconds),
    p50: round(quantile(latencies, 0.5)),
    p90: round(quantile(latencies, 0.9)),
    p99: round(quantile(latencies, 0.99)),
    max: round(latencies.at(-1) ?? 0),
  };
}

/** An exchanged key, ready to encrypt with. */
export interface LoadSession {
  validator: Keypair;
  uuid: string;
  fernet: Fernet;
}

/** One fresh key exchange with the miner at `url` (never a cached one). */
export async function handshakeOnce(client: FiberClient, validator: Keypair, url: string, miner: string): Promise<LoadSession> {
  client.forget(url, miner);
  const session: FiberSession = await client.handshake(url, miner);
  client.forget(url, miner);
  return { validator, uuid: session.uuid, fernet: await Fernet.create(fromBase64Any(session.key, "key")) };
}

/**
 * One encrypted `POST /echo` with `session`, sent as FiberClient sends it but without
 * its re-handshake, so a key the miner lost is counted, not hidden.
 */
export async function echoOnce(session: LoadSession, url: string, miner: string, i: number): Promise<Outcome> {
  const nonce = generateNonce();
  const body = await session.fernet.encrypt(JSON.stringify({ i, nonce }));
  const response = await fetch(`${url}/echo`, {
    method: "POST",
    headers: {
      "content-type": "application/octet-stream",
      "validator-hotkey": session.validator.ss58Address,
      "miner-hotkey": miner,
      "symmetric-key-uuid": session.uuid,
      nonce,
      signature: await session.validator.signHex(signingMessage(nonce, miner, session.uuid)),
    },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const json = (await response.json()) as { i?: number; detail?: unknown };
  if (response.status === 400 && json.detail === DETAIL.noSymmetricKey) return "lost-key";
  if (response.status !== 200) throw new Error(`${response.status} ${JSON.stringify(json.detail)}`);
  if (json.i !== i) throw new Error(`wrong echo: ${JSON.stringify(json)}`);
  return "ok";
}
