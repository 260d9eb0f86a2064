/**
 * End to end in a real browser: serves the demo page (scripts/demo-browser.ts) on
 * 127.0.0.1 and drives it in Debian's headless Chromium with playwright-core (never a
 * downloaded browser): clicks through each flow, checks the fingerprints match, runs the
 * portable vector suites inside the page, and saves a screenshot under test-results/.
 * Without Chromium every test is skipped with the reason printed.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { startDemoServer, type DemoServer } from "../scripts/demo-browser.js";
import { startListening, stopChild } from "./helpers/cli.js";
import { runPortable } from "./portable/cli.js";

const CHROMIUM = process.env.PMH_CHROMIUM ?? "/usr/bin/chromium";
const missing = existsSync(CHROMIUM)
  ? undefined
  : `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium, as .ci/run does) or set PMH_CHROMIUM; a downloaded browser is never used`;
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const screenshots = fileURLToPath(new URL("../test-results/browser/", import.meta.url));
const pmh = fileURLToPath(new URL("../dist/cli/pmh.js", import.meta.url));
/** Why the Fiber flow cannot run against this build's `pmh serve`, if it cannot. */
function fiberUnavailable(): string | undefined {
  if (!existsSync(pmh)) return "dist/cli/pmh.js is missing: run npm run build";
  const help = spawnSync(process.execPath, [pmh, "serve", "--help"], { encoding: "utf8", timeout: 15_000 });
  return /--cors\b/.test(help.stdout ?? "") ? undefined : "this build's pmh serve has no --cors option, so a page on another origin cannot call it";
}

/** Starts `pmh serve --cors <origin>` on 127.0.0.1 and waits for its "listening" line. */
function startMiner(origin: string): Promise<{ child: ChildProcess; url: string; hotkey: string }> {
  const seed = `0x${randomBytes(32).toString("hex")}`;
  const child = spawn(process.execPath, [pmh, "serve", "--host", "127.0.0.1", "--port", "0", "--protocol", "encrypted", "--cors", origin], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PMH_HOTKEY_SEED: seed },
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pmh serve printed no "listening" line within 20 s: ${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /miner (\w+) listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, hotkey: match[1]!, url: match[2]! });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`pmh serve exited with ${code}: ${output}`)));
  });
}

/** A flow's result line once it has finished (`ok` or `fail`). */
const settled = (id: string) => `#${id}[data-state="ok"], #${id}[data-state="fail"]`;

