/**
 * Entry point of the portable vector suites for server runtimes: Node (through tsx),
 * Deno and Bun run this same file. It imports every isomorphic subpath by the package's
 * own name (so each runtime resolves the exports map itself), loads the suites in
 * `suites/` and their vector files, runs them, and prints one JSON
 * {@link PortableReport} line. Exit code 1 when a case failed.
 *
 * Uses only `node:fs`/`node:path`, which Deno and Bun provide too.
 *
 * @module
 */
import { readFile, readdir } from "node:fs/promises";
import process from "node:process";
import { isNodeOnlySubpath } from "../../scripts/subpaths.js";
import { failures, runSuites, type PackageApi, type PortableReport, type PortableSuite } from "./harness.js";

const here = new URL("./", import.meta.url);
const repo = new URL("../../", here);

/** Which runtime is executing this file. */
function runtimeName(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string }; process?: { version: string } };
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  if (g.Bun) return `bun ${g.Bun.version}`;
  return `node ${g.process?.version}`;
}

/** The package's isomorphic subpaths, each imported by the package's own name. */
export async function importPackageApi(): Promise<PackageApi> {
  const pkg = JSON.parse(await readFile(new URL("package.json", repo), "utf8")) as { name: string; exports: Record<string, unknown> };
  const api: PackageApi = {};
  for (const sub of Object.keys(pkg.exports).filter((s) => !isNodeOnlySubpath(s))) {
    api[sub] = await import(pkg.name + sub.slice(1));
  }
  return api;
}

/** Every suite file in `suites/`, in name order. */
export async function loadSuites(): Promise<PortableSuite[]> {
  const files = (await readdir(new URL("suites/", here))).filter((f) => /\.ts$/.test(f)).sort();
  const suites: PortableSuite[] = [];
  for (const f of files) suites.push((await import(new URL(`suites/${f}`, here).href)).default);
  return suites;
}

/** Runs every suite in this runtime. */
export async function runPortable(): Promise<PortableReport> {
  const api = await importPackageApi();
  const load = async (path: string) => JSON.parse(await readFile(new URL(`test/vectors/${path}`, repo), "utf8"));
  return { runtime: runtimeName(), suites: await runSuites(await loadSuites(), api, load) };
}

const isMain = (import.meta as { main?: boolean }).main ?? (process.argv[1] !== undefined && new URL(import.meta.url).pathname === process.argv[1]);
if (isMain) {
  const report = await runPortable();
  console.log(JSON.stringify(report));
  for (const line of failures(report)) console.error(line);
  if (failures(report).length > 0) process.exitCode = 1;
}
