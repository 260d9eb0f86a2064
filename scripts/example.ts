/**
 * `npm run example [FILE] [args…]`: runs one example against the built package,
 * rebuilding dist/ first only when it is missing or older than a source file (and saying
 * so); with no FILE, lists the examples and what each shows.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const examples = join(repo, "examples");

/** Newest modification time of the files under `dir` (recursively), in ms. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Why dist/ must be rebuilt before running, or undefined when it is up to date. */
function staleReason(): string | undefined {
  const marker = join(repo, "dist", "index.js");
  if (!existsSync(marker)) return "dist/ is missing";
  const built = statSync(marker).mtimeMs;
  for (const input of ["src", "package.json", "tsconfig.json", "tsconfig.build.json"]) {
    const path = join(repo, input);
    const changed = statSync(path).isDirectory() ? newest(path) : statSync(path).mtimeMs;
    if (changed > built) return `${input} changed since the last build`;
  }
  return undefined;
}

/** The first sentence of an example's doc comment. */
function summary(file: string): string {
  const doc = /\/\*\*([\s\S]*?)\*\//.exec(readFileSync(file, "utf8"))?.[1] ?? "";
  const text = doc.replace(/^\s*\* ?/gm, " ").replace(/\s+/g, " ").replace(/ Run: .*$/, "").trim();
  const first = text.split(/(?<=\.) /)[0] ?? text;
  return first.length > 100 ? `${first.slice(0, 99)}…` : first;
}

const [file, ...args] = process.argv.slice(2);
if (file === undefined) {
  console.log("usage: npm run example <file> [args…]\n\nexamples:");
  for (const name of readdirSync(examples).filter((f) => f.endsWith(".ts") && f !== "report.ts").sort()) {
    console.log(`  examples/${name.padEnd(22)} ${summary(join(examples, name))}`);
  }
  console.log("\nexamples/browser/ is the page of `npm run demo:browser`.");
} else {
  if (!existsSync(file)) {
    console.error(`example: ${file}: no such file (npm run example, without a file, lists them)`);
    process.exit(2);
  }
  const reason = staleReason();
  if (reason !== undefined) {
    console.error(`example: ${reason}: building dist/ first (npm run build)…`);
    const build = spawnSync("npm", ["run", "build", "--silent"], { cwd: repo, stdio: "inherit" });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }
  const child = spawnSync(process.execPath, ["--import", "tsx", relative(process.cwd(), file) || file, ...args], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}
