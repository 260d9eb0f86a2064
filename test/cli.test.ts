/** The `pmh` commands as users run them: the built binary in a child process. */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fingerprint } from "../src/common/fingerprint.js";
import { pemToDer } from "../src/rsa/pem.js";
import { keys } from "./helpers/rsa.js";
import { MemoryKeyStore } from "../src/fiber/keystore.js";
import { FiberServer } from "../src/fiber/server.js";
import { serve, type RunningServer } from "../src/fiber/node/serve.js";
import { publicKeyFingerprint } from "../src/rsa/keys.js";
import { identities, MINER_SEED, OTHER_SEED, type Identities } from "./helpers/fiber.js";
import { assertOneLineError, pmh } from "./helpers/cli.js";

let dir = "";

before(() => {
  dir = mkdtempSync(join(tmpdir(), "pmh-cli-cmds-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("pmh keygen, pubkey, fingerprint", { timeout: 120_000 }, () => {
  it("keygen writes a 0600 PKCS#1 key, refuses to overwrite without --force, and pubkey/fingerprint agree", async () => {
    const path = join(dir, "miner.pem");
    const made = await pmh(["keygen", "--out", path, "--json"]);
    assert.equal(made.code, 0, made.stderr);
    const out = JSON.parse(made.stdout) as { path: string; publicKey: string; fingerprint: string; bits: number };
    assert.equal(out.bits, 2048);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const pem = readFileSync(path, "utf8");
    assert.match(pem, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.equal(out.fingerprint, await publicKeyFingerprint(pem));

    assertOneLineError(await pmh(["keygen", "--out", path]), 2, /exists; pass --force/);
    assert.equal(readFileSync(path, "utf8"), pem, "the refused keygen left the file alone");

    const pub = await pmh(["pubkey", path]);
    assert.equal(pub.code, 0);
    assert.equal(pub.stdout.trim(), out.publicKey);
    for (const args of [["fingerprint", path], ["fingerprint", pem], ["fingerprint", out.publicKey]]) {
      const fp = await pmh(args);
      assert.equal(fp.stdout.trim(), out.fingerprint, args[1]!.slice(0, 20));
    }
    const fromStdin = await pmh(["fingerprint", "-", "--json"], out.publicKey);
    assert.deepEqual(JSON.parse(fromStdin.stdout), { fingerprint: out.fingerprint, keyType: "public" });

    const replaced = await pmh(["keygen", "--out", path, "--force", "--bits", "1024"]);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.notEqual(readFileSync(path, "utf8"), pem);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });
  it("keygen prints the private key only when asked: --out - or --show-key", async () => {
    const refused = await pmh(["keygen", "--bits", "1024"]);
    assertOneLineError(refused, 2, /--out FILE, or --out -/);
    assert.doesNotMatch(refused.stdout + refused.stderr, /PRIVATE KEY/);
    for (const args of [["--out", "-"], ["--show-key"]]) {
      const run = await pmh(["keygen", "--bits", "1024", ...args]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+-----END RSA PRIVATE KEY-----\n$/);
      assert.doesNotMatch(run.stderr, /PRIVATE KEY/);
      const fp = /fingerprint ([0-9a-f:]+)/.exec(run.stderr)![1];
      assert.equal(fp, await publicKeyFingerprint(run.stdout.trim()));
    }
    const json = await pmh(["keygen", "--bits", "1024", "--out", "-", "--json"]);
    const out = JSON.parse(json.stdout) as { privateKey: string; fingerprint: string };
    assert.equal(out.fingerprint, await publicKeyFingerprint(out.privateKey));
    const path = join(dir, "quiet.pem");
    const quiet = await pmh(["keygen", "--bits", "1024", "--out", path, "--json"]);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stdout + quiet.stderr, /PRIVATE KEY|privateKey/, "no private key printed with --out FILE");
    const shown = await pmh(["keygen", "--bits", "1024", "--out", join(dir, "shown.pem"), "--show-key", "--json"]);
    assert.equal((JSON.parse(shown.stdout) as { privateKey: string }).privateKey, readFileSync(join(dir, "shown.pem"), "utf8"));
  });
  it("fingerprint and pubkey of a private key file others can read work, with one warning line", async () => {
    const path = join(dir, "shared.pem");
    writeFileSync(path, keys.alice.private_pem_pkcs1);
    chmodSync(path, 0o644);
    const run = await pmh(["fingerprint", path]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), fingerprint(pemToDer(keys.alice.public_pem_spki).der));
    if (process.platform !== "win32") assert.match(run.stderr, /^pmh fingerprint: warning: .*shared\.pem holds a private key and is readable by others \(mode 0644\)[^\n]*\n$/);
    const pub = join(dir, "shared-pub.pem");
    writeFileSync(pub, keys.alice.public_pem_spki, { mode: 0o644 });
    assert.deepEqual(await pmh(["pubkey", pub]), { code: 0, stdout: `${keys.alice.public_pem_spki}\n`, stderr: "" }, "a public key file is quiet");
  });
  it("refuses bad input with exit code 2 and one line", async () => {
    writeFileSync(join(dir, "junk.pem"), "not a key");
    const cases: [string[], RegExp][] = [
      [["fingerprint", join(dir, "missing.pem")], /missing\.pem: no such file/],
      [["pubkey", join(dir, "junk.pem")], /junk\.pem does not hold an RSA key/],
      [["pubkey", dir], new RegExp(`${dir}: is a folder, not a file`)],
      [["keygen", "--bits", "1000"], /--bits/],
      [["keygen", "--bits", "2044"], /multiple of 8/],
      [["nonsense"], /unknown command/],
    ];
    const runs = await Promise.all(cases.map(([args]) => pmh(args)));
    cases.forEach(([, message], i) => assertOneLineError(runs[i]!, 2, message));
  });
});

describe("pmh handshake and send", { timeout: 60_000 }, () => {
  let ids: Identities;
  let running: RunningServer;
  const keyStore = new MemoryKeyStore();
  before(async () => {
    ids = await identities();
    const server = await FiberServer.create({ keypair: ids.miner, keyStore });
    server.route("/echo", { handler: (payload) => payload });
    running = await serve(server.fetch, { host: "127.0.0.1", port: 0 });
  });
  after(() => running.close());

  it("handshake prints the uuid and the fingerprint of the key the miner stored, never the key unless asked", async () => {
    const text = await pmh(["handshake", running.url, "--miner-hotkey", ids.miner.ss58Address, "--hotkey-seed", OTHER_SEED]);
    assert.equal(text.code, 0, text.stderr);
    const uuid = /uuid ([0-9a-f]{64})/.exec(text.stdout)![1]!;
    const stored = await keyStore.get(ids.other.ss58Address, uuid);
    assert.ok(stored);
    assert.match(text.stdout, new RegExp(`key fingerprint ${fingerprint(stored)}`));
    assert.doesNotMatch(text.stdout, /\bkey [A-Za-z0-9_-]{43}=/);

    const json = await pmh(["handshake", running.url, "--miner-hotkey", ids.miner.ss58Address, "--json", "--show-key", "--require-signed-key"], undefined);
    assert.equal(json.code, 2, "no hotkey given");
    assert.match(json.stderr, /give exactly one of .*PMH_VALIDATOR_SEED/);
    // The validator's hotkey from the environment (an explicit option would win over it).
    const fromEnv = await pmh(["handshake", running.url, "--miner-hotkey", ids.miner.ss58Address, "--json"], undefined, { PMH_VALIDATOR_SEED: OTHER_SEED, PMH_HOTKEY_SEED: MINER_SEED });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.ok(await keyStore.get(ids.other.ss58Address, (JSON.parse(fromEnv.stdout) as { uuid: string }).uuid), "exchanged as the validator of PMH_VALIDATOR_SEED");
    const shown = await pmh(["handshake", running.url, "--miner-hotkey", ids.miner.ss58Address, "--hotkey-seed", OTHER_SEED, "--json", "--show-key"]);
    const out = JSON.parse(shown.stdout) as { uuid: string; fingerprint: string; key: string };
    const key = await keyStore.get(ids.other.ss58Address, out.uuid);
    assert.equal(out.fingerprint, fingerprint(key!));
    assert.equal(Buffer.from(out.key, "base64url").toString("hex"), Buffer.from(key!).toString("hex"));
  });
  it("send prints the decrypted answer; refusals exit 3, an unreachable miner 4, bad JSON 2", async () => {
    const base = ["--miner-hotkey", ids.miner.ss58Address, "--hotkey-seed", OTHER_SEED];
    const sent = await pmh(["send", running.url, "/echo", '{"hello":"miner","n":[1,2]}', ...base, "--json"]);
    assert.equal(sent.code, 0, sent.stderr);
    // One --json shape with `handshake`: url, minerHotkey, uuid, fingerprint, ms; plus route and answer.
    const { answer, ...session } = JSON.parse(sent.stdout) as { answer: Record<string, unknown>; uuid: string; fingerprint: string };
    assert.deepEqual(answer, { hello: "miner", n: [1, 2] }, "the nonce the client added is not echoed back");
    assert.deepEqual(Object.keys(session).sort(), ["fingerprint", "minerHotkey", "ms", "route", "url", "uuid"]);
    assert.equal(session.fingerprint, fingerprint((await keyStore.get(ids.other.ss58Address, session.uuid))!));
    const piped = await pmh(["send", running.url, "/echo", "-", ...base], '{"from":"stdin"}');
    assert.equal((JSON.parse(piped.stdout) as { from: string }).from, "stdin");

    assertOneLineError(await pmh(["send", running.url, "/missing", "{}", ...base]), 3, /answered 404/);
    assertOneLineError(await pmh(["send", running.url, "/echo", "{", ...base]), 2, /valid JSON/);
    assertOneLineError(await pmh(["send", running.url, "echo", "{}", ...base]), 2, /ROUTE must start with/);
    assertOneLineError(await pmh(["send", "ftp://x", "/echo", "{}", ...base]), 2, /http or https/);
    const wrongMiner = ["--miner-hotkey", ids.other.ss58Address, "--hotkey-seed", MINER_SEED];
    assertOneLineError(await pmh(["send", running.url, "/echo", "{}", ...wrongMiner]), 3, /not signed by miner/);
    const closed = await serve(async () => new Response("unused"), { host: "127.0.0.1", port: 0 });
    await closed.close();
    assertOneLineError(await pmh(["send", closed.url, "/echo", "{}", ...base, "--timeout", "5000"]), 4, /ECONNREFUSED|failed/);
  });
});

describe("pmh demo and --help", { timeout: 120_000 }, () => {
  it("demo runs every protocol and both sides of each hold the same fingerprint", async () => {
    const run = await pmh(["demo", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { agreed: boolean; results: { protocol: string; agreed: boolean; fingerprints: [string, string]; steps: { ms: number }[] }[] };
    assert.equal(out.agreed, true);
    assert.deepEqual(out.results.map((r) => r.protocol), ["password", "rsa-mutual", "rsa-half", "hivemind-v3", "hivemind-ws", "fiber", "fiber-signed"]);
    for (const r of out.results) {
      assert.equal(r.agreed, true, r.protocol);
      assert.match(r.fingerprints[0], /^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/);
      assert.equal(r.fingerprints[0], r.fingerprints[1], r.protocol);
      assert.ok(r.steps.every((s) => typeof s.ms === "number" && s.ms >= 0));
    }
    assert.equal(new Set(out.results.map((r) => r.fingerprints[0])).size, out.results.length, "each protocol derived its own secret (or body hash)");
  });
  it("every command has --help (exit 0) and the top-level help lists the exit codes", async () => {
    const commands = ["demo", "keygen", "pubkey", "fingerprint", "password-strength", "serve", "handshake", "send", "hub", "connect"];
    const runs = await Promise.all(commands.map((command) => pmh([command, "--help"])));
    commands.forEach((command, i) => {
      assert.equal(runs[i]!.code, 0, command);
      assert.match(runs[i]!.stdout, new RegExp(`^Usage: pmh ${command}`), command);
    });
    const none = await pmh([]);
    assert.equal(none.code, 2, "no command is a usage error");
    assert.match(none.stderr, /^Usage: pmh/);
    const top = await pmh(["--help"]);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Exit codes:[\s\S]*4 {2}the peer could not be reached/);
  });
});
