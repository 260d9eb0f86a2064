/**
 * Splits streamed text into lines as httpx's `aiter_lines` does (httpx >= 0.24, which
 * Fiber's `make_streamed_post` uses): Python's `str.splitlines` applied incrementally.
 *
 * @module
 */
import { aint } from "../common/bytes.js";
import { ProtocolError } from "../common/errors.js";
import { LINE_BREAKS } from "./constants.js";

/** One line break: `\r\n` first, so it counts as one. */
const BREAK = `\r\n|[${LINE_BREAKS}]`;
/** Default longest line kept by a {@link LineSplitter}, in UTF-16 code units (16 Mi). */
export const DEFAULT_MAX_LINE_LENGTH = 16 * 1024 * 1024;

/**
 * Splits a whole text as Python's `str.splitlines()`: every break of {@link LINE_BREAKS}
 * ends a line (`\r\n` is one break), lines are returned without their break, and a
 * final break does not add an empty line.
 */
export function splitLines(text: string): string[] {
  const splitter = new LineSplitter({ maxLineLength: Number.MAX_SAFE_INTEGER });
  return [...splitter.push(text), ...splitter.flush()];
}

/** Options of {@link LineSplitter}. */
export interface LineSplitterOptions {
  /** Longest unterminated line held; {@link DEFAULT_MAX_LINE_LENGTH} by default. */
  maxLineLength?: number | undefined;
}

/**
 * An incremental line splitter: feed it decoded text in any chunks with
 * {@link LineSplitter.push}, then call {@link LineSplitter.flush} at the end. The lines
 * are the same however the text was chunked, and the same as {@link splitLines}.
 */
export class LineSplitter {
  readonly #break = new RegExp(BREAK, "gu");
  readonly #maxLength: number;
  #pending = "";

  /** @param options - see {@link LineSplitterOptions} */
  constructor(options: LineSplitterOptions = {}) {
    this.#maxLength = aint(options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH, "options.maxLineLength", 1);
  }

  /**
   * Adds text and returns the lines it completed. A trailing `\r` is held back until the
   * next chunk shows whether a `\n` follows it.
   * @throws ProtocolError when a line grows past the maximum length
   */
  push(text: string): string[] {
    const rest = this.#pending + text;
    const lines: string[] = [];
    let start = 0;
    // The held text has no break but perhaps a final `\r`: scan only from there.
    this.#break.lastIndex = Math.max(0, this.#pending.length - 1);
    for (let match = this.#break.exec(rest); match !== null; match = this.#break.exec(rest)) {
      // A lone `\r` at the very end may be the first half of `\r\n`.
      if (match[0] === "\r" && match.index === rest.length - 1) break;
      lines.push(rest.slice(start, match.index));
      start = match.index + match[0].length;
    }
    this.#pending = rest.slice(start);
    if (this.#pending.length > this.#maxLength) throw new ProtocolError(`a streamed line is longer than ${this.#maxLength} characters`);
    return lines;
  }

  /** Ends the text: returns the unterminated last line, if any (a held `\r` ends one). */
  flush(): string[] {
    const rest = this.#pending;
    this.#pending = "";
    if (rest === "") return [];
    return [rest.endsWith("\r") ? rest.slice(0, -1) : rest];
  }
}
