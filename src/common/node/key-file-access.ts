/**
 * Reading secret key files: each failure a `FileError` naming the path, and a warning
 * when the file is readable by its group or by others, as OpenSSH gives (we still use
 * the key: refusing would stop a running service over a mode bit).
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.js";
import type { PoormanWarning, WarningHandler } from "../warnings.js";
import { readFileChecked } from "./files.js";

/** Warning code: a private key file is readable by its group or by others. */
export const KEY_FILE_PERMISSIONS_WARNING = "POORMAN_KEY_FILE_PERMISSIONS";

/** Options of the key-file loaders of `poorman-handshake/node`. */
export interface KeyFileOptions {
  /**
   * Receives what is wrong but not fatal (a key file others can read, a corrupt key
   * file replaced), at every load. Without it, a `process` warning of the same code is
   * emitted, once per file and code in a process.
   */
  onWarning?: WarningHandler | undefined;
}

/**
 * Checks the options of a key-file loader.
 * @throws InvalidArgumentError when they are not an object or `onWarning` is not a function
 */
export function checkKeyFileOptions(options: unknown, name = "options"): KeyFileOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object") throw new InvalidArgumentError(`${name} must be an object`);
  const { onWarning } = options as KeyFileOptions;
  if (onWarning !== undefined && typeof onWarning !== "function") throw new InvalidArgumentError(`${name}.onWarning must be a function`);
  return options as KeyFileOptions;
}

/** What the default (no hook) already warned about: `code path`. */
const warned = new Set<string>();

/**
 * Gives a warning to the caller's hook, or else once as a `process` warning.
 * @param options - the caller's options
 * @param warning - the warning
 */
export function keyFileWarning(options: KeyFileOptions | undefined, warning: PoormanWarning): void {
  if (options?.onWarning !== undefined) {
    options.onWarning(warning);
    return;
  }
  const seen = `${warning.code} ${warning.path ?? ""}`;
  if (warned.has(seen)) return;
  warned.add(seen);
  process.emitWarning(warning.message, { code: warning.code, type: "PoormanKeyFileWarning" });
}

/**
 * Warns when a secret file's mode lets its group or others read it (never on Windows,
 * whose mode bits mean nothing of the kind).
 * @param path - the file
 * @param mode - its `stat` mode
 * @param options - the caller's options
 */
export function checkKeyFileMode(path: string, mode: number, options: KeyFileOptions | undefined): void {
  if (process.platform === "win32" || (mode & 0o077) === 0) return;
  const octal = (mode & 0o777).toString(8).padStart(4, "0");
  keyFileWarning(options, {
    code: KEY_FILE_PERMISSIONS_WARNING,
    path,
    message: `${path} holds a private key and is readable by others (mode ${octal}); it is used, but restrict it: chmod 600 ${path}`,
  });
}

/**
 * Reads a file that holds a secret (a key file), warning when others can read it.
 * @param path - the file
 * @param expected - what the file should hold, for messages
 * @param options - the caller's options
 * @throws FileError naming the path
 */
export async function readSecretTextFile(path: string, expected: string, options: KeyFileOptions | undefined): Promise<string> {
  const { bytes, mode } = await readFileChecked(path, expected);
  checkKeyFileMode(path, mode, options);
  return bytes.toString("utf8");
}
