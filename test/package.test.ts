/**
 * The package as users get it: pack it, install the tarball into a fresh project, and
 * import every subpath of the exports map there, with `import` and `require.resolve`.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));
const subpaths = Object.keys(pkg.exports).filter((s) => s !== "./package.json");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const npx = process.platform === "win32" ? "npx.cmd" : "npx";

describe("packed package", { timeout: 180_000 }, () => {
  let project = "";
  before(() => {
    project = mkdtempSync(join(tmpdir(), "pmh-pack-"));
    const out = execFileSync(npm, ["pack", "--ignore-scripts", "--json", "--pack-destination", project], { cwd: repo, encoding: "utf8" });
    const tarball = join(project, JSON.parse(out)[0].filename);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    execFileSync(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], { cwd: project, stdio: "pipe" });
  });
  after(() => rmSync(project, { recursive: true, force: true }));

  it("passes publint --strict", () => {
    const out = execFileSync(process.execPath, [join(repo, "node_modules/publint/src/cli.js"), "--strict", repo], { encoding: "utf8" });
    assert.doesNotMatch(out, /error|warning|suggestion/i, out);
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
      const a = await HandShake.create({ path: "keys/a.pem", keySize: 1024 }), b = await HalfHandShake.create({ keySize: 1024 });
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

  it("npx pmh --help runs from the installed package", () => {
    const out = execFileSync(npx, ["--no-install", "pmh", "--help"], { cwd: project, encoding: "utf8" });
    assert.match(out, /Usage: pmh/);
    assert.match(out, /serve/);
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
