/**
 * The package as users get it: copy the working tree as a fresh clone would have it
 * (tracked and new files, nothing ignored: no dist/), `npm pack` there (prepack builds),
 * check the tarball's file list, lint it, install it into an empty project without the
 * optional peers (a library user) and into one with them (a CLI user), and use it there.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));
const subpaths = Object.keys(pkg.exports).filter((s) => s !== "./package.json");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const npx = process.platform === "win32" ? "npx.cmd" : "npx";
/** The optional peer dependencies a library-only install must not get. */
const OPTIONAL_PEERS = Object.keys(pkg.peerDependencies);
/** What the tarball may hold besides dist/: package.json and the documents of `files`. */
const TOP_LEVEL_FILES = ["CHANGELOG.md", "LICENSE", "README.md", "SECURITY.md", "package.json"];
const quiet = { encoding: "utf8" as const, stdio: "pipe" as const };

/** Copies what `git clone` of the working tree would give: tracked and untracked files, nothing ignored. */
function freshClone(into: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repo, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(repo, file))) continue; // deleted in the working tree, not yet committed
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(join(repo, file), join(into, file));
  }
}

/** A fresh project with `packages` installed. */
function makeProject(root: string, name: string, packages: string[]): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  execFileSync(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...packages], { cwd: dir, ...quiet });
  return dir;
}

