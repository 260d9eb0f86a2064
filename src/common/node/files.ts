/**
 * File access for `poorman-handshake/node`: reads whose every failure is a
 * {@link FileError} naming the path and what was expected there, and crash-safe
 * small-file writes (a temporary file in the same folder, written, fsynced and renamed
 * over the target, so a reader sees the old file or the new one, never a truncated one).
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { FileError } from "../errors.js";

/** Mode of every secret file we write: read and write for the owner only. */
export const PRIVATE_FILE_MODE = 0o600;

const REASONS: Record<string, string> = {
  ENOENT: "no such file or folder",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a folder, not a file",
  ENOTDIR: "a parent of it is not a folder",
  EEXIST: "already exists",
  EROFS: "is on a read-only file system",
  ENOSPC: "no space left on the device",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the name is too long",
  EMFILE: "too many open files",
};

/** ENOENT from creating something in a folder that exists: a special file system (/proc) refused it. */
const CANNOT_CREATE = { ENOENT: "cannot be created there (the file system refused it)" };

/**
 * Turns a Node file-system error into a {@link FileError} (a `FileError` is kept as is).
 * @param error - what Node threw
 * @param path - the file or folder concerned
 * @param expected - what should have been there, e.g. "an RSA key file (PEM)"
 * @param reasons - better words for some codes in this context
 */
export function fileError(error: unknown, path: string, expected: string, reasons: Record<string, string> = {}): FileError {
  if (error instanceof FileError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = (code !== undefined && (reasons[code] ?? REASONS[code])) || (error instanceof Error ? error.message : String(error));
  return new FileError(path, `${path}: ${reason}; expected ${expected}`, code, { cause: error });
}

/** True when `error` says the file does not exist (a {@link FileError} or Node's own). */
export function isMissingFile(error: unknown): boolean {
  const e = error as { systemCode?: unknown; code?: unknown } | undefined;
  return error instanceof FileError ? e?.systemCode === "ENOENT" : e?.code === "ENOENT";
}

/**
 * Opens a regular file for reading. A folder is refused at once (Node's `readFile`
 * would fail later with an `EISDIR` that names no path).
 * @param path - the file
 * @param expected - what the file should be, for messages
 */
export async function openRegularFile(path: string, expected: string): Promise<{ handle: FileHandle; mode: number }> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, "r");
    const info = await handle.stat();
    if (info.isDirectory()) throw Object.assign(new Error("is a folder"), { code: "EISDIR" });
    return { handle, mode: info.mode };
  } catch (error) {
    await handle?.close();
    throw fileError(error, path, expected);
  }
}

/**
 * Reads a whole file.
 * @param path - the file
 * @param expected - what the file should be, for messages
 * @returns its bytes and its mode bits
 * @throws FileError naming the path
 */
export async function readFileChecked(path: string, expected: string): Promise<{ bytes: Buffer; mode: number }> {
  const { handle, mode } = await openRegularFile(path, expected);
  try {
    return { bytes: await handle.readFile(), mode };
  } catch (error) {
    throw fileError(error, path, expected);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a UTF-8 text file.
 * @param path - the file
 * @param expected - what the file should be, for messages
 * @throws FileError naming the path and what was expected
 */
export async function readTextFile(path: string, expected = "a readable file"): Promise<string> {
  return (await readFileChecked(path, expected)).bytes.toString("utf8");
}

/**
 * Makes sure `folder` exists, creating missing parents one at a time (mode 0700). We
 * check first rather than use `mkdir({ recursive: true })`: on `/proc` and other
 * special file systems that call loops forever.
 * @throws FileError when a parent is not a folder or a folder cannot be created
 */
export async function ensureFolder(folder: string): Promise<void> {
  const missing: string[] = [];
  for (let current = resolve(folder); ; ) {
    const info = await stat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw fileError(error, current, "a folder");
    });
    if (info !== undefined) {
      if (!info.isDirectory()) throw fileError(Object.assign(new Error("not a folder"), { code: "ENOTDIR" }), current, "a folder");
      break;
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const created of missing.reverse()) {
    try {
      await mkdir(created, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST" && (await stat(created).catch(() => undefined))?.isDirectory()) continue;
      throw fileError(error, created, "a folder that can be created", CANNOT_CREATE);
    }
  }
}

/**
 * Writes `data` to `path` atomically with mode 0600, creating parent folders.
 * @param path - the target file
 * @param data - the whole new content
 * @throws FileError naming the path when it cannot be written
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const folder = dirname(path);
  await ensureFolder(folder);
  const temp = join(folder, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const expected = "a file that can be written";
  const file = await open(temp, "wx", PRIVATE_FILE_MODE).catch((error: unknown) => Promise.reject(fileError(error, path, expected, CANNOT_CREATE)));
  try {
    await file.writeFile(data);
    await file.chmod(PRIVATE_FILE_MODE); // the umask may have narrowed or the fs ignored the mode
    await file.sync();
  } catch (error) {
    await file.close();
    await unlink(temp).catch(() => {});
    throw fileError(error, path, expected);
  }
  await file.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw fileError(error, path, expected);
  }
  await syncFolder(folder);
}

/** Makes the rename durable; some platforms (Windows) cannot open a folder, which is fine. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}
