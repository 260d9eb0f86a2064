/** `pmh hub` and `pmh connect` as separate processes on 127.0.0.1. */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pmh, startListening, stopChild, type ServeChild } from "./helpers/cli.js";

let dir = "";
let hub: ServeChild;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "pmh-cli-hivemind-"));
  await writeFile(join(dir, "clients.json"), JSON.stringify([{ accessKey: "node-1", password: "pw-1", name: "kitchen" }, { accessKey: "node-2", password: "pw-2", name: "attic", allowedTypes: ["speak"] }, { accessKey: "node-3", password: "pw-3", name: "cellar", canEscalate: false }]));
  hub = await startListening(
    ["hub", "--port", "0", "--clients", join(dir, "clients.json"), "--key", join(dir, "hub.key"), "--pins", join(dir, "pins.json"), "--node-id", "test-hub", "--max-message-bytes", "100000", "--site-id", "home"],
    /listening on (ws:\/\/127\.0\.0\.1:\d+)/,
  );
});

after(async () => {
  if (hub !== undefined) await stopChild(hub.child);
  await rm(dir, { recursive: true, force: true });
});

describe("pmh hub / pmh connect", () => {
  it("the hub prints its key; connect sends an utterance and prints the speak echo (XXpsk2, then KKpsk0 with --pin and --key)", async () => {
    const hubKey = /HiveMind hub ([0-9a-f]{64}) listening/.exec(hub.output())![1]!;
    const key = join(dir, "node.key");
    const first = await pmh(["connect", hub.url, "--access-key", "node-1", "--password", "pw-1", "--utterance", "hello hub", "--count", "1", "--key", key]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /connected to .* \(XXpsk2, /);
    assert.match(first.stdout, /bus speak: \{"utterance":"hello hub"\}/);
    const second = await pmh(["connect", hub.url, "--access-key", "node-1", "--utterance", "again", "--count", "1", "--key", key, "--pin", hubKey, "--json"], undefined, { PMH_HIVEMIND_PASSWORD: "pw-1" });
    assert.equal(second.code, 0, second.stderr);
    const lines = second.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines[0].event, "connected");
    assert.equal(lines[0].pattern, "KKpsk0");
    assert.equal(lines[0].hubKey, hubKey);
    assert.equal(lines[1].msg_type, "bus");
    assert.deepEqual(lines[1].payload.data, { utterance: "again" });
    assert.equal(lines[2].event, "closed");
    assert.match(hub.output(), /kitchen connected as poorman-handshake::/);
  });

  it("--max-message-bytes: a longer utterance is closed with 1009", async () => {
    await pmh(["connect", hub.url, "--access-key", "node-1", "--password", "pw-1", "--utterance", "a".repeat(110_000), "--count", "1", "--key", join(dir, "node.key")]);
    assert.match(hub.output(), /kitchen \(.*\) left \(1009/);
  });

  it("--route: an escalate targeting the hub's --site-id is answered; a forbidden envelope is closed with 1008, as hivemind-core disconnects", async () => {
    const escalated = await pmh(["connect", hub.url, "--access-key", "node-1", "--password", "pw-1", "--utterance", "up here", "--route", "escalate", "--target-site", "home", "--count", "1", "--key", join(dir, "node.key")]);
    assert.equal(escalated.code, 0, escalated.stderr);
    assert.match(escalated.stdout, /bus speak: \{"utterance":"up here"\}/);
    assert.match(hub.output(), /escalate from poorman-handshake::kitchen::\S+ routed/);
    for (const [key, password, route, file] of [["node-1", "pw-1", "broadcast", "node.key"], ["node-3", "pw-3", "escalate", "node-3.key"]]) {
      const refused = await pmh(["connect", hub.url, "--access-key", key!, "--password", password!, "--utterance", "x", "--route", route!, "--key", join(dir, file!)]);
      assert.equal(refused.code, 3, refused.stderr);
      assert.match(refused.stdout, /closed \(1008 .*(admin|can_escalate)/);
    }
  });

  it("a refused utterance type comes back as hive.policy.denied", async () => {
    const run = await pmh(["connect", hub.url, "--access-key", "node-2", "--password", "pw-2", "--utterance", "x", "--count", "1"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /bus hive\.policy\.denied: \{"denied_type":"recognizer_loop:utterance"/);
  });

  it("a wrong password or an unknown access key exits 3 with one line", async () => {
    for (const args of [["--access-key", "node-1", "--password", "wrong"], ["--access-key", "nobody", "--password", "x"]]) {
      const run = await pmh(["connect", hub.url, ...args]);
      assert.equal(run.code, 3, run.stderr);
      assert.equal(run.stderr.trim().split("\n").length, 1);
      assert.match(run.stderr, /^pmh connect: /);
    }
  });

  it("usage errors exit 2: no password, a bad clients file", async () => {
    const noPassword = await pmh(["connect", hub.url, "--access-key", "node-1"]);
    assert.equal(noPassword.code, 2, noPassword.stderr);
    assert.match(noPassword.stderr, /--password or \$PMH_HIVEMIND_PASSWORD is required/);
    await writeFile(join(dir, "bad.json"), JSON.stringify([{ accessKey: "a", name: "n" }]));
    const bad = await pmh(["hub", "--port", "0", "--clients", join(dir, "bad.json")]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /clients\[0\]\.password must be a non-empty string/);
  });
});
