/**
 * Crash-safe small-file writes: a temporary file in the same folder, written, fsynced
 * and renamed over the target, so a reader sees the old file or the new one, never a
 * truncated one.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Mode of every secret file we write: read and write for the owner only. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Reads a UTF-8 text file; every error names the path (Node's EISDIR, raised while
 * reading rather than opening, does not).
 * @param path - the file
 */
export async function readTextFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.path === undefined && e.code !== undefined) {
      e.path = path;
      e.message = `${e.message} '${path}'`;
    }
    throw e;
  }
}

/**
 * Writes `data` to `path` atomically with mode 0600, creating parent folders.
 * @param path - the target file
 * @param data - the whole new content
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const temp = join(folder, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const file = await open(temp, "wx", PRIVATE_FILE_MODE);
  try {
    await file.writeFile(data);
    await file.chmod(PRIVATE_FILE_MODE); // the umask may have narrowed or the fs ignored the mode
    await file.sync();
  } catch (error) {
    await file.close();
    await unlink(temp).catch(() => {});
    throw error;
  }
  await file.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
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
