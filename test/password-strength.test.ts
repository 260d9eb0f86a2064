/**
 * Password strength: the same estimates and decisions as Python's zxcvbn, as
 * poorman_handshake's `strength.py` uses it, and the refusal in `PasswordHandShake`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  DEFAULT_MIN_BITS, PasswordHandShake, WeakPasswordError, checkPasswordStrength, estimatePassword, passwordBits,
} from "../src/index.js";
import { PASSWORD_WIRE, createHsub, generateIv } from "../src/password/index.js";
import { utf8 } from "../src/common/bytes.js";
import { loadVectors } from "./helpers/vectors.js";

const v = loadVectors<{
  _meta: { min_bits: number; upstream_examples: string[] };
  upstream_feedback: Record<string, { warning: string; suggestions: string[] }>;
  entries: [string, number][];
}>("poorman/password_strength.json");

// tests/test_password_strength.py upstream
const WEAK = ["test", "password", "test_password", "Password123!", "hunter2", "Tr0ub4dour&3"];
const STRONG = ["correct horse battery staple", "MyDogChews5Bones every Tuesday"];

describe("password strength (Python strength.py on zxcvbn)", () => {
  it("agrees with Python's zxcvbn at 40 bits on at least 98% of the corpus, and on every upstream example", async () => {
    assert.equal(DEFAULT_MIN_BITS, v._meta.min_bits);
    let agree = 0, close = 0;
    const disagreements: string[] = [];
    for (const [password, log10] of v.entries) {
      const ours = await estimatePassword(password);
      const pythonBits = log10 * Math.log2(10);
      if ((ours.bits >= 40) === (pythonBits >= 40)) agree++;
      else disagreements.push(`${JSON.stringify(password)}: ours ${ours.bits.toFixed(2)}, Python ${pythonBits.toFixed(2)}`);
      if (Math.abs(ours.guessesLog10 - log10) < 1e-9) close++;
      if (v._meta.upstream_examples.includes(password)) assert.equal((ours.bits >= 40), pythonBits >= 40, password);
    }
    const share = agree / v.entries.length;
    console.log(`  zxcvbn: ${agree}/${v.entries.length} same decision at 40 bits, ${close} identical estimates`);
    assert.ok(share >= 0.98, `agreement ${(100 * share).toFixed(2)}%: ${disagreements.slice(0, 10).join("; ")}`);
  });

  it("gives zxcvbn's hints as Python does for the upstream examples", async () => {
    for (const [password, feedback] of Object.entries(v.upstream_feedback)) {
      const e = await estimatePassword(password);
      assert.equal(e.warning, feedback.warning, password);
      assert.deepEqual(e.suggestions, feedback.suggestions, password);
    }
  });

  it("refuses the upstream weak passwords and accepts the strong ones", async () => {
    for (const pw of WEAK) {
      await assert.rejects(PasswordHandShake.create(pw), (e: unknown) => e instanceof WeakPasswordError && e.code === "ERR_WEAK_PASSWORD" && e.bits < 40 && e.minBits === 40, pw);
    }
    for (const pw of STRONG) {
      const [a, b] = [await PasswordHandShake.create(pw), await PasswordHandShake.create(pw)];
      assert.equal(await b.verify(await a.generateHandshake()), true);
    }
  });

  it("minBits: 0 disables the check, a higher minBits refuses more, the empty password and bytes are handled", async () => {
    await PasswordHandShake.create("test", { minBits: 0 });
    await PasswordHandShake.create("", { minBits: -1 });
    await assert.rejects(PasswordHandShake.create("correct horse battery staple", { minBits: 128 }), WeakPasswordError);
    await assert.rejects(PasswordHandShake.create(""), /non-empty/);
    await assert.rejects(checkPasswordStrength(utf8("password")), WeakPasswordError);
    await checkPasswordStrength("password", 0);
    assert.equal(await passwordBits(""), 0);
    assert.ok((await passwordBits("password")) < (await passwordBits("correct horse battery staple")));
    assert.equal(await passwordBits(utf8("hunter2")), await passwordBits("hunter2"));
    assert.throws(() => new PasswordHandShake("x", { minBits: Number.NaN }), /minBits/);
  });

  it("says the estimate, zxcvbn's hint and how to bypass", async () => {
    const error = await checkPasswordStrength("password").catch((e: unknown) => e as WeakPasswordError);
    assert.ok(error instanceof WeakPasswordError);
    assert.match(error.message, /~\d+ bits of resistance; 40 required\)\. This is a top-10 common password\./);
    assert.match(error.message, /minBits: 0/);
  });

  it("scores only the first 72 characters, as Python", async () => {
    const long = "correct horse battery staple ".repeat(4);
    assert.equal(await passwordBits(long), await passwordBits(Array.from(long).slice(0, PASSWORD_WIRE.ZXCVBN_MAX_LENGTH).join("")));
  });

  it("a weak password makes no hsub and accepts none", async () => {
    const weak = new PasswordHandShake("hunter2");
    const hsub = createHsub("hunter2", generateIv());
    await assert.rejects(weak.generateHandshake(), WeakPasswordError);
    await assert.rejects(weak.verify(hsub), WeakPasswordError);
    await assert.rejects(weak.receiveHandshake(hsub), WeakPasswordError);
    await assert.rejects(weak.receiveAndVerify(hsub), WeakPasswordError);
    assert.equal(weak.secret, undefined);
  });

  it("property: the estimate is a finite number of bits, and minBits <= 0 never refuses", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 24 }), async (pw) => {
        const bits = await passwordBits(pw);
        assert.ok(Number.isFinite(bits) && bits >= 0);
        await checkPasswordStrength(pw, 0);
        if (pw.length > 0) await checkPasswordStrength(pw, bits);
      }),
      { numRuns: 100 },
    );
  });
});
