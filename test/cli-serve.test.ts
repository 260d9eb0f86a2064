/** `pmh serve` as users run it: the built binary in a child process, a real client, signals. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { HttpStatusError } from "../src/common/errors.js";
import { FiberClient } from "../src/fiber/client.js";
import { Keypair } from "../src/fiber/keypair.js";
import { createRSAKey } from "../src/rsa/node/keyfile.js";
import { PMH_BIN, startServe, startServeThenCloseOutput, stopChild } from "./helpers/cli.js";
import { identities, MINER_SEED, VALIDATOR_MNEMONIC, type Identities } from "./helpers/fiber.js";

const bin = PMH_BIN;
let ids: Identities;
let dir = "";

const start = startServe;
const stop = stopChild;

before(async () => {
  ids = await identities();
  dir = mkdtempSync(join(tmpdir(), "pmh-cli-"));
  mkdirSync(join(dir, "wallets", "miner", "hotkeys"), { recursive: true });
  writeFileSync(join(dir, "wallets", "miner", "hotkeys", "default"), JSON.stringify({ secretSeed: MINER_SEED, ss58Address: ids.miner.ss58Address }));
  writeFileSync(join(dir, "nodes.json"), JSON.stringify({ [ids.validator.ss58Address]: 2000, [ids.other.ss58Address]: 1500 }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("pmh serve", { timeout: 60_000 }, () => {
  it("serves /echo from a wallet hotkey with a metagraph gate, and stops on SIGTERM", async () => {
    const { child, url } = await start(["--protocol", "encrypted", "--wallet", "miner", "--hotkey", "default", "--wallets-path", join(dir, "wallets"), "--metagraph", join(dir, "nodes.json"), "--min-stake", "1600"]);
    try {
      const client = new FiberClient({ keypair: ids.validator, requireSignedKey: true });
      const answer = (await client.post(url, ids.miner.ss58Address, "/echo", { hello: "miner", n: [1, 2] })) as Record<string, unknown>;
      assert.equal(answer.hello, "miner");
      assert.deepEqual(answer.n, [1, 2]);
      const low = new FiberClient({ keypair: ids.other });
      await assert.rejects(low.post(url, ids.miner.ss58Address, "/echo", {}), (e: unknown) => e instanceof HttpStatusError && e.status === 403 && e.detail === "Insufficient stake of 1500.0 ");
      await assert.rejects(client.post(url, ids.miner.ss58Address, "/echo", [1]), (e: unknown) => e instanceof HttpStatusError && e.status === 422);
    } finally {
      assert.equal(await stop(child, "SIGTERM"), 0);
    }
  });
  it("serves from a mnemonic with an allowlist, and stops on SIGINT", async () => {
    const { child, url, output } = await start(["--protocol", "encrypted", "--mnemonic", VALIDATOR_MNEMONIC, "--allow", ids.other.ss58Address]);
    try {
      assert.match(output(), new RegExp(ids.validator.ss58Address));
      const allowed = new FiberClient({ keypair: ids.other });
      assert.equal(((await allowed.post(url, ids.validator.ss58Address, "/echo", { ok: true })) as { ok: boolean }).ok, true);
      const stranger = new FiberClient({ keypair: await Keypair.generate() });
      await assert.rejects(stranger.post(url, ids.validator.ss58Address, "/echo", {}), (e: unknown) => e instanceof HttpStatusError && e.status === 403);
    } finally {
      assert.equal(await stop(child, "SIGINT"), 0);
    }
  });
  it("--rsa-key keeps the miner's RSA key across restarts", async () => {
    const keyFile = join(dir, "miner-rsa.pem");
    const publicKeys: string[] = [];
    for (let run = 0; run < 2; run++) {
      const { child, url } = await start(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--rsa-key", keyFile]);
      try {
        publicKeys.push((await (await fetch(`${url}/public-encryption-key`)).json()).public_key);
      } finally {
        assert.equal(await stop(child, "SIGTERM"), 0);
      }
    }
    assert.match(publicKeys[0]!, /BEGIN PUBLIC KEY/);
    assert.equal(publicKeys[1], publicKeys[0]);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  });
  it("keeps serving after its output is closed (pmh serve | head -1) and stops cleanly, though every log line meets EPIPE", async () => {
    const { child, url } = await startServeThenCloseOutput(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED]);
    try {
      const client = new FiberClient({ keypair: ids.validator });
      for (let i = 0; i < 3; i++) assert.equal(((await client.post(url, ids.miner.ss58Address, "/echo", { i })) as { i: number }).i, i);
    } finally {
      // "SIGTERM, closing" and "closed" go to the closed pipe: before the fix, an uncaught EPIPE (exit 1).
      assert.equal(await stop(child, "SIGTERM"), 0);
    }
  });
  it("--rsa-key with a key it cannot use exits 2 with the reason and leaves the file untouched", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const encrypted = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }) as string;
    for (const [name, pem, reason] of [["ec.pem", ec, /not an RSA \(rsaEncryption\) key/], ["encrypted.pem", encrypted, /encrypted PEM keys are not supported/]] as const) {
      const keyFile = join(dir, name);
      writeFileSync(keyFile, pem, { mode: 0o600 });
      const r = spawnSync(process.execPath, [bin, "serve", "--host", "127.0.0.1", "--port", "0", "--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--rsa-key", keyFile], { encoding: "utf8", timeout: 15_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^pmh serve: ${keyFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} holds a key we cannot use: `));
      assert.match(r.stderr, reason);
      assert.equal(readFileSync(keyFile, "utf8"), pem, "untouched");
      assert.equal(existsSync(`${keyFile}.bak`), false);
    }
  });
  it("--rsa-key holding a certificate and the key (either order, the certificate broken or not) serves that key; the file is untouched", async () => {
    const { publicKey, privateKey } = await createRSAKey();
    const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
    const cert = pem("CERTIFICATE", publicKey.split("\n").filter((l) => !l.startsWith("-----")).join("\n"));
    const contents = [`${cert}${privateKey}\n`, `${privateKey}\n${cert}`, `${pem("CERTIFICATE", "cut here!")}${privateKey}\n`];
    for (const [i, content] of contents.entries()) {
      const keyFile = join(dir, `cert-and-key-${i}.pem`);
      writeFileSync(keyFile, content, { mode: 0o600 });
      const { child, url, output } = await start(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--rsa-key", keyFile]);
      try {
        assert.equal((await (await fetch(`${url}/public-encryption-key`)).json()).public_key.trim(), publicKey.trim(), `file ${i}: the key it holds`);
        assert.doesNotMatch(output(), /warning/);
      } finally {
        assert.equal(await stop(child, "SIGTERM"), 0);
      }
      assert.equal(readFileSync(keyFile, "utf8"), content, "untouched");
      assert.equal(existsSync(`${keyFile}.bak`), false);
    }
  });
  it("--rsa-key holding a certificate and an encrypted key, or two keys, exits 2 with the reason and leaves the file untouched", async () => {
    const cert = `-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n`;
    const encrypted = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }) as string;
    const [a, b] = [(await createRSAKey()).privateKey, (await createRSAKey()).privateKey];
    for (const [name, content, reason] of [["cert-encrypted.pem", `${cert}${encrypted}`, /encrypted PEM keys are not supported/], ["cert-two-keys.pem", `${cert}${a}\n${b}\n`, /holds 2 private keys/]] as const) {
      const keyFile = join(dir, name);
      writeFileSync(keyFile, content, { mode: 0o600 });
      const r = spawnSync(process.execPath, [bin, "serve", "--host", "127.0.0.1", "--port", "0", "--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--rsa-key", keyFile], { encoding: "utf8", timeout: 15_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, reason);
      assert.equal(readFileSync(keyFile, "utf8"), content, "untouched");
      assert.equal(existsSync(`${keyFile}.bak`), false);
    }
  });
  it("--rsa-key readable by others is used, with one warning line on stderr", async () => {
    const keyFile = join(dir, "shared-rsa.pem");
    writeFileSync(keyFile, (await createRSAKey()).privateKey);
    chmodSync(keyFile, 0o644);
    const { child, url, output } = await start(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--rsa-key", keyFile]);
    try {
      assert.match((await (await fetch(`${url}/public-encryption-key`)).json()).public_key, /BEGIN PUBLIC KEY/);
      const warnings = output().split("\n").filter((line) => line.includes("warning"));
      assert.equal(warnings.length, 1, output());
      assert.match(warnings[0]!, /^pmh serve: warning: .*shared-rsa\.pem holds a private key and is readable by others \(mode 0644\)/);
    } finally {
      assert.equal(await stop(child, "SIGTERM"), 0);
    }
  });
  it("refuses bad invocations with a message and a non-zero exit", () => {
    const cases = [
      [["--port", "0"], /exactly one of/],
      [["--port", "0", "--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--mnemonic", VALIDATOR_MNEMONIC], /exactly one of/],
      [["--port", "99999", "--protocol", "encrypted", "--hotkey-seed", MINER_SEED], /--port/],
      [["--port", "0", "--hotkey-seed", "0x12"], /seed must be/],
      [["--port", "0", "--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--allow", "nope"], /ss58/],
      [["--port", "0", "--wallet", "../x", "--hotkey", "h"], /plain file name/],
    ] as const;
    for (const [args, message] of cases) {
      const r = spawnSync(process.execPath, [bin, "serve", "--host", "127.0.0.1", ...args], { encoding: "utf8", timeout: 15_000 });
      assert.notEqual(r.status, 0, args.join(" "));
      assert.match(r.stderr, message, args.join(" "));
    }
  });
});
