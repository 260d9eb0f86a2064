/**
 * Nonce store memory after 1,000,000 unique nonces at its default cap, each run in a
 * fresh process, against a plain `Set` of the same strings; and the proof that no
 * nonce was accepted twice and that the store refuses more than its cap.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Row } from "../harness.js";

interface Outcome {
  mb: number;
  replaysAccepted: number;
  overCapRefused: boolean;
  ms: number;
}

function measure(mode: "store" | "set"): Outcome {
  const script = fileURLToPath(new URL("../load/nonce-memory.ts", import.meta.url));
  const out = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", script, mode], { encoding: "utf8", timeout: 120_000 });
  return JSON.parse(out.trim().split("\n").at(-1)!) as Outcome;
}

/** Runs the nonce store benchmark. */
export async function nonceBench(): Promise<Row[]> {
  const store = measure("store"), set = measure("set");
  if (store.replaysAccepted !== 0) throw new Error(`the nonce store accepted ${store.replaysAccepted} replays`);
  if (!store.overCapRefused) throw new Error("the nonce store did not refuse a nonce over its cap");
  return [{
    group: "nonce store",
    name: "RSS growth, 1M unique nonces (cap 1M)",
    ours: store.mb,
    bound: set.mb,
    boundName: "a plain Set of the same 1M strings",
    unit: "MB",
    note: `all 1M offered again: ${store.replaysAccepted} accepted; the 1,000,001st refused (store full); ${Math.round(store.ms)} ms in all`,
  }];
}
