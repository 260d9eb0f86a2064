/**
 * Keeps the core isomorphic and small: bundles every isomorphic subpath of the exports
 * map (all but `./node`, `./cli*` and `./package.json`) for `platform: "browser"` with
 * the `browser` condition, fails on any Node built-in or Node-only global that gets
 * pulled in, and reports the minified and gzipped size of each subpath.
 *
 * It bundles the built `dist/` through the package's own name, so the exports map and
 * its conditions are what is checked: run `npm run build` first.
 *
 * `node --import tsx scripts/bundle-check.ts` prints the report and exits non-zero on a
 * violation or a blown budget; `--write-docs` also rewrites the "Bundle size" section
 * of docs/performance.md; `--quiet` prints only violations. `npm run build` ends with it
 * (so a core that pulls in Node code fails the build), and `test/bundle.test.ts` runs it
 * as part of `npm test`.
 *
 * @module
 */
import { build, type Metafile, type Plugin } from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { isNodeOnlySubpath } from "./subpaths.js";

/** Repository root (this file lives in `scripts/`). */
export const repoRoot = fileURLToPath(new URL("..", import.meta.url));


/** The package's name and its isomorphic subpaths, read from package.json. */
export function isomorphicSubpaths(root = repoRoot): { name: string; subpaths: string[] } {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; exports: Record<string, unknown> };
  return { name: pkg.name, subpaths: Object.keys(pkg.exports).filter((s) => !isNodeOnlySubpath(s)) };
}

/**
 * The main entry plus these subpaths must fit, together in one bundle, in
 * {@link CORE_BUDGET_BYTES} gzipped. Subpaths not (yet) in the exports map are left out.
 */
export const CORE_BUDGET_SUBPATHS = [".", "./password", "./rsa"];
/** 25 KB (decimal, the stricter reading) gzipped. */
export const CORE_BUDGET_BYTES = 25_000;

/**
 * Globals that exist in Node but not in browsers; an unguarded reference would throw
 * there. Not `require` (esbuild resolves `require()` calls itself, so built-ins reached
 * that way are trapped as imports) nor `global` (dependencies use it only as the last
 * fallback after `globalThis`, which every supported runtime has).
 */
const NODE_GLOBALS = ["process", "Buffer", "__dirname", "__filename", "setImmediate"];
const GLOBAL_MARKER = "__pmh_node_global__";
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, m.replace(/\/.*/, "")]));

/** Is `specifier` a Node built-in (`node:x`, `fs`, `fs/promises`, ...)? */
export function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || BUILTINS.has(specifier) || BUILTINS.has(specifier.replace(/\/.*/, ""));
}

/**
 * Records every Node built-in import (with its importer) that does not resolve for
 * browsers. A built-in that the importing package maps away in its `browser` field
 * (`"buffer": false`, as bn.js does for an optional fast path) resolves, and is left to
 * esbuild.
 */
function nodeBuiltinTrap(found: string[], resolveDir: string): Plugin {
  return {
    name: "node-builtin-trap",
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === "entry-point" || args.pluginData === TRAP || !isNodeBuiltin(args.path)) return undefined;
        const { kind, importer, resolveDir: dir } = args;
        const resolved = await b.resolve(args.path, { kind, importer, resolveDir: dir, pluginData: TRAP });
        if (resolved.errors.length === 0) return undefined; // esbuild resolves it the same way next
        found.push(`${relative(resolveDir, importer)} imports "${args.path}"`);
        return { path: args.path, external: true };
      });
    },
  };
}
const TRAP = Symbol("node-builtin-trap");

/**
 * The marked Node globals referenced in an unminified bundle, module by module (esbuild
 * heads each with a `// path` comment). A module that feature-tests a global with
 * `typeof` may use it: that is the isomorphic idiom.
 */
function unguardedGlobals(bundle: string): string[] {
  const found = new Set<string>();
  for (const chunk of bundle.split(/^\s*\/\/ \S+\.[cm]?[jt]s$/m)) {
    const used = new Set([...chunk.matchAll(new RegExp(`${GLOBAL_MARKER}(\\w+)`, "g"))].map((m) => m[1]!));
    for (const g of used) if (!new RegExp(`typeof\\s+${GLOBAL_MARKER}${g}\\b`).test(chunk)) found.add(g);
  }
  return [...found];
}

/** What bundling one entry found. */
export interface BundleResult {
  /** Human-readable entry name (a subpath, or a label). */
  entry: string;
  /** Node built-in imports and free Node globals; empty when the entry is isomorphic. */
  violations: string[];
  /** Minified ESM bundle size in bytes. */
  minifiedBytes: number;
  /** The minified entry chunk gzipped at level 9, in bytes (what loads up front). */
  gzipBytes: number;
  /** Chunks loaded only on demand (dynamic `import()`), gzipped, in bytes; 0 when none. */
  lazyGzipBytes: number;
  /** Input files of the bundle (relative to the resolve directory). */
  inputs: string[];
}

/**
 * Bundles `contents` (an ES module) for browsers and checks it.
 * @param entry - label for reports
 * @param contents - the entry module's source, resolved from `resolveDir`
 * @param resolveDir - where bare imports resolve from (the repo root, for self-reference)
 */
