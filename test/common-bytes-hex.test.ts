/**
 * The table-driven hex codec against Node's Buffer (encoding) and against the regex +
 * parseInt rules it replaced (what is accepted, what it decodes to, how it is refused).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { fromHex, toHex } from "../src/common/bytes.js";

/** The previous implementation, kept as the oracle. */
function oracle(text: string): Uint8Array | undefined {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) return undefined;
  return Uint8Array.from({ length: text.length / 2 }, (_, i) => parseInt(text.slice(2 * i, 2 * i + 2), 16));
}

const HEXISH = fc.string({ unit: fc.constantFrom(..."09afAFgG/:@`é\u0130 \n\0".split("")), maxLength: 12 });

describe("hex codec", () => {
  it("encodes as Buffer does (lowercase)", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      assert.equal(toHex(bytes), Buffer.from(bytes).toString("hex"));
      assert.deepEqual(fromHex(toHex(bytes).toUpperCase()), bytes);
    }));
  });

  it("accepts and refuses exactly what the regex + parseInt rules did, with the same message", () => {
    fc.assert(fc.property(fc.oneof(HEXISH, fc.string({ maxLength: 12 })), (text) => {
      const expected = oracle(text);
      if (expected === undefined) assert.throws(() => fromHex(text, "x"), { message: "x must be an even number of hex digits" });
      else assert.deepEqual(fromHex(text, "x"), expected);
    }), { numRuns: 3000 });
    assert.deepEqual(fromHex(""), new Uint8Array(0));
    assert.throws(() => fromHex("abc"), /even number/);
    assert.throws(() => fromHex("\u0130a"), /even number/); // a character past the table
  });
});
