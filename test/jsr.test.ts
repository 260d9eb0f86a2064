/**
 * Deno users: `jsr.json` mirrors the npm exports map, `deno publish --dry-run` passes
 * (JSR's checks, slow types included), and a Deno program using the package needs no
 * permission but the one environment variable Fiber's sr25519 reads.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DENO_FIBER_ENV, findRuntime, missingRuntime } from "./helpers/runtimes.js";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string; license: string; exports: Record<string, unknown> };
const jsr = JSON.parse(readFileSync(join(repo, "jsr.json"), "utf8")) as { version: string; license: string; exports: Record<string, string> };
const env = { ...process.env, NO_COLOR: "1" };

describe("jsr.json and Deno", { timeout: 120_000 }, () => {
  const dir = join(repo, ".tmp", `deno-${process.pid}`);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("has the npm package's version, license and subpaths, each pointing at the TypeScript source", () => {
    assert.equal(jsr.version, pkg.version);
    assert.equal(jsr.license, pkg.license);
    const npmSubpaths = Object.keys(pkg.exports).filter((s) => s !== "./package.json").sort();
    assert.deepEqual(Object.keys(jsr.exports).sort(), npmSubpaths);
    for (const [sub, file] of Object.entries(jsr.exports)) assert.match(file, /^\.\/src\/(?:[a-z]+\/)*index\.ts$/, sub);
  });

  it("deno publish --dry-run passes", async (t) => {
    const deno = findRuntime("deno");
    if (!deno) return t.skip(missingRuntime("deno"));
    // --allow-dirty: the test runs on work in progress; --sloppy-imports: our `.js` specifiers name `.ts` files.
    const { stdout, stderr } = await run(deno, ["publish", "--dry-run", "--allow-dirty", "--sloppy-imports"], { cwd: repo, env, timeout: 90_000 });
    assert.match(stdout + stderr, /Success Dry run complete/);
    assert.doesNotMatch(stdout + stderr, /^warning/im);
  });

  it(`a Deno program runs the password handshake with no permission, and Fiber with only --allow-env=${DENO_FIBER_ENV}`, async (t) => {
    const deno = findRuntime("deno");
    if (!deno) return t.skip(missingRuntime("deno"));
    mkdirSync(dir, { recursive: true });
    const script = join(dir, "main.ts");
    writeFileSync(
      script,
      `import { PasswordHandShake } from "poorman-handshake";
       const a = new PasswordHandShake("correct horse battery staple"), b = new PasswordHandShake("correct horse battery staple");
       const ha = await a.generateHandshake(), hb = await b.generateHandshake();
       console.log(JSON.stringify({ password: (await a.receiveAndVerify(hb)) && (await b.receiveAndVerify(ha)) }));
       const { Keypair } = await import("poorman-handshake/fiber");
       const kp = await Keypair.fromSeed("0x" + "11".repeat(32));
       console.log(JSON.stringify({ fiber: await Keypair.verify("m", await kp.sign("m"), kp.ss58Address) }));`,
    );
    const base = ["run", "--quiet", "--no-prompt", "--no-lock"];
    const granted = await run(deno, [...base, `--allow-env=${DENO_FIBER_ENV}`, script], { cwd: repo, env, timeout: 60_000 });
    assert.deepEqual(granted.stdout.trim().split("\n").map((l) => JSON.parse(l)), [{ password: true }, { fiber: true }]);
    const denied = await run(deno, [...base, script], { cwd: repo, env, timeout: 60_000 }).then(
      () => assert.fail("Fiber ran without the environment permission: drop it from the README"),
      (e: { stdout: string; stderr: string }) => e,
    );
    assert.equal(denied.stdout.trim(), JSON.stringify({ password: true }), "the password handshake needs no permission");
    assert.match(denied.stderr, new RegExp(`NotCapable|${DENO_FIBER_ENV}`));
  });
});
