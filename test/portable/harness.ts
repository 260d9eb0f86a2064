/**
 * A tiny isomorphic test harness for the vector suites in `suites/`: no Node API, no
 * test framework, so the same suites run under Node, Deno, Bun and in a browser page.
 *
 * A suite is one file that default-exports a {@link PortableSuite}: the vector files it
 * needs (as data, loaded by the runtime's entry point) and its cases, which use only the
 * public package API handed to them as `api` (the modules of the exports map's subpaths).
 * Adding a protocol is adding one file to `suites/`.
 *
 * @module
 */
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";

/** The public package: each isomorphic subpath of the exports map (".", "./password", ...) to its module. */
export type PackageApi = Record<string, Record<string, any>>;

/** What a suite's cases get. */
export interface PortableContext {
  /** The package's modules by subpath, imported the way users import them. */
  api: PackageApi;
  /** The suite's vector files, parsed, under the keys the suite gave them. */
  vectors: Record<string, any>;
  /** Assertions and byte helpers. */
  kit: Kit;
}

/** One named check. */
export type PortableCase = readonly [name: string, run: () => unknown];

/** A vector suite: one protocol, one file. */
export interface PortableSuite {
  /** Shown in reports. */
  name: string;
  /** Subpaths of the exports map the suite needs. */
  requires: readonly string[];
  /** Vector files (paths relative to `test/vectors/`) by a local key. */
  vectors: Readonly<Record<string, string>>;
  /** Builds the cases from the vectors. */
  cases(ctx: PortableContext): PortableCase[];
}

/** The outcome of one case. */
export interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
}

/** The outcome of one suite. */
export interface SuiteResult {
  name: string;
  cases: CaseResult[];
}

/** What a runtime reports back: where it ran and every case's outcome. */
export interface PortableReport {
  runtime: string;
  suites: SuiteResult[];
}

/** Thrown by the kit's assertions. */
export class PortableAssertionError extends Error {
  override name = "PortableAssertionError";
}

function show(value: unknown): string {
  if (value instanceof Uint8Array) return `Uint8Array(${hex(value)})`;
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** Lowercase hex of `bytes` (the package's own helper is not public API; the dependency's is). */
const hex = (bytes: Uint8Array): string => bytesToHex(bytes);
/** Bytes of a hex string. */
const bytes = (digits: string): Uint8Array => hexToBytes(digits);

function fail(message: string | undefined, detail: string): never {
  throw new PortableAssertionError(message ? `${message}: ${detail}` : detail);
}

/** Assertions and helpers for portable suites. */
export const kit = {
  hex,
  bytes,
  /** Strict equality; byte arrays compare by content. */
  equal(actual: unknown, expected: unknown, message?: string): void {
    const same = actual instanceof Uint8Array && expected instanceof Uint8Array ? hex(actual) === hex(expected) : Object.is(actual, expected);
    if (!same) fail(message, `expected ${show(expected)}, got ${show(actual)}`);
  },
  /** Truthiness. */
  ok(value: unknown, message?: string): void {
    if (!value) fail(message, `expected a truthy value, got ${show(value)}`);
  },
  /** `run` must reject (or throw) with an error for which `accept` returns true. */
  async rejects(run: () => unknown, accept: (e: unknown) => boolean, message?: string): Promise<void> {
    try {
      await run();
    } catch (e) {
      if (!accept(e)) fail(message, `rejected with an unexpected error: ${String(e)}`);
      return;
    }
    fail(message, "expected a rejection, got none");
  },
  /**
   * Runs `run` with `crypto.getRandomValues` handing out `chunks` in order (as the
   * vectors' patched Python RNG did), then restores it. Only the public
   * `globalThis.crypto` is patched, so this works in every runtime.
   */
  async withRandom<T>(chunks: readonly Uint8Array[], run: () => Promise<T> | T): Promise<T> {
    const crypto = globalThis.crypto;
    const queue = [...chunks];
    const own = Object.getOwnPropertyDescriptor(crypto, "getRandomValues");
    Object.defineProperty(crypto, "getRandomValues", {
      configurable: true,
      writable: true,
      value: <A extends ArrayBufferView | null>(buf: A): A => {
        const next = queue.shift();
        if (!(buf instanceof Uint8Array) || next === undefined || next.length !== buf.length) {
          fail("withRandom", `unexpected getRandomValues(${buf instanceof Uint8Array ? buf.length : "?"} bytes) call`);
        }
        buf.set(next);
        return buf;
      },
    });
    try {
      return await run();
    } finally {
      if (own) Object.defineProperty(crypto, "getRandomValues", own);
      else delete (crypto as { getRandomValues?: unknown }).getRandomValues;
    }
  },
};

/** The kit's type. */
export type Kit = typeof kit;

/**
 * Runs suites one case at a time and collects outcomes; never throws for a failing case.
 * @param suites - the suites to run
 * @param api - the package's modules by subpath
 * @param loadVector - fetches and parses one vector file (path relative to `test/vectors/`)
 */
export async function runSuites(suites: readonly PortableSuite[], api: PackageApi, loadVector: (path: string) => Promise<unknown>): Promise<SuiteResult[]> {
  const results: SuiteResult[] = [];
  for (const suite of suites) {
    const missing = suite.requires.filter((s) => !(s in api));
    if (missing.length > 0) {
      results.push({ name: suite.name, cases: [{ name: "requires", ok: false, error: `subpaths missing from the exports map: ${missing.join(", ")}` }] });
      continue;
    }
    const vectors: Record<string, unknown> = {};
    for (const [key, path] of Object.entries(suite.vectors)) vectors[key] = await loadVector(path);
    const cases: CaseResult[] = [];
    for (const [name, run] of suite.cases({ api, vectors, kit })) {
      try {
        await run();
        cases.push({ name, ok: true });
      } catch (e) {
        cases.push({ name, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
      }
    }
    results.push({ name: suite.name, cases });
  }
  return results;
}

/** The failing cases of a report, as readable lines. */
export function failures(report: PortableReport): string[] {
  return report.suites.flatMap((s) => s.cases.filter((c) => !c.ok).map((c) => `${report.runtime} ${s.name} › ${c.name}: ${c.error}`));
}
