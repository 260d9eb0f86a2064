/**
 * The table-driven base64 codec against Node's Buffer (encoding) and against the
 * regex + atob rules it replaced (what is accepted and how it is refused).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { fromBase64, fromBase64Any, toBase64, toBase64Url } from "../src/common/bytes.js";

/** The previous implementation, kept as the oracle of accepted inputs and error kinds. */
function oracleStandard(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function oracleAny(text: string): Uint8Array | "mixed" | undefined {
  const urlSafe = /[-_]/.test(text);
  if (urlSafe && /[+/]/.test(text)) return "mixed";
  return oracleStandard(urlSafe ? text.replace(/-/g, "+").replace(/_/g, "/") : text);
}

function outcome(fn: () => Uint8Array): Uint8Array | string {
  try {
    return fn();
  } catch (error) {
    return (error as Error).message;
  }
}

const B64ISH = fc.string({ unit: fc.constantFrom(..."AQgw+/-_=aZ09 é\n".split("")), maxLength: 24 });

describe("base64 codec", () => {
  it("encodes as Buffer does (standard and URL-safe, padded)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b64 = Buffer.from(bytes).toString("base64");
        assert.equal(toBase64(bytes), b64);
        assert.equal(toBase64Url(bytes), b64.replace(/\+/g, "-").replace(/\//g, "_"));
        assert.deepEqual(fromBase64(b64), new Uint8Array(bytes));
        assert.deepEqual(fromBase64Any(toBase64Url(bytes)), new Uint8Array(bytes));
      }),
    );
  });

  it("accepts and refuses exactly what the regex + atob rules did, with the same messages", () => {
    fc.assert(
      fc.property(B64ISH, (text) => {
        const std = oracleStandard(text);
        const gotStd = outcome(() => fromBase64(text, "x"));
        assert.deepEqual(gotStd, std ?? "x must be padded standard base64", text);
        const any = oracleAny(text);
        const gotAny = outcome(() => fromBase64Any(text, "x"));
        const expected = any === "mixed" ? "x mixes the standard and URL-safe base64 alphabets" : (any ?? "x must be padded base64 (standard or URL-safe)");
        assert.deepEqual(gotAny, expected, text);
      }),
      { numRuns: 3000 },
    );
  });

  it("handles the edge cases", () => {
    assert.deepEqual(fromBase64(""), new Uint8Array(0));
    assert.deepEqual(fromBase64Any("-_8="), Uint8Array.of(0xfb, 0xff));
    assert.throws(() => fromBase64("A==="), /padded standard base64/);
    assert.throws(() => fromBase64Any("ab+-"), /mixes/);
    assert.throws(() => fromBase64Any("aé=="), /padded base64/);
  });
});
