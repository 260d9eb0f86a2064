/**
 * The public API never loses a name in a minor release: every runtime export of every
 * subpath that 0.1.0 shipped (test/vectors/api-surface.json, per export condition) is
 * still exported by the built package. Renamed symbols stay as deprecated aliases.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

interface Surface {
  exports: Record<string, Record<string, string[]>>;
}
interface ConditionalTarget {
  [condition: string]: string;
}

const surface = JSON.parse(readFileSync(new URL("./vectors/api-surface.json", import.meta.url), "utf8")) as Surface;
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { exports: Record<string, string | ConditionalTarget> };

describe("public API surface", () => {
  for (const [subpath, byCondition] of Object.entries(surface.exports)) {
    for (const [condition, names] of Object.entries(byCondition)) {
      it(`${subpath} (${condition} condition) still exports all ${names.length} names of 0.1.0`, async () => {
        const target = pkg.exports[subpath];
        assert.ok(target !== undefined && typeof target !== "string", `package.json exports ${subpath}`);
        const file = target[condition] ?? target.default;
        assert.ok(file !== undefined, `${subpath} has a ${condition} or default target`);
        const module = (await import(new URL(`../${file}`, import.meta.url).href)) as Record<string, unknown>;
        const missing = names.filter((name) => !(name in module));
        assert.deepEqual(missing, [], `${subpath} (${condition}) lost exports`);
      });
    }
  }
});
