/**
 * `npm run bench [-- group ...]`: runs the benchmarks (bounded), prints a table of each
 * figure beside its native bound, and rewrites the generated part of docs/performance.md.
 * Not part of `npm test`: timings never decide a test.
 */
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { type Row, meetsTarget } from "./harness.js";
import { consoleTable, writeDocs } from "./report.js";
import { passwordBench } from "./cases/password.js";
import { rsaBench } from "./cases/rsa.js";
import { fiberCryptoBench } from "./cases/fiber-crypto.js";
import { fiberServerBench } from "./cases/fiber-server.js";
import { nonceBench } from "./cases/nonce.js";
import { noiseBench } from "./cases/noise.js";
import { coldStartBench } from "./cases/cold-start.js";

const suites: Record<string, () => Promise<Row[]>> = {
  password: passwordBench,
  rsa: rsaBench,
  "fiber-crypto": fiberCryptoBench,
  "fiber-server": fiberServerBench,
  "fiber-signed": async () => (await import("./cases/fiber-signed.js")).fiberSignedBench(),
  nonce: nonceBench,
  hivemind: noiseBench,
  hub: async () => (await import("./cases/hub.js")).hubBench(),
  "cold-start": () => coldStartBench(),
  chain: async () => (await import("./cases/chain.js")).chainBench(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const write = !process.argv.includes("--no-write");
const rows: Row[] = [];
const loadAtStart = loadavg()[0]!;
const started = performance.now();
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stderr.write(`running ${name} ...\n`);
  rows.push(...(await run()));
}

console.log(consoleTable(rows));
const environment = `Measured ${new Date().toISOString().slice(0, 10)} with Node ${process.version} on ${cpus()[0]?.model ?? "unknown CPU"} (${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB), shared with other work: load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end; the run took ${Math.round((performance.now() - started) / 1000)} s. Ratios are ours ÷ the native bound measured in the same run (for rates, bound ÷ ours), so lower is better.`;
if (write && wanted.length === 0) {
  writeDocs(fileURLToPath(new URL("../docs/performance.md", import.meta.url)), fileURLToPath(new URL("../docs/performance.svg", import.meta.url)), "performance.svg", rows, environment);
  console.log("\nwrote docs/performance.md and docs/performance.svg");
}
const missed = rows.filter((r) => !meetsTarget(r));
console.log(missed.length === 0 ? "all targets met" : `${missed.length} target(s) missed (explained in docs/performance.md)`);
