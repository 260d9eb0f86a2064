/**
 * One process at a time per file: `FILE.lock` holds `pid@host` of its owner. Two miners
 * sharing a `--store` file would overwrite each other's keys, so the second refuses to
 * start and names the first.
 *
 * The lock appears complete or not at all (written to a temporary file, then hard-linked
 * into place, which fails when a lock exists). A lock whose process is gone (same host, no
 * such pid) is stale and taken over without racing another starter: it is renamed to a
 * name of ours (only one racer can move it), checked to still be that stale lock, then
 * removed, and the takeover starts over with the exclusive link.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { StoreUnavailableError } from "../errors.js";
import { PRIVATE_FILE_MODE } from "./files.js";

/** Attempts before giving up when locks keep changing under us (other starters racing). */
const ATTEMPTS = 8;

/** The lock file of `path`. */
export function lockPathOf(path: string): string {
  return `${path}.lock`;
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException)?.code;
}

/** Whether the process named by a lock's text may still run ("unknown" when it cannot be told). */
function holderState(text: string): { state: "alive" | "gone" | "unknown"; who: string } {
  const match = /^(\d+)@(.*)\n?$/.exec(text);
  if (match === null) return { state: "unknown", who: `an unknown process (the lock holds ${JSON.stringify(text.slice(0, 40))})` };
  const pid = Number(match[1]);
  const host = match[2]!;
  if (host !== hostname()) return { state: "unknown", who: `process ${pid} on host ${host}` };
  if (pid === process.pid) return { state: "alive", who: `this process (${pid})` };
  try {
    process.kill(pid, 0);
    return { state: "alive", who: `process ${pid}` };
  } catch (error) {
    // EPERM: it runs, under another user.
    return { state: errno(error) === "EPERM" ? "alive" : "gone", who: `process ${pid}` };
  }
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (errno(error) === "ENOENT") return undefined;
    throw error;
  }
}

/** A held lock; {@link FileLock.release} gives it back. */
export class FileLock {
  /** The lock file. */
  readonly path: string;
  readonly #text: string;

  private constructor(path: string, text: string) {
    this.path = path;
    this.#text = text;
  }

  /**
   * Locks `path` for this process (creating its folder, mode 0700, if needed).
   * @param path - the file to protect (the lock is `path.lock`)
   * @throws StoreUnavailableError when another live process holds the lock (the message
   *   names it) or the lock cannot be taken
   */
  static async acquire(path: string): Promise<FileLock> {
    const lockPath = lockPathOf(path);
    const text = `${process.pid}@${hostname()}\n`;
    await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 });
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (await tryCreate(lockPath, text)) return new FileLock(lockPath, text);
      const held = await readIfThere(lockPath);
      if (held === undefined) continue; // released meanwhile
      const { state, who } = holderState(held);
      if (state !== "gone") {
        const unsure = state === "unknown" ? "; if it no longer runs, delete the lock file" : "";
        throw new StoreUnavailableError(`${path} is in use by ${who} (lock file ${lockPath}): stop it or use another file${unsure}`);
      }
      await removeStale(lockPath, held);
    }
    throw new StoreUnavailableError(`could not lock ${path}: ${lockPath} kept changing (other processes starting on the same file?)`);
  }

  /** Removes the lock file if it is still ours; never throws (the folder may be gone). */
  async release(): Promise<void> {
    try {
      if ((await readFile(this.path, "utf8")) === this.#text) await unlink(this.path);
    } catch {
      // already gone, or its folder was removed: nothing to give back
    }
  }
}

/** Creates the lock with its full text, or returns false when one exists. */
async function tryCreate(lockPath: string, text: string): Promise<boolean> {
  const temp = `${lockPath}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temp, text, { mode: PRIVATE_FILE_MODE, flag: "wx" });
  try {
    await link(temp, lockPath);
    return true;
  } catch (error) {
    if (errno(error) === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/** Removes a stale lock unless another starter replaced it meanwhile (then puts theirs back). */
async function removeStale(lockPath: string, stale: string): Promise<void> {
  const moved = `${lockPath}.${process.pid}.${randomBytes(4).toString("hex")}.stale`;
  try {
    await rename(lockPath, moved);
  } catch (error) {
    if (errno(error) === "ENOENT") return; // another starter removed it first
    throw error;
  }
  try {
    if ((await readFile(moved, "utf8")) !== stale) await link(moved, lockPath).catch(() => {}); // a live lock: give it back
  } finally {
    await unlink(moved).catch(() => {});
  }
}
