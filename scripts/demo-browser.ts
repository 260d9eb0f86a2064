/**
 * `npm run demo:browser [-- --port N]`: serves the browser demo page on 127.0.0.1.
 *
 * The page script (examples/browser/app.ts) is bundled once at start with esbuild for
 * browsers (`browser` condition, the built `dist/` through the package's own name), with
 * a generated `portable:suites` module that imports every isomorphic subpath and every
 * portable vector suite, so a new protocol's suite shows up in the page by itself.
 * `/vectors/*` serves the copied vector files the suites load.
 *
 * `test/browser.test.ts` starts the same server with {@link startDemoServer}.
 *
 * @module
 */
import { build, type Plugin } from "esbuild";
import { readFileSync, readdirSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { isomorphicSubpaths, repoRoot } from "./bundle-check.js";

const pageDir = join(repoRoot, "examples/browser");
const suitesDir = join(repoRoot, "test/portable/suites");
const vectorsDir = join(repoRoot, "test/vectors");

/** The `portable:suites` module: the package API by subpath, and every suite file. */
function portableSuitesSource(): string {
  const { name, subpaths } = isomorphicSubpaths();
  const files = readdirSync(suitesDir).filter((f) => f.endsWith(".ts")).sort();
  return [
    ...subpaths.map((s, i) => `import * as api${i} from ${JSON.stringify(name + s.slice(1))};`),
    ...files.map((f, i) => `import suite${i} from ${JSON.stringify(join(suitesDir, f))};`),
    `export const api = { ${subpaths.map((s, i) => `${JSON.stringify(s)}: api${i}`).join(", ")} };`,
    `export const suites = [${files.map((_, i) => `suite${i}`).join(", ")}];`,
  ].join("\n");
}

const portableSuites: Plugin = {
  name: "portable-suites",
  setup(b) {
    b.onResolve({ filter: /^portable:suites$/ }, () => ({ path: "portable:suites", namespace: "portable" }));
    b.onLoad({ filter: /.*/, namespace: "portable" }, () => ({ contents: portableSuitesSource(), resolveDir: repoRoot, loader: "js" }));
  },
};

/** Bundles the page script for browsers. */
export async function bundlePage(): Promise<string> {
  const out = await build({
    entryPoints: [join(pageDir, "app.ts")],
    bundle: true,
    write: false,
    platform: "browser",
    conditions: ["browser"],
    format: "esm",
    target: "es2022",
    logLevel: "silent",
    plugins: [portableSuites],
  });
  return out.outputFiles[0]!.text;
}

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".json": "application/json" };

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    "content-type": type,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    // The page may only talk to local servers (its own origin, a local `pmh serve`, a local `pmh hub`);
    // sr25519 (Fiber's hotkeys) is WebAssembly compiled from bytes in the bundle.
    "content-security-policy": "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' http://127.0.0.1:* http://localhost:* ws://127.0.0.1:* ws://localhost:*",
  });
  res.end(body);
}

/** A running demo server. */
export interface DemoServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the demo server on 127.0.0.1.
 * @param port - TCP port; 0 picks a free one
 */
export async function startDemoServer(port = 0): Promise<DemoServer> {
  const files: Record<string, { type: string; body: string | Buffer }> = {
    "/": { type: TYPES[".html"]!, body: readFileSync(join(pageDir, "index.html")) },
    "/style.css": { type: TYPES[".css"]!, body: readFileSync(join(pageDir, "style.css")) },
    "/app.js": { type: TYPES[".js"]!, body: await bundlePage() },
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "GET only\n");
    if (path === "/favicon.ico") return void res.writeHead(204).end();
    const file = files[path === "/index.html" ? "/" : path];
    if (file) return send(res, 200, file.type, file.body);
    if (path.startsWith("/vectors/") && /\.(json|txt)$/.test(path)) {
      const local = normalize(join(vectorsDir, decodeURIComponent(path.slice("/vectors/".length))));
      if (!local.startsWith(vectorsDir + sep)) return send(res, 404, "text/plain", "not found\n");
      try {
        return send(res, 200, TYPES[".json"]!, readFileSync(local));
      } catch {
        return send(res, 404, "text/plain", "not found\n");
      }
    }
    send(res, 404, "text/plain", "not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf("--port");
  const port = i > 0 ? Number(process.argv[i + 1]) : 4173;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer from 0 to 65535, got ${process.argv[i + 1]}`);
  const server = await startDemoServer(port);
  console.log(`poorman-handshake browser demo: ${server.url}  (Ctrl+C to stop)`);
  console.log(`for the Fiber part, start a miner that allows this origin: pmh serve --hotkey-seed 0x<64 hex> --cors ${server.url.slice(0, -1)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
