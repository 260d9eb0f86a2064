/** Runs the built `pmh` binary: `pmh serve` children that print their URL, and signals. */
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built CLI. */
export const PMH_BIN = fileURLToPath(new URL("../../dist/cli/pmh.js", import.meta.url));

/** What a `pmh` run printed, and its exit code. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `pmh args…` without blocking this process (the test's own server must answer). */
export function pmh(args: string[], input?: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [PMH_BIN, ...args], { encoding: "utf8", timeout: 30_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(input ?? "");
  });
}

/** One-line error on stderr, no stack trace. */
export function assertOneLineError(run: Run, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, run.stderr);
  assert.match(run.stderr, pattern);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
}

/** A running `pmh serve`. */
export interface ServeChild {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far. */
  output: () => string;
}

/** Starts `pmh serve` on 127.0.0.1 (port 0 unless `args` say otherwise); resolves once it prints "listening". */
export function startServe(args: string[]): Promise<ServeChild> {
  return startListening(["serve", "--host", "127.0.0.1", "--port", "0", ...args], /listening on (http:\/\/127\.0\.0\.1:\d+)/);
}

/** Starts `pmh ARGS`; resolves once its output matches `listening` (group 1: the URL). */
export function startListening(args: string[], listening: RegExp): Promise<ServeChild> {
  const child = spawn(process.execPath, [PMH_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 15 s: ${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = listening.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${output}`));
    });
  });
}

/** Sends `signal` and resolves with the exit code (at once when the child already exited). */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill(signal);
  });
}

/**
 * `pmh serve … | head -1`: starts it, reads up to the "listening" line, then closes
 * the reading ends of its stdout and stderr, so that its next log line meets EPIPE.
 */
export async function startServeThenCloseOutput(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const { child, url } = await startServe(args);
  child.stdout!.destroy();
  child.stderr!.destroy();
  return { child, url };
}
