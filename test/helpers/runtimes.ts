/** Deno and Bun as the tests find them, and the permissions Deno users grant. */
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The one environment variable Fiber needs under Deno: `@polkadot/util` (a dependency of
 * the sr25519 WebAssembly) reads it when first loaded. README, "Browsers, Deno and Bun".
 */
export const DENO_FIBER_ENV = "POLKADOTJS_DISABLE_ESM_CJS_WARNING";

/** The runtime's binary from tools/runtimes, else from PATH, else undefined. */
export function findRuntime(name: string): string | undefined {
  const dirs = [join(repo, "tools/runtimes/node_modules/.bin"), ...(process.env.PATH ?? "").split(delimiter).filter(Boolean)];
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

/** Why a runtime's test is skipped when it is missing. */
export function missingRuntime(name: string): string {
  return `${name} is not installed: run \`npm install --prefix tools/runtimes --no-save\` (as .ci/run does) or put ${name} on PATH`;
}
