/**
 * Cold start: the import time of every subpath of the exports map, and the time to the
 * first answer of `pmh serve` and to the exit of `pmh demo`. Each figure comes from fresh
 * `node` processes, as a user's program starts: a subpath is imported through the
 * package's own name (so the exports map and its `node` condition choose the file, from the
 * built `dist/`), timed with `performance.now()` around a dynamic `import()` inside the
 * child. The processes of one round run one after another, in turn with their bounds, and
 * each figure is the median of its rounds.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import type { Row } from "../harness.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const PMH = fileURLToPath(new URL("../../dist/cli/pmh.js", import.meta.url));
const SEED = "0x" + "5c".repeat(32);
/** The budget for the slowest subpath import on Node. */
const IMPORT_BUDGET_MS = 100;
/** Every wait for a child is bounded: a server that never answers fails the bench. */
const CHILD_TIMEOUT_MS = 30_000;

/** Options of {@link coldStartBench}. */
export interface ColdStartOptions {
  /** Rounds (fresh processes per figure); the median is reported. Default 7. */
  runs?: number;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** The subpaths of package.json's exports map (the package.json entry aside). */
function subpaths(): string[] {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { name: string; exports: Record<string, unknown> };
  return Object.keys(pkg.exports).filter((key) => key !== "./package.json").map((key) => (key === "." ? pkg.name : `${pkg.name}/${key.slice(2)}`));
}

/** Milliseconds a fresh `node` takes to `import(specifier)`, as the child measures it. */
function importMs(specifier: string): number {
  const code = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", code], { cwd: repo, encoding: "utf8", timeout: CHILD_TIMEOUT_MS });
  const ms = Number(out.trim().split("\n").at(-1));
  if (!(ms > 0)) throw new Error(`importing ${specifier} printed ${JSON.stringify(out)}`);
  return ms;
}

/** A port free on 127.0.0.1 at the time of asking. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether an HTTP GET of `/` on 127.0.0.1:`port` gets any answer. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.once("error", () => resolve(false));
    req.once("timeout", () => req.destroy());
    req.end();
  });
}

/** Stops a child we started, by its pid, and waits for its exit. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** Milliseconds from spawning `args` (which must listen on 127.0.0.1:`port`) to its first HTTP answer. */
async function firstAnswerMs(args: (port: number) => string[]): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args(port), { cwd: repo, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    while (!(await answers(port))) {
      if (child.exitCode !== null) throw new Error(`${args(port).join(" ")} exited (${child.exitCode}) before answering: ${stderr.trim()}`);
      if (performance.now() - started > CHILD_TIMEOUT_MS) throw new Error(`${args(port).join(" ")} did not answer within ${CHILD_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return performance.now() - started;
  } finally {
    await stop(child);
  }
}

/** Milliseconds from spawning `args` to its exit, which must be 0. */
function runMs(args: string[]): number {
  const started = performance.now();
  execFileSync(process.execPath, args, { cwd: repo, stdio: "ignore", timeout: CHILD_TIMEOUT_MS });
  return performance.now() - started;
}

const RAW_HTTP = (port: number) => ["-e", `require("node:http").createServer((q, s) => s.writeHead(404).end()).listen(${port}, "127.0.0.1")`];
const PMH_SERVE = (port: number) => [PMH, "serve", "--host", "127.0.0.1", "--port", String(port), "--hotkey-seed", SEED];

/** Runs the cold-start benchmark. */
export async function coldStartBench(options: ColdStartOptions = {}): Promise<Row[]> {
  const runs = options.runs ?? 7;
  const specifiers = subpaths();
  const EMPTY = "data:text/javascript,export {};";
  const times = new Map<string, number[]>([...specifiers, EMPTY].map((s) => [s, []]));
  const serve: number[] = [], rawHttp: number[] = [], demo: number[] = [], bareNode: number[] = [];
  for (let round = 0; round < runs; round++) {
    for (const s of [EMPTY, ...specifiers]) times.get(s)!.push(importMs(s));
    rawHttp.push(await firstAnswerMs(RAW_HTTP));
    serve.push(await firstAnswerMs(PMH_SERVE));
    bareNode.push(runMs(["-e", ""]));
    demo.push(runMs([PMH, "demo"]));
  }
  const floor = median(times.get(EMPTY)!);
  const imports = specifiers.map((s) => ({ s, ms: median(times.get(s)!) }));
  const slowest = imports.reduce((a, b) => (b.ms > a.ms ? b : a));
  const rounds = `median of ${runs} fresh processes`;
  return [
    ...imports.map(({ s, ms }): Row => ({
      group: "cold start", name: `import ${s}`, ours: ms, bound: floor, boundName: "import of an empty ES module", note: `node condition, built dist/; ${rounds}`,
    })),
    { group: "cold start", name: "slowest subpath import", ours: slowest.ms, bound: IMPORT_BUDGET_MS, boundName: `the ${IMPORT_BUDGET_MS} ms budget (absolute target)`, target: 1, note: slowest.s },
    { group: "cold start", name: "pmh serve: spawn to first HTTP answer", ours: median(serve), bound: median(rawHttp), boundName: "node -e with a raw node:http server", note: `GET / polled every 2 ms on 127.0.0.1 (a 404 answers); ${rounds}` },
    { group: "cold start", name: "pmh demo: spawn to exit", ours: median(demo), bound: median(bareNode), boundName: "node -e \"\" (spawn to exit)", note: `every handshake of the demo, in one process; ${rounds}` },
  ];
}