describe("packed package", { timeout: 300_000 }, () => {
  let root = "";
  let clone = "";
  let project = "";
  let cliProject = "";
  let tarFiles: string[] = [];
  before(() => {
    root = mkdtempSync(join(tmpdir(), "pmh-pack-"));
    clone = join(root, "clone");
    freshClone(clone);
    assert.equal(existsSync(join(clone, "dist")), false, "a fresh clone has no dist/");
    // The clone's dependencies are the repository's (installing them again would take minutes).
    symlinkSync(join(repo, "node_modules"), join(clone, "node_modules"), "dir");
    const out = execFileSync(npm, ["pack", "--json", "--loglevel=error", "--pack-destination", root], { cwd: clone, ...quiet });
    const [packed] = JSON.parse(out.slice(out.indexOf("["))) as [{ filename: string; files: { path: string }[] }];
    tarFiles = packed.files.map((f) => f.path).sort();
    const tarball = join(root, packed.filename);
    project = makeProject(root, "library-only", [tarball]);
    cliProject = makeProject(root, "with-cli", [tarball, ...OPTIONAL_PEERS.map((name) => `${name}@${pkg.peerDependencies[name]}`)]);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("the tarball of a fresh clone holds the build (prepack) and nothing but dist/ and the documents", () => {
    const outside = tarFiles.filter((f) => !f.startsWith("dist/") && !TOP_LEVEL_FILES.includes(f));
    assert.deepEqual(outside, [], "files outside dist/ and the documents");
    assert.deepEqual(TOP_LEVEL_FILES.filter((f) => !tarFiles.includes(f)), [], "documents missing");
    assert.deepEqual(tarFiles.filter((f) => !/\.(js|d\.ts)$/.test(f) && f.startsWith("dist/")), [], "only .js and .d.ts in dist/");
    const targets = Object.values(pkg.exports as Record<string, string | Record<string, string>>).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t)));
    for (const target of [...targets, ...Object.values(pkg.bin as Record<string, string>)]) assert.ok(tarFiles.includes(target.replace(/^\.\//, "")), `${target} is in the tarball`);
  });

  it("passes lint:package (publint --strict, attw --pack --profile esm-only) in the fresh clone", () => {
    // The clone was just built by prepack: attw's own `npm pack` need not build it again.
    const out = execFileSync(npm, ["run", "lint:package", "--silent"], { cwd: clone, ...quiet, env: { ...process.env, npm_config_ignore_scripts: "true" } });
    assert.match(out, /All good!/, out);
    assert.match(out, /No problems found|🟢/u, out);
  });

  it("a library-only install has no optional peer (Redis client, CLI parser) and no @types/* of ours", () => {
    const modules = join(project, "node_modules");
    for (const peer of OPTIONAL_PEERS) assert.equal(existsSync(join(modules, peer)), false, `${peer} was installed`);
    const types = existsSync(join(modules, "@types")) ? readdirSync(join(modules, "@types")) : [];
    // @polkadot/util (a peer of the sr25519 WebAssembly) depends on @types/bn.js, which depends on
    // @types/node: that chain is upstream's, nothing else may bring types in (docs/performance.md).
    assert.deepEqual(types.filter((t) => t !== "bn.js" && t !== "node"), []);
    if (types.length > 0) {
      const why = execFileSync(npm, ["explain", "@types/node"], { cwd: project, encoding: "utf8" });
      assert.match(why, /@types\/bn\.js[\s\S]*@polkadot\/util/, why);
    }
  });

  it("without the optional peers, the Redis stores and pmh say which package to install", () => {
    const script = `
      import { RedisFiberStores } from "poorman-handshake/node";
      try { await RedisFiberStores.connect("redis://127.0.0.1:1"); console.log("connected?"); }
      catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, packageName: e.packageName, message: e.message })); }`;
    writeFileSync(join(project, "redis.mjs"), script);
    const error = JSON.parse(execFileSync(process.execPath, ["redis.mjs"], { cwd: project, encoding: "utf8" }));
    assert.equal(error.code, "ERR_MISSING_DEPENDENCY");
    assert.equal(error.packageName, "@redis/client");
    assert.match(error.message, /npm install @redis\/client/);
    // The chain client is loaded before any connection is tried (nothing listens on port 1).
    writeFileSync(join(project, "chain.mjs"), `
      import { connectChain } from "poorman-handshake/fiber/chain";
      try { await connectChain("ws://127.0.0.1:1"); console.log("connected?"); }
      catch (e) { console.log(JSON.stringify({ code: e.code, packageName: e.packageName, message: e.message })); }`);
    const chainError = JSON.parse(execFileSync(process.execPath, ["chain.mjs"], { cwd: project, encoding: "utf8" }));
    assert.equal(chainError.code, "ERR_MISSING_DEPENDENCY");
    assert.equal(chainError.packageName, "polkadot-api");
    const help = (() => {
      try {
        execFileSync(npx, ["--no-install", "pmh", "--help"], { cwd: project, ...quiet });
        return { status: 0, stderr: "" };
      } catch (e) {
        return e as { status: number; stderr: string };
      }
    })();
    assert.equal(help.status, 1);
    assert.match(help.stderr, /^pmh: pmh \(the poorman-handshake command line\) needs the optional package commander, which is not installed: run `npm install commander`/);
  });

  it("with the optional peers installed, pmh runs and the Redis stores load their client", () => {
    const out = execFileSync(npx, ["--no-install", "pmh", "--help"], { cwd: cliProject, encoding: "utf8" });
    assert.match(out, /Usage: pmh/);
    assert.match(out, /HiveMind/);
    const script = `
      import { RedisFiberStores } from "poorman-handshake/node";
      try { await RedisFiberStores.connect("redis://127.0.0.1:1", { connectTimeoutMs: 300 }); console.log("connected?"); }
      catch (e) { console.log(JSON.stringify({ code: e.code })); process.exit(0); }`;
    writeFileSync(join(cliProject, "redis.mjs"), script);
    // Nothing listens on port 1: the client loaded, tried, and reported the store unreachable.
    assert.deepEqual(JSON.parse(execFileSync(process.execPath, ["redis.mjs"], { cwd: cliProject, encoding: "utf8" })), { code: "ERR_STORE_UNAVAILABLE" });
  });

  it("every subpath imports and require.resolve finds it", () => {
    const script = `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      const out = {};
      for (const sub of ${JSON.stringify(subpaths)}) {
        const spec = "poorman-handshake" + sub.slice(1);
        const mod = await import(spec);
        out[sub] = { exports: Object.keys(mod).length, resolved: require.resolve(spec).includes("node_modules/poorman-handshake/dist/") };
      }
      console.log(JSON.stringify(out));`;
    writeFileSync(join(project, "imports.mjs"), script);
    const result = JSON.parse(execFileSync(process.execPath, ["imports.mjs"], { cwd: project, encoding: "utf8" }));
    for (const sub of subpaths) {
      assert.ok(result[sub].exports > 0, `${sub} exports nothing`);
      assert.equal(result[sub].resolved, true, `${sub} does not resolve into dist/`);
    }
  });

  it("runs a password handshake from the installed package", () => {
    const script = `
      import { PasswordHandShake, fingerprint } from "poorman-handshake";
      import { matchHsub } from "poorman-handshake/password";
      const a = new PasswordHandShake("pw", { minBits: 0 }), b = new PasswordHandShake("pw", { minBits: 0 });
      const sa = await a.generateHandshake(), sb = await b.generateHandshake();
      const ok = (await a.receiveAndVerify(sb)) && (await b.receiveAndVerify(sa)) && matchHsub(sa, "pw");
      console.log(JSON.stringify({ ok, same: fingerprint(a.secret) === fingerprint(b.secret) }));`;
    writeFileSync(join(project, "handshake.mjs"), script);
    const result = JSON.parse(execFileSync(process.execPath, ["handshake.mjs"], { cwd: project, encoding: "utf8" }));
    assert.deepEqual(result, { ok: true, same: true });
  });
  it("runs an RSA handshake with a key file from the installed package's main entry on Node", () => {
    const script = `
      import { HandShake, HalfHandShake } from "poorman-handshake";
      import { loadRSAKey } from "poorman-handshake/node";
      import { hybridDecryptRSA, hybridEncryptRSA } from "poorman-handshake/rsa";
      const a = await HandShake.create({ path: "keys/a.pem" }), b = await HalfHandShake.create(); // 2048 bits: peers under 2048 are refused by default
      const shake = await a.generateHandshake(b.pubkey);
      await b.receiveAndVerify(shake, a.pubkey);
      const again = await HandShake.create({ path: "keys/a.pem" });
      const blob = await hybridEncryptRSA(a.pubkey, "hi");
      const pem = await loadRSAKey("keys/a.pem");
      console.log(JSON.stringify({ same: again.pubkey === a.pubkey, secret: b.secret.length, hybrid: new TextDecoder().decode(await hybridDecryptRSA(pem, blob)) }));`;
    writeFileSync(join(project, "rsa.mjs"), script);
    const result = JSON.parse(execFileSync(process.execPath, ["rsa.mjs"], { cwd: project, encoding: "utf8" }));
    assert.deepEqual(result, { same: true, secret: 32, hybrid: "hi" });
  });

  it("a browser bundle of the main entry, ./rsa and ./fiber has no node: import; a Node bundle of the main entry has key files", async () => {
    const { build } = await import("esbuild");
    const bundle = async (entry: string, platform: "browser" | "node") => {
      const out = await build({ stdin: { contents: entry, resolveDir: project }, bundle: true, write: false, format: "esm", platform, logLevel: "silent" });
      return out.outputFiles[0]!.text;
    };
    for (const entry of [`export * from "poorman-handshake";`, `export * from "poorman-handshake/rsa";`, `export * from "poorman-handshake/fiber";`]) {
      const text = await bundle(entry, "browser");
      assert.doesNotMatch(text, /from "node:|require\("node:|import\("node:/, entry);
      assert.match(text, /HandShake|encryptRSA|FiberServer/);
    }
    assert.match(await bundle(`export * from "poorman-handshake";`, "node"), /node:fs/);
  });

  it("derives a Fiber hotkey (WebAssembly sr25519) from the installed package", () => {
    const script = `
      import { Keypair } from "poorman-handshake/fiber";
      const kp = await Keypair.fromMnemonic("old leopard transfer rib spatial phone calm indicate online fire caution review");
      const sig = await kp.sign("m");
      console.log(JSON.stringify({ address: kp.ss58Address, ok: await Keypair.verify("m", sig, kp.ss58Address) }));`;
    writeFileSync(join(project, "fiber.mjs"), script);
    const result = JSON.parse(execFileSync(process.execPath, ["fiber.mjs"], { cwd: project, encoding: "utf8" }));
    assert.deepEqual(result, { address: "5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX", ok: true });
  });
});
