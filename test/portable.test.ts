/**
 * The portable vector suites (test/portable/suites/*.ts) under Node, Deno and Bun: one
 * isomorphic runner, each runtime resolving the package through its own exports map.
 * Deno and Bun come from tools/runtimes (installed by .ci/run with `npm install --prefix tools/runtimes --no-save`) or from PATH; where one
 * is missing its test is skipped with the reason printed.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runPortable } from "./portable/cli.js";
import { failures, type PortableReport } from "./portable/harness.js";
import { DENO_FIBER_ENV, findRuntime, missingRuntime } from "./helpers/runtimes.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const cli = "test/portable/cli.ts";
const suiteFiles = readdirSync(join(repo, "test/portable/suites")).filter((f) => f.endsWith(".ts"));

/** Checks one runtime's report: every suite ran, every case passed. */
function assertReport(report: PortableReport, runtime: RegExp): number {
  assert.match(report.runtime, runtime);
  assert.deepEqual(failures(report), []);
  assert.equal(report.suites.length, suiteFiles.length, "every suite file ran");
  const count = report.suites.reduce((n, s) => n + s.cases.length, 0);
  for (const s of report.suites) assert.ok(s.cases.length > 0, `${s.name} has cases`);
  return count;
}

/** The same vectors, the same runner: the case count must agree across runtimes. */
let nodeCount = 0;

const RUNTIMES: Array<{ name: string; args: string[] }> = [
  // --sloppy-imports: our TypeScript imports siblings as `.js`, as NodeNext requires.
  // The narrowest permissions: the harness reads its own files (suites, vectors, the package
  // it imports by name); Fiber's sr25519 (@polkadot/wasm-crypto) reads one variable at import.
  { name: "deno", args: ["run", "--quiet", "--no-prompt", "--no-lock", "--sloppy-imports", "--allow-read=package.json,dist,test", `--allow-env=${DENO_FIBER_ENV}`, cli] },
  { name: "bun", args: ["run", cli] },
];

describe("portable vector suites", { timeout: 120_000 }, () => {
  it("node", async () => {
    nodeCount = assertReport(await runPortable(), /^node v/);
    assert.ok(nodeCount > 0);
  });
  for (const { name, args } of RUNTIMES) {
    it(name, async (t) => {
      const bin = findRuntime(name);
      if (!bin) {
        t.skip(missingRuntime(name));
        return;
      }
      const { stdout } = await promisify(execFile)(bin, args, { cwd: repo, timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } }).catch((e: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`${name} failed: ${e.message}\n${e.stderr ?? ""}\n${(e.stdout ?? "").slice(0, 2000)}`);
      });
      const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as PortableReport;
      t.diagnostic(`${report.runtime}: ${report.suites.map((s) => `${s.name} ${s.cases.length}`).join(", ")} cases passed`);
      const count = assertReport(report, new RegExp(`^${name} `));
      if (nodeCount > 0) assert.equal(count, nodeCount, "same case count as under Node");
    });
  }
});
