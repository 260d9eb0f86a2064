/** Loads a vector file copied into test/vectors/ (the clone is self-contained). */
import { readFileSync } from "node:fs";

const root = new URL("../vectors/", import.meta.url);

/** Parses `test/vectors/<relativePath>` as JSON. */
export function loadVectors<T = any>(relativePath: string): T {
  return JSON.parse(readFileSync(new URL(relativePath, root), "utf8")) as T;
}
