import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { InvalidArgumentError } from "../src/common/errors.js";
import { allowAll, allowlist, minStake, parseMetagraph, pythonFloat } from "../src/fiber/authorize.js";
import { NOT_ALLOWED_DETAIL } from "../src/fiber/constants.js";

describe("authorization", () => {
  it("allowlist: 403 detail for anyone not listed", async () => {
    const check = allowlist(["5A", "5B"]);
    assert.deepEqual(await check("5A"), { allowed: true });
    assert.deepEqual(await check("5C"), { allowed: false, detail: NOT_ALLOWED_DETAIL });
    assert.deepEqual(await allowAll("anything"), { allowed: true });
  });
  it("minStake: Python's texts, default 1000", async () => {
    const check = minStake({ rich: 1000, poor: 999, fractional: 999.5 });
    assert.deepEqual(await check("rich"), { allowed: true });
    assert.deepEqual(await check("poor"), { allowed: false, detail: "Insufficient stake of 999.0 " });
    assert.deepEqual(await check("fractional"), { allowed: false, detail: "Insufficient stake of 999.5 " });
    assert.deepEqual(await check("nobody"), { allowed: false, detail: "Hotkey not found in metagraph" });
    assert.deepEqual(await check("constructor"), { allowed: false, detail: "Hotkey not found in metagraph" }, "no prototype keys");
    assert.deepEqual(await minStake({ a: 5 }, 5)("a"), { allowed: true });
  });
  it("minStake reads a changing metagraph through a function", async () => {
    let graph: Record<string, number> = {};
    const check = minStake(() => graph, 10);
    assert.equal((await check("a")).allowed, false);
    graph = { a: 10 };
    assert.equal((await check("a")).allowed, true);
  });
  it("pythonFloat formats like Python's str(float)", () => {
    const cases: [number, string][] = [[0, "0.0"], [1000, "1000.0"], [999.5, "999.5"], [0.1, "0.1"], [1e16, "1e+16"], [1.5e-7, "1.5e-07"], [123456789012345.5, "123456789012345.5"], [1e22, "1e+22"], [0.0001, "0.0001"], [0.00001, "1e-05"], [-0, "-0.0"], [-5, "-5.0"]];
    for (const [value, text] of cases) assert.equal(pythonFloat(value), text);
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => assert.equal(Number(pythonFloat(x)), x)));
  });
  it("parseMetagraph accepts an object of stakes and names the bad entry otherwise", () => {
    assert.deepEqual({ ...parseMetagraph({ a: 1, b: 0 }) }, { a: 1, b: 0 });
    for (const bad of [null, [], 5, { a: "1" }, { a: -1 }]) assert.throws(() => parseMetagraph(bad), InvalidArgumentError);
  });
});
