/** Runs the built `pmh` binary: `pmh serve` children that print their URL, and signals. */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built CLI. */
export const PMH_BIN = fileURLToPath(new URL("../../dist/cli/pmh.js", import.meta.url));

/** A running `pmh serve`. */
export interface ServeChild {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far. */
  output: () => string;
}

/** Starts `pmh serve` on 127.0.0.1 (port 0 unless `args` say otherwise); resolves once it prints "listening". */
export function startServe(args: string[]): Promise<ServeChild> {
  const child = spawn(process.execPath, [PMH_BIN, "serve", "--host", "127.0.0.1", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 15 s: ${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
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

/** What a finished `pmh` run gave. */
export interface PmhRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `pmh args…` without blocking this process, `input` on its standard input. */
export function runPmh(args: string[], input?: string, env: Record<string, string> = {}): Promise<PmhRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [PMH_BIN, ...args], { encoding: "utf8", timeout: 30_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(input ?? "");
  });
}
