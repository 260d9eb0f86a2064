import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import fc from "fast-check";
import { fromHex, toHex } from "../src/common/bytes.js";
import { HandshakeRejectedError, HandshakeStateError, InvalidArgumentError, PoormanError } from "../src/common/errors.js";
import { PasswordHandShake, derivePasswordSecret } from "../src/password/index.js";
import { loadVectors } from "./helpers/vectors.js";

const vectors = loadVectors("poorman/password_handshake.json");

/** Makes the next generateHandshake() of `hs` use `ivHex`, as the vectors' patched RNG did. */
async function handshakeWithIv(hs: PasswordHandShake, ivHex: string): Promise<string> {
  const iv = fromHex(ivHex);
  const spy = mock.method(globalThis.crypto, "getRandomValues", (buf: Uint8Array) => {
    buf.set(iv);
    return buf;
  });
  try {
    return await hs.generateHandshake();
  } finally {
    spy.mock.restore();
  }
}

/** Few iterations keep property tests fast; the vectors use the real 100000. */
const FAST = { iterations: 1000, minBits: 0 };

describe("password handshake vectors from the Python reference", () => {
  for (const v of vectors.cases) {
    if (v.name.startsWith("reflection") || v.iv_a_hex === v.iv_b_hex) continue; // asserted below
    it(v.name, async () => {
      const a = new PasswordHandShake(v.password_a, { minBits: 0 }), b = new PasswordHandShake(v.password_b, { minBits: 0 });
      assert.equal(await handshakeWithIv(a, v.iv_a_hex), v.hsub_a);
      assert.equal(await handshakeWithIv(b, v.iv_b_hex), v.hsub_b);
      assert.equal(await a.verify(v.hsub_b), v.a_verify_b);
      assert.equal(await b.verify(v.hsub_a), v.b_verify_a);
      assert.equal(await a.receiveAndVerify(v.hsub_b), v.a_receive_and_verify_returns);
      assert.equal(await b.receiveAndVerify(v.hsub_a), v.b_receive_and_verify_returns);
      if (v.secrets_equal) {
        assert.equal(toHex(a.secret!), v.secret_a_hex);
        assert.equal(toHex(b.secret!), v.secret_b_hex);
      } else {
        // Safer than the reference: a failed verify keeps no secret...
        assert.equal(a.secret, undefined);
        assert.equal(b.secret, undefined);
        // ...while receiveHandshake alone still derives exactly what Python derives.
        await a.receiveHandshake(v.hsub_b);
        await b.receiveHandshake(v.hsub_a);
        assert.equal(toHex(a.secret!), v.secret_a_hex);
        assert.equal(toHex(b.secret!), v.secret_b_hex);
      }
    });
  }

  it("equal ivs (all-zero salt): Python accepts, we refuse as indistinguishable from reflection", async () => {
    const v = vectors.cases.find((c: any) => c.iv_a_hex === c.iv_b_hex);
    const a = new PasswordHandShake(v.password_a, { minBits: 0 });
    assert.equal(await handshakeWithIv(a, v.iv_a_hex), v.hsub_a);
    assert.equal(await a.verify(v.hsub_b), false);
    await assert.rejects(a.receiveHandshake(v.hsub_b), HandshakeRejectedError);
    assert.equal(a.secret, undefined);
  });

  it("reflection: Python verifies our own hsub echoed back; we refuse it", async () => {
    const v = vectors.cases.find((c: any) => c.name.startsWith("reflection"));
    assert.equal(v.a_verify_own_hsub_a, true, "the vector records the reference's fault");
    const a = new PasswordHandShake(v.password_a, { minBits: 0 });
    const own = await handshakeWithIv(a, v.iv_a_hex);
    assert.equal(own, v.hsub_a);
    assert.equal(await a.verify(own), false);
    assert.equal(await a.receiveAndVerify(own), false);
    await assert.rejects(a.receiveHandshake(own), (e: unknown) => e instanceof HandshakeRejectedError && e.code === "ERR_HANDSHAKE_REJECTED");
    assert.equal(a.secret, undefined);
  });

  for (const p of vectors.pbkdf2) {
    it(`PBKDF2-HMAC-SHA256 salt ${p.salt_hex} password of length ${p.password.length}`, async () => {
      assert.equal(toHex(await derivePasswordSecret(p.password, fromHex(p.salt_hex), p.iterations)), p.key_hex);
    });
  }
});

