import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { InvalidArgumentError } from "../src/common/errors.js";
import { HIVEMIND_WIRE, HiveMindClient, HiveMindHub, RawNumber, canonicalJson, parseJsonKeepingNumbers, pythonJsonDumps, type RawJsonValue } from "../src/hivemind/index.js";

/** Replaces every RawNumber by its JavaScript number, as JSON.parse would have read it. */
function numbersAsJs(value: RawJsonValue): unknown {
  if (value instanceof RawNumber) return value.value;
  if (Array.isArray(value)) return value.map(numbersAsJs);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, numbersAsJs(v)]));
  return value;
}

// Pairs [token, output] printed by CPython 3.11 here:
//   python3 -c 'import json; print(json.dumps(json.loads(TOKEN)))'
const PYTHON_NUMBERS: [string, string][] = [
  ["1.0", "1.0"],
  ["1e5", "100000.0"],
  ["1E400", "Infinity"],
  ["-1E400", "-Infinity"],
  ["-0.0", "-0.0"],
  ["-0", "0"],
  ["0", "0"],
  ["10.50", "10.5"],
  ["0.1", "0.1"],
  ["1e-5", "1e-05"],
  ["0.0001", "0.0001"],
  ["0.00001234", "1.234e-05"],
  ["1e16", "1e+16"],
  ["1e15", "1000000000000000.0"],
  ["9999999999999998.0", "9999999999999998.0"],
  ["123456789012345678901234567890", "123456789012345678901234567890"],
  ["-9007199254740993", "-9007199254740993"],
  ["1.5e300", "1.5e+300"],
  ["5e-324", "5e-324"],
  ["2.5E-7", "2.5e-07"],
  ["1.7976931348623157e308", "1.7976931348623157e+308"],
  ["123456.789e3", "123456789.0"],
  ["0.30000000000000004", "0.30000000000000004"],
  ["9007199254740993.0", "9007199254740992.0"],
  ["1e+2", "100.0"],
  ["1E-0", "1.0"],
  ["12345678901234567e-1", "1234567890123456.8"],
  ["1e-400", "0.0"],
  ["-1e-400", "-0.0"],
  ["0.0", "0.0"],
  ["-0.0e5", "-0.0"],
  ["100", "100"],
  ["1.5E+3", "1500.0"],
];

