/**
 * Every ```ts block of README.md, as a user copies it: each becomes a module of a
 * consumer project that imports the built package by name, type-checked with the
 * strictest options users turn on (`exactOptionalPropertyTypes`,
 * `noUncheckedIndexedAccess`). The snippets that need nothing from around them run.
 * The same project is type-checked with the oldest TypeScript we support.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("..", import.meta.url));
/** The oldest TypeScript the published types support (README, "Supported versions"). */
const OLDEST_TYPESCRIPT = "5.0.4";

/** The names snippets use without defining them: what the surrounding prose says they are. */
const AMBIENT = `
import type { PasswordHandShake } from "poorman-handshake";
import type { HiveMindFrameMessage } from "poorman-handshake/hivemind";
declare global {
  const bigPayload: Uint8Array;
  const hubPubkey: string;
  const minerSs58: string;
  const schema: { parse(value: unknown): { score: number } };
  const password: string;
  const hubKey: Uint8Array;
  const clientKey: Uint8Array;
  const pinnedHubKey: Uint8Array | undefined;
  const hello: unknown;
  const handshake: unknown;
  const hiveMessage: object;
  function send(payload: unknown): void;
  function handle(marker: HiveMindFrameMessage["marker"], body: HiveMindFrameMessage["body"]): void;
  const shake: PasswordHandShake;
  const message: string;
  const staticKey: Uint8Array;
  const payload: Uint8Array;
}
export {};
`;

/** The ```ts blocks of the README, in order. */
function snippets(): string[] {
  const text = readFileSync(join(repo, "README.md"), "utf8");
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

const tsconfig = (extra: Record<string, unknown>) =>
  JSON.stringify({
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      lib: ["ES2022", "DOM"],
      types: ["node"],
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      noUnusedLocals: false,
      ...extra,
    },
    include: ["*.ts"],
  });

/** `file(line,col): error TS…` lines grouped by file. */
function errorsByFile(output: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of output.split("\n")) {
    const m = /^(snippet-\d+\.ts)\(\d+,\d+\): error/.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), line]);
  }
  return out;
}

async function tsc(bin: string, cwd: string, project: string): Promise<string> {
  return run(process.execPath, [bin, "-p", project], { cwd, encoding: "utf8" }).then(
    (r) => r.stdout,
    (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ""}${e.stderr ?? ""}` || "tsc failed",
  );
}

describe("README snippets", { timeout: 120_000 }, () => {
  // Inside the repository (.tmp/ is ignored) so @types/node resolves; the package itself by name.
  const project = join(repo, ".tmp", `readme-${process.pid}`);
  const blocks = snippets();
  before(() => {
    mkdirSync(join(project, "node_modules"), { recursive: true });
    symlinkSync(repo, join(project, "node_modules", "poorman-handshake"), "dir");
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "readme-consumer", private: true, type: "module" }));
    blocks.forEach((code, i) => writeFileSync(join(project, `snippet-${i + 1}.ts`), `${code}\nexport {};\n`));
    writeFileSync(join(project, "ambient.d.ts"), AMBIENT);
    writeFileSync(join(project, "tsconfig.json"), tsconfig({ noEmit: true }));
    // The oldest compiler also checks our .d.ts files themselves (skipLibCheck off).
    writeFileSync(join(project, "tsconfig.oldest.json"), tsconfig({ noEmit: true, skipLibCheck: false }));
    // Without the ambient names: what compiles here needs nothing around it, so it runs.
    writeFileSync(join(project, "tsconfig.alone.json"), JSON.stringify({ ...JSON.parse(tsconfig({ outDir: "out", noEmitOnError: false })), include: ["snippet-*.ts"] }));
  });
  after(() => rmSync(project, { recursive: true, force: true }));

  it("every ts block type-checks against the built package with exactOptionalPropertyTypes", async () => {
    assert.ok(blocks.length >= 8, `found ${blocks.length} ts blocks`);
    const output = await tsc(join(repo, "node_modules/typescript/bin/tsc"), project, "tsconfig.json");
    assert.equal(output.trim(), "", `README snippets do not compile:\n${output}`);
  });

  it("the self-contained snippets run", async (t) => {
    const output = await tsc(join(repo, "node_modules/typescript/bin/tsc"), project, "tsconfig.alone.json");
    const failing = errorsByFile(output);
    const runnable = blocks.map((_, i) => `snippet-${i + 1}.ts`).filter((f) => !failing.has(f));
    assert.ok(runnable.length >= 3, `only ${runnable.join(", ")} are self-contained`);
    for (const file of runnable) {
      const js = join(project, "out", file.replace(/\.ts$/, ".js"));
      await run(process.execPath, [js], { cwd: project, timeout: 60_000 }).catch((e: { stderr?: string }) => assert.fail(`${file} threw:\n${e.stderr ?? e}`));
    }
    t.diagnostic(`ran ${runnable.join(", ")}; the others use names the prose defines (${[...failing.keys()].join(", ")})`);
  });

  it(`the types work with the oldest supported TypeScript (${OLDEST_TYPESCRIPT})`, async (t) => {
    const prefix = join(project, "ts-oldest");
    try {
      await run("npm", ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", "--prefer-offline", `typescript@${OLDEST_TYPESCRIPT}`], { timeout: 90_000 });
    } catch (error) {
      t.skip(`could not install typescript@${OLDEST_TYPESCRIPT} from the registry: ${(error as Error).message.split("\n")[0]}`);
      return;
    }
    const output = await tsc(join(prefix, "node_modules/typescript/bin/tsc"), project, "tsconfig.oldest.json");
    assert.equal(output.trim(), "", `TypeScript ${OLDEST_TYPESCRIPT} rejects the types:\n${output}`);
  });
});
