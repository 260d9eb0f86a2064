/**
 * A strict JSON parser that keeps each number's source text, so a payload received from
 * a Python peer can be re-serialised as Python would (`1.0` stays a float, big integers
 * keep every digit). It accepts exactly what `JSON.parse` accepts, within a size and a
 * nesting bound.
 *
 * @module
 */
import { InvalidArgumentError } from "../common/errors.js";
import { JSON_MAX_CHARS, JSON_MAX_DEPTH, JSON_MAX_INT_DIGITS } from "./constants.js";

/** A JSON number as received: its source text, read with {@link RawNumber.value}. */
export class RawNumber {
  /** The number token exactly as received, e.g. `1.0`, `-0`, `123456789012345678901`. */
  readonly source: string;

  /** @param source - a JSON number token (not checked here; the parser checks it) */
  constructor(source: string) {
    this.source = source;
  }

  /** True for an integer token (no fraction, no exponent): Python parses it as `int`. */
  get isInteger(): boolean {
    return !/[.eE]/.test(this.source);
  }

  /** The value as a JavaScript number (rounded as `JSON.parse` would). */
  get value(): number {
    return Number(this.source);
  }
}

/** A JSON value parsed by {@link parseJsonKeepingNumbers}. */
export type RawJsonValue = null | boolean | string | RawNumber | RawJsonValue[] | { [key: string]: RawJsonValue };

/** The numeric value of a parsed number or a JavaScript number; `undefined` for anything else. */
export function jsonNumber(value: unknown): number | undefined {
  if (value instanceof RawNumber) return value.value;
  return typeof value === "number" ? value : undefined;
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const STRING_RUN = /[^"\\\x00-\x1f]*/y;
const WHITESPACE = /[ \t\n\r]*/y;
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/**
 * Parses JSON text, keeping numbers as {@link RawNumber}s.
 * @param text - the JSON text
 * @throws InvalidArgumentError for anything `JSON.parse` refuses, text over
 *   `JSON_MAX_CHARS` characters, nesting deeper than `JSON_MAX_DEPTH`, or an integer
 *   longer than Python accepts (`JSON_MAX_INT_DIGITS` digits)
 */
export function parseJsonKeepingNumbers(text: string): RawJsonValue {
  if (typeof text !== "string") throw new InvalidArgumentError("JSON text must be a string");
  if (text.length > JSON_MAX_CHARS) throw new InvalidArgumentError(`JSON text must be at most ${JSON_MAX_CHARS} characters, got ${text.length}`);
  let at = 0;
  const fail = (what: string): never => {
    throw new InvalidArgumentError(`invalid JSON at position ${at}: ${what}`);
  };
  const match = (pattern: RegExp): string => {
    pattern.lastIndex = at;
    const found = pattern.exec(text)?.[0] ?? "";
    at += found.length;
    return found;
  };
  const skipSpace = () => match(WHITESPACE);
  const expect = (char: string) => {
    if (text[at] !== char) fail(`expected ${JSON.stringify(char)}`);
    at++;
  };
  const literal = (word: string, value: null | boolean) => {
    if (!text.startsWith(word, at)) fail("unexpected token");
    at += word.length;
    return value;
  };
  const string = (): string => {
    expect('"');
    let out = "";
    for (;;) {
      out += match(STRING_RUN);
      const char = text[at++];
      if (char === '"') return out;
      if (char !== "\\") return fail(char === undefined ? "unterminated string" : "control character in string");
      const escape = text[at++] ?? "";
      if (Object.hasOwn(ESCAPES, escape)) out += ESCAPES[escape];
      else if (escape === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(at, at + 4))) {
        out += String.fromCharCode(parseInt(text.slice(at, at + 4), 16));
        at += 4;
      } else fail("bad escape in string");
    }
  };
  const number = (): RawNumber => {
    const token = match(NUMBER);
    if (token === "" || token === "-") fail("unexpected token");
    const raw = new RawNumber(token);
    if (raw.isInteger && token.replace("-", "").length > JSON_MAX_INT_DIGITS) fail(`integer longer than ${JSON_MAX_INT_DIGITS} digits`);
    return raw;
  };
  const value = (depth: number): RawJsonValue => {
    skipSpace();
    const char = text[at];
    if (char === "{" || char === "[") {
      if (depth >= JSON_MAX_DEPTH) fail(`nesting deeper than ${JSON_MAX_DEPTH}`);
      return char === "{" ? object(depth + 1) : array(depth + 1);
    }
    if (char === '"') return string();
    if (char === "t") return literal("true", true);
    if (char === "f") return literal("false", false);
    if (char === "n") return literal("null", null);
    return number();
  };
  const items = (close: string, item: () => void) => {
    at++;
    skipSpace();
    if (text[at] === close) return void at++;
    for (;;) {
      item();
      skipSpace();
      if (text[at] === close) return void at++;
      expect(",");
    }
  };
  const array = (depth: number): RawJsonValue[] => {
    const out: RawJsonValue[] = [];
    items("]", () => out.push(value(depth)));
    return out;
  };
  const object = (depth: number): { [key: string]: RawJsonValue } => {
    const out: { [key: string]: RawJsonValue } = {};
    items("}", () => {
      skipSpace();
      const key = string();
      skipSpace();
      expect(":");
      // defineProperty: a "__proto__" key is data, as JSON.parse makes it.
      Object.defineProperty(out, key, { value: value(depth), enumerable: true, writable: true, configurable: true });
    });
    return out;
  };
  const result = value(0);
  skipSpace();
  if (at !== text.length) fail("unexpected data after the JSON value");
  return result;
}
