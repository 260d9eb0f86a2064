/** The fair, O(1) key table behind MemoryKeyStore and FileKeyStore (issue: floods evicted honest keys). */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FairKeyTable } from "../src/fiber/key-table.js";
import { MemoryKeyStore } from "../src/fiber/keystore.js";
import { FileKeyStore } from "../src/fiber/node/stores/file-keystore.js";

const T0 = 1_700_000_000_000;
const key = (n = 1) => new Uint8Array(32).fill(n);

describe("key stores under an exchange flood", () => {
  it("MemoryKeyStore: one hotkey flooding a full store evicts only its own keys", async () => {
    const store = new MemoryKeyStore({ maxEntries: 100, clock: () => T0 });
    for (let i = 0; i < 10; i++) await store.set(`honest${i}`, "u", key(i + 1), 60_000);
    for (let i = 0; i < 1000; i++) await store.set("flooder", `f${i}`, key(), 60_000);
    assert.equal(store.size, 100);
    for (let i = 0; i < 10; i++) assert.deepEqual(await store.get(`honest${i}`, "u"), key(i + 1), `honest${i} kept its key`);
    assert.ok(await store.get("flooder", "f999"), "the flooder's newest key is kept");
    assert.equal(await store.get("flooder", "f0"), undefined, "the flooder's oldest went first");
  });
  it("FileKeyStore evicts the same way", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pmh-fair-"));
    try {
      const store = await FileKeyStore.open(join(dir, "keys.json"), { maxEntries: 20, flushDelayMs: 0, clock: () => T0 });
      await store.set("honest", "u", key(9), 60_000);
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.set("flooder", `f${i}`, key(), 60_000)));
      assert.equal(store.size, 20);
      assert.deepEqual(await store.get("honest", "u"), key(9));
      await store.close();
      const reopened = await FileKeyStore.open(join(dir, "keys.json"), { maxEntries: 20, clock: () => T0 });
      assert.equal(reopened.size, 20);
      assert.deepEqual(await reopened.get("honest", "u"), key(9), "the honest key is on disk too");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it("an expired key is evicted before any live one", async () => {
    let now = T0;
    const store = new MemoryKeyStore({ maxEntries: 3, clock: () => now });
    await store.set("a", "old", key(), 1000);
    await store.set("b", "1", key(), 60_000);
    await store.set("b", "2", key(), 60_000);
    now += 2000;
    await store.set("c", "1", key(), 60_000);
    assert.ok(await store.get("b", "1"), "b's keys stay although b holds the most");
    assert.ok(await store.get("b", "2"));
    assert.ok(await store.get("c", "1"));
  });
});

describe("FairKeyTable", () => {
  it("inserting into a full table reads a bounded number of entries, not all of them (no sweep per insert)", () => {
    let reads = 0;
    const entry = (expiresAt: number) => ({ key: key(), get expiresAt() { reads++; return expiresAt; } });
    const table = new FairKeyTable(10_000, () => T0);
    for (let i = 0; i < 10_000; i++) table.set(`hk${i % 100}`, `u${i}`, entry(T0 + 60_000));
    reads = 0;
    for (let i = 0; i < 1000; i++) table.set("new", `n${i}`, entry(T0 + 60_000));
    assert.equal(table.size, 10_000);
    assert.ok(reads <= 1000, `${reads} expiry reads for 1000 inserts into a full table`);
  });
  it("zeroes the key of every entry it drops", () => {
    const table = new FairKeyTable(2, () => T0);
    const dropped = key(5);
    table.set("a", "1", { key: dropped, expiresAt: T0 + 10 });
    table.set("a", "2", { key: key(), expiresAt: T0 + 10 });
    table.set("b", "1", { key: key(), expiresAt: T0 + 10 });
    assert.deepEqual(dropped, new Uint8Array(32));
    assert.throws(() => new FairKeyTable(0, Date.now), /options\.maxEntries/);
  });
  it("property: never over capacity; an eviction always hits a hotkey holding the most keys", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 6 }), fc.boolean()), { maxLength: 80 }), (cap, ops) => {
        const table = new FairKeyTable(cap, () => T0);
        const model = new Map<string, Set<string>>();
        for (const [h, u, del] of ops) {
          const hotkey = `h${h}`;
          const uuid = `u${u}`;
          if (del) {
            table.delete(hotkey, uuid);
            model.get(hotkey)?.delete(uuid);
            continue;
          }
          // What each hotkey holds just before the insert (a replaced key is not an eviction).
          const held = new Map([...model].map(([hk, ids]) => [hk, [...ids].filter((id) => !(hk === hotkey && id === uuid))]));
          table.set(hotkey, uuid, { key: key(), expiresAt: T0 + 1 });
          const after = new Map<string, Set<string>>();
          for (const [hk, id] of table.entries()) (after.get(hk) ?? after.set(hk, new Set()).get(hk)!).add(id);
          assert.ok(table.size <= cap);
          const lost = [...held].flatMap(([hk, ids]) => ids.filter((id) => !after.get(hk)?.has(id)).map(() => hk));
          assert.ok(lost.length <= 1, "at most one eviction per insert");
          if (lost.length === 1) {
            const most = Math.max(...[...held.values()].map((ids) => ids.length));
            assert.equal(held.get(lost[0]!)!.length, most, `evicted from ${lost[0]} although another hotkey held ${most}`);
          }
          model.clear();
          for (const [k, v] of after) model.set(k, v);
        }
      }),
    );
  });
});
