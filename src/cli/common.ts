/**
 * What every `pmh` command shares: exit codes, one-line errors and `--json` output.
 * The Fiber commands' hotkey options are in `./hotkeys.js`, so that the commands that
 * take none (`hub`, `connect`, `keygen`…) do not load the Fiber modules.
 *
 * @module
 */
import { Command, InvalidArgumentError as CommanderArgumentError } from "commander";
import { FileError, HandshakeRejectedError, HttpStatusError, InvalidArgumentError, KeyFormatError, NetworkError, RequestTimeoutError, ResponseTooLargeError } from "../common/errors.js";

/** Exit codes of `pmh`; documented in `pmh --help` and the README. */
export const EXIT = {
  /** Success (and, for `demo`, every pair of parties agreed). */
  ok: 0,
  /** The operation failed: a demo pair disagreed, a server could not start, an unexpected error. */
  failed: 1,
  /** Bad usage or input: unknown option, bad value, unreadable or malformed file, file exists. */
  usage: 2,
  /** The peer refused: an HTTP error status, a handshake it could not prove, an unusable or oversized answer. */
  refused: 3,
  /** The peer could not be reached in time: connection refused, reset, timeout. */
  unreachable: 4,
} as const;

/** The `--help` paragraph listing the exit codes. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the operation failed (a demo pair disagreed, the server could not start)
  2  bad usage or input (bad option, unreadable or malformed file, file exists)
  3  the peer refused (HTTP error status, unproven handshake, unusable answer)
  4  the peer could not be reached (connection refused, timeout)`;

/** A usage or input error raised by a command itself (exit code 2). */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The exit code that fits an error. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof InvalidArgumentError || error instanceof KeyFormatError || error instanceof FileError) return EXIT.usage;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT" || code === "EEXIST" || code === "EACCES" || code === "EISDIR" || code === "ENOTDIR") return EXIT.usage;
  if (error instanceof HttpStatusError || error instanceof HandshakeRejectedError || error instanceof ResponseTooLargeError) return EXIT.refused;
  if (error instanceof NetworkError || error instanceof RequestTimeoutError) return EXIT.unreachable;
  return EXIT.failed;
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: "no such file or folder",
  EACCES: "permission denied",
  EISDIR: "is a folder, not a file",
  ENOTDIR: "a parent is not a folder",
  EEXIST: "already exists",
};

/** One line, no stack: the message of an error (Node's file errors as `path: reason`). */
export function messageOf(error: unknown): string {
  const { code, path } = (error ?? {}) as NodeJS.ErrnoException;
  if (code !== undefined && path !== undefined && FILE_ERRORS[code] !== undefined) return `${path}: ${FILE_ERRORS[code]}`;
  const text = (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
  // fetch says only "fetch failed"; the reason (ECONNREFUSED…) is deeper in the causes.
  for (let cause = (error as Error | undefined)?.cause; cause instanceof Error; cause = cause.cause) {
    const reason = (cause as NodeJS.ErrnoException).code;
    if (typeof reason === "string" && !text.includes(reason)) return `${text} (${reason})`;
  }
  return text;
}

/**
 * Wraps a command's action: any error becomes `pmh <name>: <message>` on stderr and
 * the exit code that fits it; the action may return its own exit code.
 */
export function action<A extends unknown[]>(name: string, run: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = (await run(...args)) ?? EXIT.ok;
    } catch (error) {
      console.error(`pmh ${name}: ${messageOf(error)}`);
      process.exitCode = exitCodeOf(error);
    }
  };
}

/**
 * Commander's usage errors (`error: unknown option '--x'`) in the style of every other
 * error: `pmh <command>: <message>`, one line.
 */
export function oneErrorStyle(prefix: string, text: string): string {
  return `${prefix}: ${text.replace(/^error: /, "")}`;
}

/** Reads all of standard input as UTF-8 (for `-` arguments). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Prints a value as one line of JSON (for `--json`). */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value));
}

/** Adds `--json` to a command. */
export function jsonOption(command: Command): Command {
  return command.option("--json", "print one JSON object instead of text (for scripts)");
}

/**
 * Moves PEM text arguments (which begin with `-----`) behind `--`, so that commander
 * does not take them for options: `pmh fingerprint "$(cat key.pem)"` just works.
 */
export function pemArgumentsLast(argv: string[]): string[] {
  if (argv.includes("--")) return argv;
  const pems = argv.filter((arg, i) => i >= 2 && arg.startsWith("-----BEGIN"));
  return pems.length === 0 ? argv : [...argv.filter((arg) => !pems.includes(arg)), "--", ...pems];
}

/** A positive integer option parser. */
export function parseInteger(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) throw new CommanderArgumentError(`must be an integer from ${min} to ${max}`);
    return Number(value);
  };
}

/**
 * On the first SIGINT or SIGTERM: logs `<signal>, <doing>`, runs `close`, then logs
 * "closed", or one `pmh <command>: could not close cleanly: ...` line and a failing exit code.
 */
export function closeOnSignals(command: string, log: (line: string) => void, doing: string, close: () => Promise<void>): void {
  const stop = (signal: string) => {
    log(`${signal}, ${doing}`);
    void close().then(
      () => log("closed"),
      (error: unknown) => {
        console.error(`pmh ${command}: could not close cleanly: ${messageOf(error)}`);
        process.exitCode = EXIT.failed;
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}