describe("demo page in headless Chromium", { timeout: 120_000 }, () => {
  let server: DemoServer | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let profile = "";
  const pageErrors: string[] = [];

  before(async () => {
    if (missing) return;
    server = await startDemoServer(0);
    profile = mkdtempSync(join(tmpdir(), "pmh-chromium-"));
    // A persistent context is how Playwright takes a fresh --user-data-dir.
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 60_000 });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("console", (m) => void (m.type() === "error" && pageErrors.push(m.text())));
    page.setDefaultTimeout(30_000);
    await page.goto(server.url);
    await page.waitForSelector("body[data-ready=true]");
  });
  after(async () => {
    await context?.close();
    await server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** Skips with the reason when Chromium is missing; true when the test should run. */
  function runs(t: TestContext): boolean {
    if (missing) t.skip(missing);
    return missing === undefined;
  }

  it("password handshake: Alice and Bob show the same fingerprint", async (t) => {
    if (!runs(t)) return;
    await page.click("#password-run");
    await page.waitForSelector(settled("password-result"));
    assert.equal(await page.getAttribute("#password-result", "data-state"), "ok", (await page.textContent("#password-result")) ?? "");
    const alice = await page.textContent("#password-fp-alice"), bob = await page.textContent("#password-fp-bob");
    assert.match(alice ?? "", /^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/);
    assert.equal(alice, bob);
    assert.match((await page.textContent("#password-result")) ?? "", new RegExp(`match: ${alice}`));
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, "password.png"), fullPage: true });
  });

  it("password handshake: different passwords give no shared secret", async (t) => {
    if (!runs(t)) return;
    await page.fill("#password-bob", "Another Quite Different Pass Phrase");
    await page.click("#password-run");
    await page.waitForSelector(settled("password-result"));
    assert.equal(await page.getAttribute("#password-result", "data-state"), "fail");
    assert.match((await page.textContent("#password-result")) ?? "", /passwords differ/);
    assert.equal(await page.$("#password-fp-alice"), null);
    // a guessable password is refused in the page too (zxcvbn, loaded on first use)
    await page.fill("#password-bob", "not the same");
    await page.click("#password-run");
    await page.waitForSelector(settled("password-result"));
    assert.equal(await page.getAttribute("#password-result", "data-state"), "fail");
    assert.match((await page.textContent("#password-result")) ?? "", /too guessable \(~32 bits/);
    await page.fill("#password-bob", await page.inputValue("#password-alice"));
    await page.click("#password-run");
    await page.waitForSelector(settled("password-result"));
    assert.equal(await page.getAttribute("#password-result", "data-state"), "ok", "agrees again with the same passwords");
  });

  it("mutual RSA handshake: Alice and Bob show the same fingerprint", async (t) => {
    if (!runs(t)) return;
    await page.click("#rsa-run");
    await page.waitForSelector(settled("rsa-result"), { timeout: 60_000 });
    assert.equal(await page.getAttribute("#rsa-result", "data-state"), "ok", (await page.textContent("#rsa-result")) ?? "");
    const alice = await page.textContent("#rsa-fp-alice"), bob = await page.textContent("#rsa-fp-bob");
    assert.match(alice ?? "", /^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/);
    assert.equal(alice, bob);
  });

  it("Fiber: the page's validator handshakes with pmh serve --cors and /echo answers our message", async (t) => {
    if (!runs(t)) return;
    const why = fiberUnavailable();
    if (why) {
      t.skip(why);
      return;
    }
    const origin = new URL(server!.url).origin;
    const miner = await startMiner(origin);
    try {
      await page.fill("#fiber-url", miner.url);
      await page.fill("#fiber-miner", miner.hotkey);
      await page.fill("#fiber-message", "hello miner 🐝");
      await page.click("#fiber-run");
      await page.waitForSelector(settled("fiber-result"), { timeout: 60_000 });
      assert.equal(await page.getAttribute("#fiber-result", "data-state"), "ok", (await page.textContent("#fiber-result")) ?? "");
      // The miner removed Fiber's payload nonce before the route: the echo is what the page sent.
      assert.deepEqual(JSON.parse((await page.textContent("#fiber-answer")) ?? ""), { message: "hello miner 🐝" });
      assert.match((await page.textContent("#fiber-uuid")) ?? "", /^[0-9a-f]{64}$/);
    } finally {
      await stopChild(miner.child); // resolves at once if it already exited
    }
  });

  it("HiveMind: the page's node connects to pmh hub with the browser's WebSocket and gets its utterance spoken back", async (t) => {
    if (!runs(t)) return;
    if (!existsSync(pmh)) {
      t.skip("dist/cli/pmh.js is missing: run npm run build");
      return;
    }
    const folder = mkdtempSync(join(tmpdir(), "pmh-browser-hub-"));
    writeFileSync(join(folder, "clients.json"), JSON.stringify([{ accessKey: "browser", password: "page password", name: "page" }]));
    const hub = await startListening(["hub", "--port", "0", "--clients", join(folder, "clients.json")], /listening on (ws:\/\/127\.0\.0\.1:\d+)/);
    try {
      const hubKey = /hub ([0-9a-f]{64}) listening/.exec(hub.output())![1];
      await page.fill("#hivemind-url", hub.url);
      await page.fill("#hivemind-password", "page password");
      await page.fill("#hivemind-utterance", "hello hive 🐝");
      await page.click("#hivemind-run");
      await page.waitForSelector(settled("hivemind-result"), { timeout: 60_000 });
      assert.equal(await page.getAttribute("#hivemind-result", "data-state"), "ok", (await page.textContent("#hivemind-result")) ?? "");
      assert.equal(await page.textContent("#hivemind-answer"), "hello hive 🐝");
      assert.equal(await page.textContent("#hivemind-hub-key"), hubKey);
      assert.match(hub.output(), /page connected as poorman-handshake-browser::/);
    } finally {
      await stopChild(hub.child);
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("the portable vector suites pass inside the page, case for case as under Node", async (t) => {
    if (!runs(t)) return;
    const node = await runPortable();
    const nodeCount = node.suites.reduce((n, s) => n + s.cases.length, 0);
    await page.click("#vectors-run");
    await page.waitForSelector(settled("vectors-result"), { timeout: 60_000 });
    const text = (await page.textContent("#vectors-result")) ?? "";
    const failuresShown = await page.$$eval("#vectors-failures li", (lis) => lis.map((li) => li.textContent));
    assert.deepEqual(failuresShown, []);
    assert.equal(await page.getAttribute("#vectors-result", "data-state"), "ok", text);
    assert.equal(await page.getAttribute("#vectors-result", "data-failed"), "0");
    assert.equal(Number(await page.getAttribute("#vectors-result", "data-passed")), nodeCount);
    const rows = await page.$$eval("#vectors-table tbody tr", (trs) => trs.map((tr) => tr.firstElementChild?.textContent));
    assert.deepEqual(rows, node.suites.map((s) => s.name));
    await page.screenshot({ path: join(screenshots, "demo.png"), fullPage: true });
    t.diagnostic(`screenshot: test-results/browser/demo.png; ${text}`);
  });

  it("no script errors in the page", (t) => {
    if (!runs(t)) return;
    assert.deepEqual(pageErrors, []);
  });
});
