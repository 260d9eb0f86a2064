/**
 * The isomorphic core stays isomorphic and small: runs scripts/bundle-check.ts on the
 * built package (npm test builds first) and checks that the checker itself catches
 * Node built-ins and Node-only globals.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CORE_BUDGET_BYTES, bundleEntry, checkBundles, isNodeBuiltin, isomorphicSubpaths, markdownTable, problems, repoRoot } from "../scripts/bundle-check.js";

describe("browser bundles of the isomorphic subpaths", { timeout: 60_000 }, () => {
  it("every isomorphic subpath bundles for browsers with no Node built-in, and the core fits its budget", async (t) => {
    const report = await checkBundles();
    t.diagnostic(`\n${markdownTable(report)}`);
    assert.deepEqual(problems(report), []);
    const { subpaths } = isomorphicSubpaths();
    assert.ok(subpaths.includes(".") && subpaths.includes("./password"), "derived from the exports map");
    assert.deepEqual(report.subpaths.map((r) => r.entry), subpaths);
    for (const r of report.subpaths) {
      assert.ok(r.gzipBytes > 0 && r.gzipBytes < r.minifiedBytes, `${r.entry} has a real size`);
      assert.ok(r.inputs.some((i) => i.startsWith("dist/")), `${r.entry} bundles the built package`);
      assert.ok(!r.inputs.some((i) => /^dist\/(node|cli)\//.test(i)), `${r.entry} pulls in Node-only code: ${r.inputs.join(", ")}`);
    }
    assert.ok(report.core.members.includes(".") && report.core.members.includes("./password"));
    if (subpaths.includes("./rsa")) assert.ok(report.core.members.includes("./rsa"));
    assert.ok(report.core.gzipBytes <= CORE_BUDGET_BYTES, `core is ${report.core.gzipBytes} bytes gzipped`);
  });

  it("the checker catches node: imports, bare built-ins and free Node globals", async () => {
    const bad = await bundleEntry(
      "bad",
      `import { readFileSync } from "node:fs"; import path from "path"; export const a = readFileSync; export const b = path.join; export const c = () => Buffer.from("x"); export const d = typeof process;`,
      repoRoot,
    );
    assert.deepEqual(bad.violations.sort(), ['<bad> imports "node:fs"', '<bad> imports "path"', 'free reference to the Node global "Buffer"'].sort());
    const good = await bundleEntry("good", `export const f = () => globalThis.crypto.subtle; export const g = typeof process === "undefined" ? null : process.env;`, repoRoot);
    assert.deepEqual(good.violations, []);
  });

  it("recognises Node built-ins by name", () => {
    for (const m of ["node:fs", "fs", "fs/promises", "node:test", "crypto", "zlib"]) assert.equal(isNodeBuiltin(m), true, m);
    for (const m of ["@noble/hashes/sha2.js", "poorman-handshake", "./fs.js", "fsx"]) assert.equal(isNodeBuiltin(m), false, m);
  });
});
