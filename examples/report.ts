/** Shared by the examples: the last line each prints, which `test/examples.test.ts` checks. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Prints the example's outcome as `RESULT {json}`. */
export function report(outcome: Record<string, unknown>): void {
  console.log(`RESULT ${JSON.stringify(outcome)}`);
}

/** A fresh temporary folder for an example's key and pin files, removed at exit. */
export function scratchFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "poorman-example-"));
  process.on("exit", () => rmSync(folder, { recursive: true, force: true }));
  return folder;
}
