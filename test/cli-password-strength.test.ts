/** `pmh password-strength`: the estimate and the decision, from an argument or standard input. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pmh } from "./helpers/cli.js";

describe("pmh password-strength", { timeout: 60_000 }, () => {
  it("accepts a passphrase (exit 0) and refuses a guessable password with zxcvbn's hint (exit 1)", async () => {
    const strong = await pmh(["password-strength", "correct horse battery staple"]);
    assert.equal(strong.code, 0, strong.stderr);
    assert.match(strong.stdout, /^~68 bits of guess resistance \(zxcvbn score 4\/4\): accepted \(40 required\)\n$/);
    const weak = await pmh(["password-strength", "-"], "hunter2\n"); // one trailing newline is not part of it
    assert.equal(weak.code, 1);
    assert.match(weak.stdout, /^~13 bits .*: refused \(40 required\)\. This is a very common password\.\n$/);
    assert.doesNotMatch(weak.stdout + weak.stderr, /hunter2/, "never echoes the password");
  });

  it("--json and --min-bits, and reads standard input without an argument", async () => {
    const run = await pmh(["password-strength", "--json", "--min-bits", "80"], "correct horse battery staple");
    assert.equal(run.code, 1);
    const out = JSON.parse(run.stdout);
    assert.equal(out.accepted, false);
    assert.equal(out.minBits, 80);
    assert.equal(out.score, 4);
    assert.ok(Math.abs(out.bits - 67.5349) < 1e-3);
    const off = await pmh(["password-strength", "--json", "--min-bits", "0", "test"]);
    assert.equal(off.code, 0);
    assert.equal(JSON.parse(off.stdout).accepted, true);
    const empty = await pmh(["password-strength", "--json"], "");
    assert.deepEqual([empty.code, JSON.parse(empty.stdout).bits, JSON.parse(empty.stdout).accepted], [1, 0, false]);
  });

  it("a bad --min-bits is a usage error (exit 2), and --help works", async () => {
    assert.equal((await pmh(["password-strength", "x", "--min-bits", "lots"])).code, 2);
    const help = await pmh(["password-strength", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: pmh password-strength/);
  });
});
