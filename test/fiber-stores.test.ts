import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { InvalidArgumentError, NonceUnverifiableError, StoreFullError } from "../src/common/errors.js";
import { MemoryKeyStore } from "../src/fiber/keystore.js";
import { MemoryNonceStore, generateNonce, nonceRetentionMs, nonceTimestampMs, randomAlphanumeric } from "../src/fiber/nonce.js";

const T0 = 1_700_000_000_000;

describe("nonces", () => {
  it("are time_ns, an underscore and 10 random alphanumerics", () => {
    const nonce = generateNonce(T0);
    assert.match(nonce, /^1700000000000000000_[A-Za-z0-9]{10}$/);
    assert.notEqual(generateNonce(T0), nonce);
    assert.equal(nonceTimestampMs(nonce), T0);
  });
  it("use every alphanumeric character", () => {
    const seen = new Set(randomAlphanumeric(4000));
    assert.equal(seen.size, 62);
  });
  it("parse like Python: digits with an optional suffix", () => {
    assert.equal(nonceTimestampMs("1700000000000000000"), T0);
    assert.equal(nonceTimestampMs("1700000000000000000_"), T0);
    for (const bad of ["", "_abc", "abc_123", "1.5_x", "-1_x", "1 _x", "1_a b", "1".repeat(21), "1_" + "a".repeat(127)]) {
      assert.equal(nonceTimestampMs(bad), undefined, bad);
    }
  });
  it("are acceptable within ±120 s and remembered until the window ends", () => {
    const nonce = generateNonce(T0);
    assert.equal(nonceRetentionMs(nonce, T0), 120_001);
    assert.equal(nonceRetentionMs(nonce, T0 + 120_000), 1);
    assert.equal(nonceRetentionMs(nonce, T0 - 120_000), 240_001);
    assert.equal(nonceRetentionMs(nonce, T0 + 120_001), undefined);
    assert.equal(nonceRetentionMs(nonce, T0 - 120_001), undefined);
    assert.equal(nonceRetentionMs("garbage", T0), undefined);
  });
  it("property: a nonce accepted at any time stays remembered for as long as it is acceptable", () => {
    fc.assert(
      fc.property(fc.integer({ min: -120_000, max: 120_000 }), fc.integer({ min: 0, max: 300_000 }), (offset, later) => {
        const nonce = generateNonce(T0 + offset);
        const ttl = nonceRetentionMs(nonce, T0)!;
        const stillAcceptable = nonceRetentionMs(nonce, T0 + later) !== undefined;
        if (stillAcceptable) assert.ok(later < ttl, `acceptable at +${later} but forgotten at +${ttl}`);
      }),
    );
  });
});

describe("MemoryNonceStore", () => {
  it("adds once, refuses the replay, forgets after the TTL", async () => {
    let now = T0;
    const store = new MemoryNonceStore({ clock: () => now });
    assert.equal(await store.has("n"), false);
    assert.equal(await store.add("n", 1000), true);
    assert.equal(await store.has("n"), true);
    assert.equal(await store.add("n", 1000), false);
    now += 1000;
    assert.equal(await store.has("n"), false);
    assert.equal(await store.add("n", 1000), true);
  });
  it("refuses nonces minted before it was created (a restarted miner) as unverifiable, not as replays", async () => {
    const now = T0;
    const store = new MemoryNonceStore({ clock: () => now });
    assert.equal(store.floorMs, T0, "the floor is the creation time by default");
    const before = generateNonce(T0 - 1);
    const refused = (e: unknown) => e instanceof NonceUnverifiableError && e.code === "ERR_STORE_UNAVAILABLE" && /retry with a fresh nonce/.test(e.message);
    await assert.rejects(store.has(before), refused);
    await assert.rejects(store.add(before, 1000), refused);
    assert.equal(await store.add(generateNonce(T0), 1000), true, "nonces from the creation on pass");
    const takeover = new MemoryNonceStore({ clock: () => now, floorMs: T0 - 120_000 });
    assert.equal(await takeover.add(before, 1000), true, "an explicit earlier floor");
    assert.throws(() => new MemoryNonceStore({ floorMs: Number.NaN }), InvalidArgumentError);
  });
  it("refuses new nonces when full of live ones, and sweeps expired ones to make room", async () => {
    let now = T0;
    const store = new MemoryNonceStore({ maxEntries: 3, clock: () => now });
    for (const n of ["a", "b", "c"]) assert.equal(await store.add(n, 1000), true);
    await assert.rejects(store.add("d", 1000), StoreFullError);
    assert.equal(await store.add("a", 1000), false, "a full store still refuses replays");
    now += 1000;
    assert.equal(await store.add("d", 1000), true);
    assert.equal(store.size, 1);
  });
  it("behaves like a model set of live nonces with a cap, for any sequence of adds and clock steps", async () => {
    const step = fc.oneof(
      fc.record({ add: fc.constantFrom("a", "b", "c", "d", "e"), ttl: fc.integer({ min: 1, max: 200_000 }) }),
      fc.record({ advance: fc.integer({ min: 0, max: 150_000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
        let now = T0;
        const store = new MemoryNonceStore({ maxEntries: 3, clock: () => now });
        const model = new Map<string, number>();
        for (const s of steps) {
          if ("advance" in s) {
            now += s.advance;
            continue;
          }
          for (const [n, expiry] of model) if (expiry <= now) model.delete(n);
          const live = model.has(s.add);
          const full = !live && model.size >= 3;
          if (full) await assert.rejects(store.add(s.add, s.ttl), StoreFullError);
          else assert.equal(await store.add(s.add, s.ttl), !live);
          if (!live && !full) model.set(s.add, now + s.ttl);
          for (const n of ["a", "b", "c", "d", "e"]) assert.equal(await store.has(n), model.has(n) && model.get(n)! > now);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("MemoryKeyStore", () => {
  it("stores, replaces and expires keys at lookup", async () => {
    let now = T0;
    const store = new MemoryKeyStore({ clock: () => now });
    await store.set("hk", "u1", new Uint8Array(32).fill(1), 5000);
    assert.deepEqual(await store.get("hk", "u1"), new Uint8Array(32).fill(1));
    assert.equal(await store.get("hk", "u2"), undefined);
    assert.equal(await store.get("other", "u1"), undefined);
    await store.set("hk", "u1", new Uint8Array(32).fill(2), 5000);
    assert.deepEqual(await store.get("hk", "u1"), new Uint8Array(32).fill(2));
    now += 4999;
    assert.ok(await store.get("hk", "u1"));
    now += 1;
    assert.equal(await store.get("hk", "u1"), undefined);
    assert.equal(store.size, 0);
  });
  it("returns copies, so callers cannot corrupt a stored key", async () => {
    const store = new MemoryKeyStore();
    const key = new Uint8Array(32).fill(7);
    await store.set("hk", "u", key, 1000);
    key.fill(0);
    (await store.get("hk", "u"))!.fill(0);
    assert.deepEqual(await store.get("hk", "u"), new Uint8Array(32).fill(7));
  });
  it("drops the oldest key beyond its cap", async () => {
    const store = new MemoryKeyStore({ maxEntries: 2 });
    for (const u of ["a", "b", "c"]) await store.set("hk", u, new Uint8Array(32), 1000);
    assert.equal(store.size, 2);
    assert.equal(await store.get("hk", "a"), undefined);
    assert.ok(await store.get("hk", "c"));
  });
});
