/** The cold-start bench in a quick run (one round): every subpath imports in a fresh process, `pmh serve` answers, `pmh demo` exits 0. No figure is asserted. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { coldStartBench } from "../bench/cases/cold-start.js";

describe("bench cold start", { timeout: 240_000 }, () => {
  it("has a row for each subpath of the exports map, the slowest import, pmh serve's first answer and pmh demo's exit", async () => {
    // coldStartBench throws when an import fails, pmh serve exits or never answers, or pmh demo exits non-zero.
    const rows = await coldStartBench({ runs: 1 });
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { exports: Record<string, unknown> };
    const subpaths = Object.keys(pkg.exports).filter((key) => key !== "./package.json");
    assert.deepEqual(rows.map((r) => r.name), [
      ...subpaths.map((key) => `import poorman-handshake${key.slice(1)}`),
      "slowest subpath import",
      "pmh serve: spawn to first HTTP answer",
      "pmh demo: spawn to exit",
    ]);
    for (const r of rows) assert.ok(r.ours > 0 && r.bound > 0, r.name);
    const slowest = rows.find((r) => r.name === "slowest subpath import")!;
    assert.equal(slowest.target, 1);
    assert.equal(slowest.ours, Math.max(...rows.filter((r) => r.name.startsWith("import ")).map((r) => r.ours)));
  });
});