describe("JSON parsing that keeps numbers", () => {
  it("writes each number token as Python's json.dumps(json.loads(token))", () => {
    for (const [token, python] of PYTHON_NUMBERS) {
      assert.equal(canonicalJson(parseJsonKeepingNumbers(token)), python, token);
      assert.equal(pythonJsonDumps(parseJsonKeepingNumbers(`[${token}]`)), `[${python}]`, token);
    }
    // CPython: json.dumps(json.loads(TEXT), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    const text = '{"b":[1.0,{"x":2e0}],"a":12345678901234567890}';
    assert.equal(canonicalJson(parseJsonKeepingNumbers(text)), '{"a":12345678901234567890,"b":[1.0,{"x":2.0}]}');
  });

  it("reads what JSON.parse reads, to the same values", () => {
    fc.assert(fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
      const text = JSON.stringify(value, null, pretty ? "\t " : undefined);
      assert.deepEqual(numbersAsJs(parseJsonKeepingNumbers(text)), JSON.parse(text));
    }), { numRuns: 200 });
    const samples = ['{"__proto__": 1, "a": 2, "a": 3}', '"\\ud800\\u00e9\\/\\b"', " [ ] ", "-0", "1E+2", '{"k":[true,false,null]}'];
    for (const text of samples) assert.deepEqual(numbersAsJs(parseJsonKeepingNumbers(text)), JSON.parse(text), text);
    assert.equal(Object.getPrototypeOf(parseJsonKeepingNumbers('{"__proto__": {"x": 1}}')), Object.prototype);
  });

  it("refuses what JSON.parse refuses", () => {
    const bad = ["", " ", "01", "1.", ".5", "+1", "-", "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity", "[1,]", '{"a":1,}', "{a:1}", "'a'", '"\\x41"', '"\\u12"',
      '"a\nb"', '"unterminated', "[1 2]", '{"a" 1}', "tru", "nulll", "[", "]", "{}}", "\ufeff{}", "1 2", '"\\u00e9"x', "\u00a0[]", "[1,,2]"];
    for (const text of bad) {
      assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse should refuse ${JSON.stringify(text)}`);
      assert.throws(() => parseJsonKeepingNumbers(text), InvalidArgumentError, JSON.stringify(text));
    }
    fc.assert(fc.property(fc.string({ maxLength: 12 }), (text) => {
      let ok = true;
      try {
        JSON.parse(text);
      } catch {
        ok = false;
      }
      if (ok) assert.deepEqual(numbersAsJs(parseJsonKeepingNumbers(text)), JSON.parse(text));
      else assert.throws(() => parseJsonKeepingNumbers(text), InvalidArgumentError);
    }), { numRuns: 500 });
  });

  it("bounds size, depth and integer length", () => {
    const { JSON_MAX_CHARS, JSON_MAX_DEPTH, JSON_MAX_INT_DIGITS } = HIVEMIND_WIRE;
    assert.doesNotThrow(() => parseJsonKeepingNumbers("[".repeat(JSON_MAX_DEPTH) + "]".repeat(JSON_MAX_DEPTH)));
    assert.throws(() => parseJsonKeepingNumbers("[".repeat(JSON_MAX_DEPTH + 1) + "]".repeat(JSON_MAX_DEPTH + 1)), /nesting deeper than/);
    assert.throws(() => parseJsonKeepingNumbers(" ".repeat(JSON_MAX_CHARS) + "1"), /at most/);
    // Python's json.loads refuses integers over 4300 digits too (int_max_str_digits).
    assert.equal(canonicalJson(parseJsonKeepingNumbers("-" + "7".repeat(JSON_MAX_INT_DIGITS))), "-" + "7".repeat(JSON_MAX_INT_DIGITS));
    assert.throws(() => parseJsonKeepingNumbers("7".repeat(JSON_MAX_INT_DIGITS + 1)), /digits/);
  });

  it("a client agrees with a hub whose HANDSHAKE carries floats and big integers", async () => {
    // A Python hub sends json.dumps(payload): 1.0 stays 1.0, big integers keep every digit.
    const hub = await HiveMindHub.create({ password: "pw", nodeId: "n", kdf: { name: "pbkdf2", iterations: 1000 } });
    Object.assign(hub.handshake, { timeout: new RawNumber("1.0"), epoch: new RawNumber("12345678901234567890123") });
    Object.assign(hub.hello, { load: new RawNumber("0.50") });
    const client = await HiveMindClient.create({ password: "pw" });
    const handshakeText = pythonJsonDumps(hub.handshake);
    assert.match(handshakeText, /"timeout": 1\.0, "epoch": 12345678901234567890123/);
    const m1 = await client.start(pythonJsonDumps(hub.hello), handshakeText);
    const m3 = await client.receive(JSON.stringify(await hub.receive(JSON.stringify(m1))));
    assert.equal(await hub.receive(JSON.stringify(m3)), null);
    assert.ok(client.done && hub.done);
    assert.deepEqual(client.handshakeHash, hub.handshakeHash);
  });

  it("reads protocol versions and PBKDF2 iterations from parsed numbers", async () => {
    const hub = await HiveMindHub.create({ password: "pw", nodeId: "n", kdf: { name: "pbkdf2", iterations: 1000 } });
    const client = await HiveMindClient.create({ password: "pw" });
    const text = pythonJsonDumps(hub.handshake);
    await client.start(pythonJsonDumps(hub.hello), text.replace('"max_protocol_version": 3', '"max_protocol_version": 3.0'));
    const old = await HiveMindClient.create({ password: "pw" });
    await assert.rejects(old.start(pythonJsonDumps(hub.hello), text.replace('"max_protocol_version": 3', '"max_protocol_version": 2')), /protocol v3/);
    // Python's pbkdf2_hmac takes an int only.
    const floaty = await HiveMindClient.create({ password: "pw" });
    await assert.rejects(floaty.start(pythonJsonDumps(hub.hello), text.replace('"iterations": 1000', '"iterations": 1e3')), /iteration count/);
  });
});