describe("password handshake behaviour", () => {
  it("agrees, with a 32-byte secret, and receiving without verifying agrees too", async () => {
    const a = new PasswordHandShake("Super Secret Pass Phrase"), b = new PasswordHandShake("Super Secret Pass Phrase");
    const sa = await a.generateHandshake(), sb = await b.generateHandshake();
    assert.equal(await a.receiveAndVerify(sb), true);
    await b.receiveHandshake(sa);
    assert.equal(a.secret!.length, 32);
    assert.deepEqual(a.secret, b.secret);
  });
  it("a wrong password gives no agreement and no secret", async () => {
    const a = new PasswordHandShake("right", FAST), b = new PasswordHandShake("wrong", FAST);
    const sa = await a.generateHandshake(), sb = await b.generateHandshake();
    assert.equal(await a.receiveAndVerify(sb), false);
    assert.equal(await b.receiveAndVerify(sa), false);
    assert.equal(a.secret, undefined);
  });
  it("each generateHandshake uses a fresh iv", async () => {
    const a = new PasswordHandShake("pw", { minBits: 0 });
    assert.notEqual((await a.generateHandshake()).slice(0, 16), (await a.generateHandshake()).slice(0, 16));
  });
  it("iterations must match on both sides", async () => {
    const a = new PasswordHandShake("pw", { iterations: 1000, minBits: 0 }), b = new PasswordHandShake("pw", { iterations: 1001, minBits: 0 });
    const sa = await a.generateHandshake(), sb = await b.generateHandshake();
    await a.receiveAndVerify(sb);
    await b.receiveAndVerify(sa);
    assert.notDeepEqual(a.secret, b.secret);
  });
  it("destroy() wipes the secret", async () => {
    const a = new PasswordHandShake("pw", FAST), b = new PasswordHandShake("pw", FAST);
    const sb = await b.generateHandshake();
    await a.generateHandshake();
    await a.receiveHandshake(sb);
    const secret = a.secret!;
    a.destroy();
    assert.equal(a.secret, undefined);
    assert.ok(secret.every((x) => x === 0));
  });
});

describe("password handshake misuse gives typed errors", () => {
  it("receiveHandshake before generateHandshake", async () => {
    const a = new PasswordHandShake("pw", { minBits: 0 });
    await assert.rejects(a.receiveHandshake("00".repeat(24)), (e: unknown) => e instanceof HandshakeStateError && /generateHandshake/.test(e.message));
  });
  it("non-hex or wrongly sized shakes", async () => {
    const a = new PasswordHandShake("pw", { minBits: 0 });
    await a.generateHandshake();
    for (const bad of ["", "abc123", "zz".repeat(24), "00".repeat(41), " 0".repeat(24)]) {
      await assert.rejects(a.receiveHandshake(bad), (e: unknown) => e instanceof InvalidArgumentError && /shake must be 48 to 80 hex digits/.test(e.message), bad);
    }
    await assert.rejects(a.receiveHandshake(12 as never), /shake must be a string/);
  });
  it("non-string password and bad options", () => {
    assert.throws(() => new PasswordHandShake(undefined as never), (e: unknown) => e instanceof InvalidArgumentError && /password must be a string/.test(e.message));
    assert.throws(() => new PasswordHandShake("pw", { iterations: 0 }), /options.iterations must be an integer/);
    assert.throws(() => new PasswordHandShake("pw", null as never), /options must be an object/);
  });
});

describe("password handshake properties", () => {
  it("equal passwords always agree; different ones never verify", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), async (p, q) => {
        const a = new PasswordHandShake(p, FAST), b = new PasswordHandShake(p, FAST), c = new PasswordHandShake(q, FAST);
        const sa = await a.generateHandshake(), sb = await b.generateHandshake(), sc = await c.generateHandshake();
        assert.equal(await a.receiveAndVerify(sb), true);
        assert.equal(await b.receiveAndVerify(sa), true);
        assert.deepEqual(a.secret, b.secret);
        if (p !== q) {
          assert.equal(await a.verify(sc), false);
          assert.equal(await c.verify(sa), false);
        }
      }),
      { numRuns: 40 },
    );
  });
  it("garbage shakes never throw anything but our typed errors", async () => {
    const a = new PasswordHandShake("pw", FAST);
    await a.generateHandshake();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-fA-F]{40,90}$/), fc.anything()), async (shake) => {
        for (const call of [() => a.verify(shake as string), () => a.receiveAndVerify(shake as string), () => a.receiveHandshake(shake as string)]) {
          try {
            await call();
          } catch (e) {
            assert.ok(e instanceof PoormanError, `untyped error: ${String(e)}`);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
