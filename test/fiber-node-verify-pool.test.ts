/** SignatureVerifyPool: the same verdicts as Keypair.verify, on worker threads or, when full or closed, on this one. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BYTES_WRAP_PREFIX as WRAP_PREFIX, BYTES_WRAP_SUFFIX as WRAP_SUFFIX } from "../src/fiber/constants.js";
import { Keypair } from "../src/fiber/keypair.js";
// The built pool (npm test builds first): its worker script is a file beside its module,
// which a worker thread cannot load from TypeScript source on Node 20 (it would die at
// start, and the pool would quietly verify everything on this thread instead).
import { SignatureVerifyPool } from "poorman-handshake/node";
import { identities, type Identities } from "./helpers/fiber.js";

let ids: Identities;
let pool: SignatureVerifyPool;

before(async () => {
  ids = await identities();
  pool = await SignatureVerifyPool.create({ threads: 1, maxQueued: 4 });
});
after(() => pool.close());

/** Good and bad signatures, as (message, signature, address). */
async function cases(): Promise<[string, string, string][]> {
  const message = "1700000000000000000_abc:5Miner:uuid";
  const good = await ids.validator.signHex(message);
  const wrapped = await ids.validator.signHex(new TextEncoder().encode(`${WRAP_PREFIX}${message}${WRAP_SUFFIX}`));
  return [
    [message, good, ids.validator.ss58Address],
    [message, `0x${good}`, ids.validator.ss58Address],
    [message, wrapped, ids.validator.ss58Address],
    [`${message}x`, good, ids.validator.ss58Address],
    [message, good, ids.other.ss58Address],
    [message, good.slice(0, -2), ids.validator.ss58Address],
    [message, "zz".repeat(64), ids.validator.ss58Address],
    [message, good, "not an address"],
    ["", "", ""],
  ];
}

describe("SignatureVerifyPool", () => {
  it("gives Keypair.verify's verdicts, many at once (beyond maxQueued, on this thread)", async () => {
    const all = await cases();
    const expected = await Promise.all(all.map(([m, s, a]) => Keypair.verify(m, s, a)));
    assert.deepEqual([expected[0], expected[2], expected[3]], [true, true, false]); // good, wrapped, other message
    for (let round = 0; round < 3; round++) assert.deepEqual(await Promise.all(all.map(([m, s, a]) => pool.verify(m, s, a))), expected);
  });

  it("asked in one turn of the event loop, a batch goes to the workers and each verdict comes back to its own call", async () => {
    const wide = await SignatureVerifyPool.create({ threads: 2, maxQueued: 1000, inlineWhenIdle: false });
    try {
      const all = await cases();
      const expected = await Promise.all(all.map(([m, s, a]) => Keypair.verify(m, s, a)));
      const asked = Array.from({ length: 20 }, () => all).flat();
      const answers = Promise.all(asked.map(([m, s, a]) => wide.verify(m, s, a)));
      assert.equal(wide.queued, asked.length, "every call waits on a worker (none verified on this thread)");
      assert.deepEqual(await answers, Array.from({ length: 20 }, () => expected).flat());
      assert.equal(wide.queued, 0);
    } finally {
      await wide.close();
    }
  });

  it("an idle pool verifies the first call of a turn on this thread, and the rest of the turn on the workers", async () => {
    const idle = await SignatureVerifyPool.create({ maxQueued: 1000 });
    try {
      const all = await cases();
      const expected = await Promise.all(all.map(([m, s, a]) => Keypair.verify(m, s, a)));
      for (let turn = 0; turn < 2; turn++) {
        const answers = Promise.all(all.map(([m, s, a]) => idle.verify(m, s, a)));
        assert.equal(idle.queued, all.length - 1, "all but the first wait on the worker");
        assert.deepEqual(await answers, expected);
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      await idle.close();
    }
  });

  it("start returns at once: calls made before the worker is ready are verified here, later ones on the worker", async () => {
    const started = SignatureVerifyPool.start({ maxQueued: 1000, inlineWhenIdle: false });
    try {
      const all = await cases();
      const expected = await Promise.all(all.map(([m, s, a]) => Keypair.verify(m, s, a)));
      const early = Promise.all(all.map(([m, s, a]) => started.verify(m, s, a)));
      assert.equal(started.queued, 1, "only the warm-up waits on the worker");
      assert.deepEqual(await early, expected);
      await started.ready;
      const later = Promise.all(all.map(([m, s, a]) => started.verify(m, s, a)));
      assert.equal(started.queued, all.length);
      assert.deepEqual(await later, expected);
    } finally {
      await started.close();
    }
  });

  it("refuses bad options", async () => {
    await assert.rejects(SignatureVerifyPool.create({ inlineWhenIdle: "yes" as never }), /options\.inlineWhenIdle must be a boolean/);
    await assert.rejects(SignatureVerifyPool.create({ threads: 0 }), /options\.threads/);
    await assert.rejects(SignatureVerifyPool.create({ maxQueued: 0 }), /options\.maxQueued/);
  });

  it("still verifies (on this thread) once closed, including what was waiting", async () => {
    const own = await SignatureVerifyPool.create();
    const all = await cases();
    const expected = await Promise.all(all.map(([m, s, a]) => Keypair.verify(m, s, a)));
    const waiting = Promise.all(all.map(([m, s, a]) => own.verify(m, s, a)));
    await own.close();
    assert.deepEqual(await waiting, expected);
    assert.deepEqual(await Promise.all(all.map(([m, s, a]) => own.verify(m, s, a))), expected);
    assert.equal(own.queued, 0);
  });
});
