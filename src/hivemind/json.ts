/**
 * Python-identical JSON serialisation (`json.dumps`), for the bytes HiveMind hashes
 * into the Noise prologue and the frames the legacy transport writes.
 *
 * JavaScript values map to Python's as JSON would: integral numbers (and bigints) are
 * written as integers, other numbers like Python's `repr(float)`, `NaN`/`Infinity` as
 * Python writes them. A JavaScript number cannot remember a Python `1.0`, so payloads
 * received from a peer are parsed with {@link parseJsonKeepingNumbers}: a
 * {@link RawNumber} is written as Python writes the value it parses from that token
 * (`int` tokens exactly, float tokens as `repr(float)`: `1.0`, `1e5` → `100000.0`).
 *
 * @module
 */
import { InvalidArgumentError } from "../common/errors.js";
import { RawNumber } from "./json-parse.js";

/** Options of {@link pythonJsonDumps}, named after Python's. */
export interface PythonJsonOptions {
  /** `sort_keys`: sort object keys by code point (Python's order). Default false. */
  sortKeys?: boolean | undefined;
  /** `separators`: `[item, key]`. Default `[", ", ": "]`. */
  separators?: readonly [string, string] | undefined;
  /** `ensure_ascii`: escape every non-ASCII character as `\uXXXX`. Default true. */
  ensureAscii?: boolean | undefined;
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };
const ESCAPE = /["\\\x00-\x1f]/g;
const ESCAPE_ASCII = /["\\]|[^ -~]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const unicodeEscape = (unit: number) => `\\u${unit.toString(16).padStart(4, "0")}`;

function escapeChar(char: string): string {
  // Astral characters arrive here as a surrogate pair; Python writes each half.
  return (Object.hasOwn(SHORT_ESCAPES, char) ? SHORT_ESCAPES[char] : undefined) ?? Array.from({ length: char.length }, (_, i) => unicodeEscape(char.charCodeAt(i))).join("");
}

/** Printable ASCII but `"` and `\`: what both of Python's string encoders copy as it is. */
const PLAIN_ASCII = /^[ !#-[\]-~]*$/;

/** Python's `json.encoder.encode_basestring(_ascii)`. */
function pythonString(text: string, ensureAscii: boolean): string {
  if (PLAIN_ASCII.test(text)) return `"${text}"`;
  if (ensureAscii) return `"${text.replace(ESCAPE_ASCII, escapeChar)}"`;
  if (LONE_SURROGATE.test(text)) {
    // Python could not encode the result to UTF-8 either.
    throw new InvalidArgumentError("JSON strings must be well-formed Unicode (a lone surrogate was found)");
  }
  return `"${text.replace(ESCAPE, escapeChar)}"`;
}

/** Python's `float.__repr__`: shortest round-trip digits, exponent outside 1e-4 ≤ |x| < 1e16. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (Object.is(value, -0)) return "-0.0";
  const [mantissa, exponentText] = value.toExponential().split("e") as [string, string];
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  let body: string;
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
    body = `${digits[0]}${fraction}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  } else if (exponent < 0) {
    body = `0.${"0".repeat(-exponent - 1)}${digits}`;
  } else {
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
    body = `${whole}.${digits.slice(exponent + 1) || "0"}`;
  }
  return negative ? `-${body}` : body;
}

function pythonNumber(value: number): string {
  if (Number.isSafeInteger(value)) return String(value);
  if (Number.isInteger(value)) return BigInt(value).toString(); // every digit: 1e21 → 1000000000000000000000
  return pythonFloatRepr(value);
}

/** What Python's `json.dumps(json.loads(token))` writes: an exact `int`, or `repr(float)`. */
function pythonRawNumber(number: RawNumber): string {
  return number.isInteger ? BigInt(number.source).toString() : pythonFloatRepr(number.value);
}

/** Compares two strings by Unicode code point (Python's `str` order), not UTF-16 unit. */
export function compareCodePoints(a: string, b: string): number {
  // UTF-16 order is code-point order unless the first difference involves a surrogate.
  for (let i = 0; i < a.length && i < b.length; i++) {
    const [ca, cb] = [a.charCodeAt(i), b.charCodeAt(i)];
    if (ca === cb) continue;
    if ((ca & 0xf800) !== 0xd800 && (cb & 0xf800) !== 0xd800) return ca - cb;
    return compareBySurrogatePairs(a, b);
  }
  return a.length - b.length;
}

function compareBySurrogatePairs(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * Serialises `value` exactly as Python's `json.dumps(value, ...)` with the same options.
 * @param value - null, booleans, numbers, bigints, {@link RawNumber}s, strings, arrays and plain objects
 * @throws InvalidArgumentError for other values (undefined, functions, symbols, cycles)
 */
export function pythonJsonDumps(value: unknown, options: PythonJsonOptions = {}): string {
  const { sortKeys = false, separators = [", ", ": "], ensureAscii = true } = options;
  const [itemSeparator, keySeparator] = separators;
  const seen = new Set<object>();
  // The keys and indexes down to the value being written; joined into a path only for an error.
  const trail: (string | number)[] = [];
  const path = () => trail.reduce<string>((at, step) => (typeof step === "number" ? `${at}[${step}]` : `${at}.${step}`), "value");
  const encode = (v: unknown): string => {
    if (v === null) return "null";
    if (v === true) return "true";
    if (v === false) return "false";
    if (typeof v === "number") return pythonNumber(v);
    if (typeof v === "bigint") return v.toString();
    if (v instanceof RawNumber) return pythonRawNumber(v);
    if (typeof v === "string") return pythonString(v, ensureAscii);
    if (typeof v !== "object") throw new InvalidArgumentError(`${path()} cannot be written as JSON (${typeof v})`);
    if (seen.has(v)) throw new InvalidArgumentError(`${path()} is a circular reference`);
    seen.add(v);
    let out = "";
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        trail.push(i);
        out += (i === 0 ? "" : itemSeparator) + encode(v[i]);
        trail.pop();
      }
      out = `[${out}]`;
    } else {
      const keys = Object.keys(v);
      if (sortKeys) keys.sort(compareCodePoints);
      const record = v as Record<string, unknown>;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        trail.push(key);
        out += (i === 0 ? "" : itemSeparator) + pythonString(key, ensureAscii) + keySeparator + encode(record[key]);
        trail.pop();
      }
      out = `{${out}}`;
    }
    seen.delete(v);
    return out;
  };
  return encode(value);
}

/**
 * HiveMind's canonical JSON: `json.dumps(value, sort_keys=True, separators=(",", ":"),
 * ensure_ascii=False)`. Encode the result as UTF-8 for the prologue.
 */
export function canonicalJson(value: unknown): string {
  return pythonJsonDumps(value, { sortKeys: true, separators: [",", ":"], ensureAscii: false });
}