export async function bundleEntry(entry: string, contents: string, resolveDir = repoRoot): Promise<BundleResult> {
  const builtins: string[] = [];
  const common = {
    stdin: { contents, resolveDir, loader: "js" as const, sourcefile: `<${entry}>` },
    bundle: true,
    write: false,
    platform: "browser" as const,
    conditions: ["browser"],
    format: "esm" as const,
    target: "es2022",
    logLevel: "silent" as const,
  };
  // Pass 1, unminified: trap built-ins, and mark free Node globals so they can be found.
  const define = Object.fromEntries(NODE_GLOBALS.map((g) => [g, `${GLOBAL_MARKER}${g}`]));
  const check = await build({ ...common, plugins: [nodeBuiltinTrap(builtins, resolveDir)], define, metafile: true });
  const text = check.outputFiles![0]!.text;
  const globals = unguardedGlobals(text).map((g) => `free reference to the Node global "${g}"`);
  const violations = [...new Set([...builtins, ...globals])];
  // Pass 2, minified and code-split: the size users pay up front is the entry chunk;
  // what is reached only through a dynamic import() (the password estimator) is a lazy chunk.
  const sized = await build({ ...common, plugins: [nodeBuiltinTrap([], resolveDir)], minify: true, splitting: true, outdir: "/bundle", metafile: true });
  const entryOut = Object.entries((sized.metafile as Metafile).outputs).find(([, o]) => o.entryPoint !== undefined)![0];
  const isEntry = (path: string) => path.endsWith(entryOut.replace(/^.*\//, ""));
  const code = sized.outputFiles!.find((f) => isEntry(f.path))!.contents;
  const lazy = sized.outputFiles!.filter((f) => !isEntry(f.path) && f.path.endsWith(".js"));
  return {
    entry,
    violations,
    minifiedBytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    lazyGzipBytes: lazy.reduce((sum, f) => sum + gzipSync(f.contents, { level: 9 }).length, 0),
    inputs: Object.keys((check.metafile as Metafile).inputs).filter((i) => !i.startsWith("<")),
  };
}

/** The whole report: one result per isomorphic subpath, and the core budget bundle. */
export interface BundleReport {
  subpaths: BundleResult[];
  /** One bundle of every {@link CORE_BUDGET_SUBPATHS} entry present in the exports map. */
  core: BundleResult & { members: string[]; budgetBytes: number };
}

/** Bundles and checks every isomorphic subpath of the package at `root`. */
export async function checkBundles(root = repoRoot): Promise<BundleReport> {
  const { name, subpaths } = isomorphicSubpaths(root);
  const specifier = (sub: string) => name + sub.slice(1);
  const subResults: BundleResult[] = [];
  for (const sub of subpaths) {
    subResults.push(await bundleEntry(sub, `export * from ${JSON.stringify(specifier(sub))};`, root));
  }
  const members = CORE_BUDGET_SUBPATHS.filter((s) => subpaths.includes(s));
  const coreSource = members.map((s, i) => `export * as m${i} from ${JSON.stringify(specifier(s))};`).join("\n");
  const core = await bundleEntry(members.join(" + "), coreSource, root);
  return { subpaths: subResults, core: { ...core, members, budgetBytes: CORE_BUDGET_BYTES } };
}

/** Everything wrong with a report: violations, and the core over budget. */
export function problems(report: BundleReport): string[] {
  const out = report.subpaths.flatMap((r) => r.violations.map((v) => `${r.entry}: ${v}`));
  if (report.core.gzipBytes > report.core.budgetBytes) {
    out.push(`${report.core.entry} is ${report.core.gzipBytes} bytes gzipped, over the ${report.core.budgetBytes}-byte budget`);
  }
  return out;
}

const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;

/** The report as the Markdown table kept in docs/performance.md. */
export function markdownTable(report: BundleReport): string {
  const lazy = (r: BundleResult) => (r.lazyGzipBytes === 0 ? "" : kb(r.lazyGzipBytes));
  const rows = report.subpaths.map((r) => `| \`${r.entry}\` | ${kb(r.minifiedBytes)} | ${kb(r.gzipBytes)} | ${lazy(r)} |`);
  const c = report.core;
  rows.push(`| **${c.members.map((m) => `\`${m}\``).join(" + ")}** (one bundle; budget ${kb(c.budgetBytes)} gzipped) | ${kb(c.minifiedBytes)} | **${kb(c.gzipBytes)}** | ${lazy(c)} |`);
  return ["| subpath | minified | gzipped (level 9) | loaded on demand (gzipped) |", "|---|---:|---:|---:|", ...rows].join("\n");
}

const DOCS_BEGIN = "<!-- bundle-size:begin (written by scripts/bundle-check.ts --write-docs) -->";
const DOCS_END = "<!-- bundle-size:end -->";

/** Replaces the generated table in docs/performance.md (or appends the section). */
export function writeDocs(report: BundleReport, root = repoRoot): void {
  const file = join(root, "docs/performance.md");
  let doc = "";
  try {
    doc = readFileSync(file, "utf8");
  } catch {
    doc = "# Performance\n";
  }
  const block = `${DOCS_BEGIN}\n${markdownTable(report)}\n${DOCS_END}`;
  const start = doc.indexOf(DOCS_BEGIN), end = doc.indexOf(DOCS_END);
  doc = start >= 0 && end > start ? doc.slice(0, start) + block + doc.slice(end + DOCS_END.length) : `${doc.trimEnd()}\n\n## Bundle size\n\n${block}\n`;
  writeFileSync(file, doc);
}

async function main(): Promise<void> {
  const report = await checkBundles();
  // --quiet (used by `npm run build`): only violations are printed.
  if (!process.argv.includes("--quiet")) console.log(markdownTable(report));
  const found = problems(report);
  for (const p of found) console.error(`bundle-check: ${p}`);
  if (process.argv.includes("--write-docs")) writeDocs(report);
  process.exitCode = found.length === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
