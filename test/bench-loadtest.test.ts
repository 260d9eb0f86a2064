/** `npm run loadtest` in a small configuration, and its lost-key accounting. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { echoOnce, handshakeOnce, quantile, runPhase } from "../bench/loadtest-lib.js";
import { FiberClient } from "../src/fiber/client.js";
import { MemoryKeyStore } from "../src/fiber/keystore.js";
import { FiberServer } from "../src/fiber/server.js";
import { serve } from "../src/fiber/node/serve.js";
import { identities } from "./helpers/fiber.js";
import { hasRedisServer, REDIS_MISSING } from "./helpers/redis.js";

const script = fileURLToPath(new URL("../bench/loadtest.ts", import.meta.url));

function loadtest(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", script, ...args], { encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
    );
  });
}

describe("loadtest", { timeout: 150_000 }, () => {
  type Report = { mode: string; skipped?: string; phases: { phase: string; planned: number; done: number; ok: number; errors: number; keysLost: number; p50: number; p99: number; perSecond: number }[] };
  const smallRun = async (mode: string): Promise<Report> => {
    const run = await loadtest(["--mode", mode, "--handshakes", "12", "--requests", "60", "--concurrency", "4", "--validators", "3", "--json"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const out = JSON.parse(run.stdout) as { failed: boolean; reports: Report[] };
    assert.equal(out.failed, false);
    assert.equal(out.reports.length, 1);
    const report = out.reports[0]!;
    assert.deepEqual(report.phases.map((p) => [p.phase, p.planned, p.done, p.ok, p.errors, p.keysLost]), [
      ["handshakes", 12, 12, 12, 0, 0],
      ["encrypted requests", 60, 60, 60, 0, 0],
    ], report.mode);
    for (const p of report.phases) assert.ok(p.perSecond > 0 && p.p50 <= p.p99, report.mode);
    return report;
  };
  it("a small run against one instance completes with no error and no lost key", async () => {
    assert.equal((await smallRun("single")).mode, "1 instance, memory");
  });
  it("a small run against two instances over Redis completes with no error and no lost key", { skip: hasRedisServer ? false : REDIS_MISSING }, async () => {
    assert.equal((await smallRun("redis")).mode, "2 instances, Redis");
  });
  it("with --workers 2, also runs pmh serve --workers 2 and reports the scaling over one process", async () => {
    const run = await loadtest(["--mode", "single", "--workers", "2", "--handshakes", "12", "--requests", "60", "--concurrency", "4", "--validators", "3", "--json"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const out = JSON.parse(run.stdout) as { failed: boolean; reports: (Report & { workers: number })[]; scaling: { stores: string; phase: string; workers: number; ratio: number }[] };
    assert.equal(out.failed, false);
    assert.deepEqual(out.reports.map((r) => [r.mode, r.workers, r.phases.map((p) => [p.ok, p.errors, p.keysLost])]), [
      ["1 instance, memory", 1, [[12, 0, 0], [60, 0, 0]]],
      ["2 workers, memory", 2, [[12, 0, 0], [60, 0, 0]]],
    ]);
    assert.deepEqual(out.scaling.map((s) => [s.stores, s.phase, s.workers]), [
      ["memory (held by the primary)", "handshakes", 2],
      ["memory (held by the primary)", "encrypted requests", 2],
    ]);
    for (const s of out.scaling) assert.ok(s.ratio > 0);
  });
  it("refuses unbounded or malformed settings", async () => {
    for (const args of [["--handshakes", "0"], ["--concurrency", "x"], ["--max-seconds", "99999"], ["--mode", "cluster"], ["--workers", "0"], ["--workers", "65"]]) {
      const run = await loadtest(args);
      assert.equal(run.code, 2, args.join(" "));
      assert.match(run.stderr, /loadtest: --/);
    }
  });
  it("counts a key the miner lost instead of re-handshaking", async () => {
    const ids = await identities();
    const server = await FiberServer.create({ keypair: ids.miner, keyStore: new MemoryKeyStore({ maxEntries: 1 }) });
    server.route("/echo", { handler: (payload) => payload });
    const running = await serve(server.fetch, { host: "127.0.0.1", port: 0 });
    try {
      const client = new FiberClient({ keypair: ids.validator });
      const first = await handshakeOnce(client, ids.validator, running.url, ids.miner.ss58Address);
      assert.equal(await echoOnce(first, running.url, ids.miner.ss58Address, 1), "ok");
      const second = await handshakeOnce(client, ids.validator, running.url, ids.miner.ss58Address); // evicts the first key
      assert.equal(await echoOnce(first, running.url, ids.miner.ss58Address, 2), "lost-key");
      assert.equal(await echoOnce(second, running.url, ids.miner.ss58Address, 3), "ok");
      const report = await runPhase("p", 3, 2, performance.now() + 60_000, async (i) => (i === 1 ? "lost-key" : i === 2 ? Promise.reject(new Error("boom")) : "ok"));
      assert.deepEqual([report.done, report.ok, report.keysLost, report.errors, report.sampleErrors], [3, 1, 1, 1, ["boom"]]);
    } finally {
      await running.close();
    }
  });
  it("quantiles use the nearest rank", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual([quantile(values, 0.5), quantile(values, 0.9), quantile(values, 0.99), quantile(values, 1), quantile([], 0.5)], [50, 90, 99, 100, 0]);
  });
});
