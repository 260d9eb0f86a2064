/** `npm run docs`: TypeDoc builds the API reference of every subpath from the TSDoc, with no warning. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const repo = fileURLToPath(new URL("..", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "pmh-api-docs-"));

describe("API reference", { timeout: 120_000 }, () => {
  after(() => rmSync(out, { recursive: true, force: true }));
  it("npm run docs succeeds without warnings and documents each subpath", async () => {
    // typedoc.json turns warnings into errors; --out keeps the repository's docs/api/ as it is.
    const { stdout, stderr } = await promisify(execFile)("npm", ["run", "docs", "--silent", "--", "--out", out], { cwd: repo, env: { ...process.env, NO_COLOR: "1" } });
    assert.doesNotMatch(stdout + stderr, /warning|error/i, stdout + stderr);
    assert.ok(existsSync(join(out, "index.html")));
    const index = readFileSync(join(out, "index.html"), "utf8");
    for (const module of ["password", "rsa", "noise", "hivemind", "fiber", "node"]) assert.match(index, new RegExp(`modules/${module}\\.html`), module);
  });
});
