/**
 * The project rule "TSDoc on every public symbol", enforced: every symbol exported from an
 * entry of the package.json exports map, and every public or protected member of exported
 * classes and interfaces, has a non-empty doc comment.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { entrySources, findMissingDocs, inMemoryProgram, loadProgram } from "./helpers/tsdoc.js";

const repo = fileURLToPath(new URL("..", import.meta.url));

describe("TSDoc", () => {
  it("every public symbol and public or protected member of the exports map is documented", () => {
    const entries = entrySources(repo);
    assert.ok(entries.length >= 7, `expected the exports map entries, got ${entries.join(", ")}`);
    const missing = findMissingDocs(loadProgram(join(repo, "tsconfig.build.json")), entries, repo);
    const list = missing.map((m) => `  ${m.file}:${m.line} ${m.symbol}`).join("\n");
    assert.equal(missing.length, 0, `${missing.length} public symbols without TSDoc:\n${list}`);
  });

  it("the checker reports undocumented exports, members and re-exports, and accepts documented ones", () => {
    const root = "/virtual";
    const program = inMemoryProgram({
      "/virtual/src/impl.ts": [
        "/** Documented. */ export function good(): void {}",
        "export function bad(): void {}",
        "/** Documented. */ export const okConst = 1;",
        "export const badConst = 2;",
        "/** Documented. */ export interface Openable {",
        "  /** Documented. */ open(): void;",
        "}",
        "/** Documented. */ export class Box implements Openable {",
        "  /** Documented. */ constructor(readonly size: number) {}",
        "  /** @inheritDoc */ open(): void {}",
        "  close(): void {}",
        "  /** @inheritDoc */ shut(): void {}",
        "  /** Documented. */ get full(): boolean { return true; }",
        "  /** @param n - documented by its tag alone */ resize(n: number): void {}",
        "  /** @internal */ tagOnly(): void {}",
        "  protected guard(): void {}",
        "  private hidden(): void {}",
        "  #secret = 1;",
        "  _internal = 2;",
        "}",
        "/** Documented. */ export interface Shape {",
        "  /** Documented. */ area: number;",
        "  sides: number;",
        "}",
        "/**  */ export type Blank = string;",
        "/** Documented. */ export function over(a: string): string;",
        "/** Documented. */ export function over(a: number): number;",
        "export function over(a: unknown): unknown { return a; }",
      ].join("\n"),
      "/virtual/src/consts.ts": "/** Documented. */ export const GOOD = 1;\nexport const BAD = 2;",
      "/virtual/src/index.ts": [
        'export { good, bad as renamed, okConst, badConst, Box, type Shape, type Blank, over } from "./impl.js";',
        'export * as WIRE from "./consts.js";',
        '/** Documented, but the module is missing. */ export { gone } from "./missing.js";',
      ].join("\n"),
    });
    const missing = findMissingDocs(program, ["/virtual/src/index.ts"], root).map((m) => `${m.file}:${m.line} ${m.symbol}`);
    assert.deepEqual(missing, [
      "src/consts.ts:2 BAD",
      "src/impl.ts:2 bad",
      "src/impl.ts:4 badConst",
      "src/impl.ts:11 Box.close",
      "src/impl.ts:12 Box.shut",
      "src/impl.ts:15 Box.tagOnly",
      "src/impl.ts:16 Box.guard",
      "src/impl.ts:23 Shape.sides",
      "src/impl.ts:25 Blank",
      "src/index.ts:3 gone (unresolved re-export)",
    ]);
  });
});
