import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { toHex, utf8 } from "../src/common/bytes.js";
import { InvalidArgumentError } from "../src/common/errors.js";
import { canonicalJson, compareCodePoints, pythonFloatRepr, pythonJsonDumps } from "../src/hivemind/index.js";
import { loadVectors } from "./helpers/vectors.js";

const hm = loadVectors("hivemind/noise_vectors.json");

describe("Python-identical JSON", () => {
  it("canonicalJson(HELLO) || canonicalJson(HANDSHAKE) || name is the vectors' prologue", () => {
    for (const v of [hm.xxpsk2_chacha, hm.xxpsk2_aesgcm]) {
      const prologue = canonicalJson(v.hello_payload) + canonicalJson(v.handshake_payload) + v.protocol_name;
      assert.equal(toHex(utf8(prologue)), v.prologue_hex);
    }
    assert.equal(canonicalJson({ encodings: ["JSON-HEX"], binarize: false }), hm.xxpsk2_chacha.msg1_payload);
  });

  // Expected strings printed by CPython 3's json.dumps / repr for the same inputs.
  it("matches CPython for escapes, non-ASCII, astral keys and key order", () => {
    const value = { b: 1, a: ["é", "\u2028", "\x7f", "\x01\b\f\n\r\t", "😀", "\ud7ff"], "😀": 2, "\uffff": 3 };
    assert.equal(canonicalJson(value), '{"a":["é","\u2028","\x7f","\\u0001\\b\\f\\n\\r\\t","😀","\ud7ff"],"b":1,"\uffff":3,"😀":2}');
    const ascii = { b: 1, a: ["é", "\u2028", "\x7f", "\x01\b\f\n\r\t", "😀"], "😀": 2, "\uffff": 3 };
    assert.equal(pythonJsonDumps(ascii), '{"b": 1, "a": ["\\u00e9", "\\u2028", "\\u007f", "\\u0001\\b\\f\\n\\r\\t", "\\ud83d\\ude00"], "\\ud83d\\ude00": 2, "\\uffff": 3}');
    assert.equal(pythonJsonDumps({ encoding: "JSON-HEX" }), '{"encoding": "JSON-HEX"}');
    assert.equal(pythonJsonDumps({ a: [], b: {}, c: null, d: true }), '{"a": [], "b": {}, "c": null, "d": true}');
  });

  it("writes integers as integers and floats like repr(float)", () => {
    assert.equal(canonicalJson({ n: 3, big: 2 ** 70, b: 12345678901234567890123n, neg: -7 }), '{"b":12345678901234567890123,"big":1180591620717411303424,"n":3,"neg":-7}');
    const cases: [number, string][] = [[1.5, "1.5"], [0.1, "0.1"], [1e-5, "1e-05"], [123456789.123, "123456789.123"], [1e-4, "0.0001"], [0.0001234, "0.0001234"], [-2.5e-7, "-2.5e-07"], [3.14159, "3.14159"], [1 / 3, "0.3333333333333333"], [2 ** 0.5 * 1e15, "1414213562373095.2"], [1.7976931348623157e308, "1.7976931348623157e+308"], [5e-324, "5e-324"], [NaN, "NaN"], [-Infinity, "-Infinity"]];
    for (const [x, expected] of cases) assert.equal(pythonFloatRepr(x), expected, String(x));
  });

  it("sorts by code point, not UTF-16 unit", () => {
    assert.ok(compareCodePoints("\uffff", "😀") < 0);
    assert.ok("\uffff" > "😀"); // JavaScript's default order (UTF-16 units) differs
    fc.assert(fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (a, b) => {
      const cp = (s: string) => Array.from(s, (c) => c.codePointAt(0)!);
      const [x, y] = [cp(a), cp(b)];
      let expected = 0;
      for (let i = 0; i < Math.min(x.length, y.length) && expected === 0; i++) expected = x[i]! - y[i]!;
      if (expected === 0) expected = x.length - y.length;
      assert.equal(Math.sign(compareCodePoints(a, b)), Math.sign(expected));
    }));
  });

  it("writes a well-formed string without ensure_ascii as JSON.stringify does, and plain ASCII as it is", () => {
    fc.assert(fc.property(fc.string({ unit: fc.oneof(fc.constant("\""), fc.constant("\\"), fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), fc.constantFrom("é", "\u2028", "😀", "\uffff")) }), (text) => {
      assert.equal(canonicalJson(text), JSON.stringify(text));
      if (/^[ -~]*$/.test(text)) assert.equal(pythonJsonDumps(text), JSON.stringify(text)); // printable ASCII: only the quote and backslash are escaped
    }), { numRuns: 500 });
  });

  it("canonical JSON of JSON-like values parses back to the same value", () => {
    fc.assert(fc.property(fc.jsonValue({ noUnicodeString: false }), (value) => {
      const expected = JSON.parse(JSON.stringify(value)); // -0 becomes 0, as in the canonical form
      assert.deepEqual(JSON.parse(canonicalJson(value)), expected);
    }));
  });

  it("refuses what Python could not write as UTF-8 JSON", () => {
    assert.throws(() => canonicalJson({ a: "\ud800" }), InvalidArgumentError);
    assert.throws(() => canonicalJson({ a: undefined }), InvalidArgumentError);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(() => canonicalJson(cycle), /circular/);
  });
});
