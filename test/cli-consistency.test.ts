/**
 * `pmh` speaks one language: `serve --json` prints JSON lines (the `listening` one carries
 * the port chosen for `--port 0`), usage errors read `pmh <command>: …` like every other
 * error, slow key generation says so and very large keys need `--force`, and the top
 * help names every protocol.
 */
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PMH_BIN, stopChild } from "./helpers/cli.js";
import { MINER_SEED } from "./helpers/fiber.js";
import { Keypair } from "../src/fiber/keypair.js";
import { signedRequestHeaders } from "../src/fiber/signed.js";

const dir = mkdtempSync(join(tmpdir(), "pmh-cli-style-"));

function pmh(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [PMH_BIN, ...args], { encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
    });
  });
}

describe("pmh consistency", { timeout: 120_000 }, () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("serve --json --port 0 prints a JSON listening line with the bound port, then JSON log lines", async () => {
    const child = spawn(process.execPath, [PMH_BIN, "serve", "--host", "127.0.0.1", "--port", "0", "--json", "--protocol", "encrypted", "--hotkey-seed", MINER_SEED], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no JSON line within 15 s: ${stdout}`)), 15_000);
      child.stdout.on("data", () => {
        if (!stdout.includes("\n")) return;
        clearTimeout(timer);
        resolve(JSON.parse(stdout.split("\n")[0]!) as Record<string, unknown>);
      });
      child.once("exit", (code) => reject(new Error(`exited with ${code}: ${stdout}`)));
    });
    try {
      assert.equal(first.event, "listening");
      assert.equal(typeof first.port, "number");
      assert.ok((first.port as number) > 0, "the port the system chose");
      assert.equal(first.url, `http://127.0.0.1:${first.port}`);
      const answer = await fetch(`${first.url}/public-encryption-key`);
      assert.equal(answer.status, 200);
    } finally {
      assert.equal(await stopChild(child), 0);
    }
    const lines = stdout.trim().split("\n").map((l) => JSON.parse(l) as { event: string });
    assert.deepEqual(lines.map((l) => l.event), ["listening", "log", "log"], "SIGTERM, closing / closed as JSON too");
  });

  it("usage errors are one line in the style of every other error", async () => {
    const unknown = await pmh(["serve", "--bogus"]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr.trim(), "pmh serve: unknown option '--bogus'");
    const command = await pmh(["nope"]);
    assert.equal(command.code, 2);
    assert.match(command.stderr.trim(), /^pmh: unknown command 'nope'$/);
  });

  it("keygen says when a key takes a while, and above 8192 bits needs --force", async () => {
    const big = await pmh(["keygen", "--bits", "8200", "--out", join(dir, "big.pem")]);
    assert.equal(big.code, 2);
    assert.equal(big.stderr.trim(), "pmh keygen: --bits above 8192 takes minutes to generate; pass --force if you mean it");
    const slow = await pmh(["keygen", "--bits", "4096", "--out", join(dir, "slow.pem")]);
    assert.equal(slow.code, 0, slow.stderr);
    assert.equal(slow.stderr, "generating an RSA-4096 key: this can take a few seconds…\n");
    const fast = await pmh(["keygen", "--bits", "2048", "--out", join(dir, "fast.pem")]);
    assert.equal(fast.stderr, "", "no progress line for the usual size");
  });

  it("the top help names every protocol, HiveMind included", async () => {
    const help = await pmh(["--help"]);
    assert.equal(help.code, 0);
    for (const name of ["poorman_handshake", "HiveMind", "Fiber"]) assert.match(help.stdout.replace(/\s+/g, " "), new RegExp(name));
  });

  it("serve's default --verify-threads: one thread per miner process where there are two cores for each, else none", async () => {
    const { defaultVerifyThreads } = await import("../src/cli/miner.js");
    const cores = availableParallelism();
    assert.equal(defaultVerifyThreads(undefined), cores >= 2 ? 1 : 0);
    assert.equal(defaultVerifyThreads(1), cores >= 2 ? 1 : 0);
    assert.equal(defaultVerifyThreads(cores), 0, "one process per core: no thread");
    assert.equal(defaultVerifyThreads(Math.floor(cores / 2)), cores >= 2 ? 1 : 0, "two cores per process: a thread each");
    assert.equal(defaultVerifyThreads(Math.floor(cores / 2) + 1), 0);
  });

  it("serve --verify-threads 1 checks signatures on a worker thread: a signed request is answered, a bad signature refused; -1 is a usage error", async () => {
    const bad = await pmh(["serve", "--verify-threads", "-1", "--hotkey-seed", MINER_SEED]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^pmh serve: option '--verify-threads <n>' argument '-1' is invalid/);
    const child = spawn(process.execPath, [PMH_BIN, "serve", "--host", "127.0.0.1", "--port", "0", "--json", "--verify-threads", "1", "--hotkey-seed", MINER_SEED], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      const first = await new Promise<{ url: string; minerHotkey: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no JSON line within 15 s: ${stdout}`)), 15_000);
        child.stdout.on("data", () => stdout.includes("\n") && (clearTimeout(timer), resolve(JSON.parse(stdout.split("\n")[0]!) as { url: string; minerHotkey: string })));
        child.once("exit", (code) => reject(new Error(`exited with ${code}: ${stdout}`)));
      });
      const validator = await Keypair.generate();
      const body = JSON.stringify({ hello: "pool" });
      const headers = await signedRequestHeaders(validator, first.minerHotkey, body);
      const ok = await fetch(`${first.url}/echo-signed`, { method: "POST", headers, body });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { hello: "pool" });
      const forged = await signedRequestHeaders(validator, first.minerHotkey, JSON.stringify({ hello: "other" }));
      assert.equal((await fetch(`${first.url}/echo-signed`, { method: "POST", headers: forged, body })).status, 401);
    } finally {
      assert.equal(await stopChild(child), 0);
    }
  });
});
