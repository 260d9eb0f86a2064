/** `npm run example`: without a file it lists the examples; a missing file is a one-line usage error. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("..", import.meta.url));
const script = ["--import", "tsx", "scripts/example.ts"];

describe("npm run example", () => {
  it("lists every example with what it shows when no file is given", async () => {
    const { stdout } = await run(process.execPath, script, { cwd: repo });
    assert.match(stdout, /^usage: npm run example <file>/);
    for (const name of readdirSync(new URL("../examples/", import.meta.url)).filter((f) => f.endsWith(".ts") && f !== "report.ts")) {
      assert.match(stdout, new RegExp(`examples/${name.replace(".", "\\.")} +\\S`), name);
    }
  });
  it("a file that does not exist exits 2 with one line, without building", async () => {
    const failed = await run(process.execPath, [...script, "examples/nope.ts"], { cwd: repo }).then(
      () => assert.fail("ran a missing file"),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(failed.code, 2);
    assert.equal(failed.stderr.trim(), "example: examples/nope.ts: no such file (npm run example, without a file, lists them)");
  });
});
