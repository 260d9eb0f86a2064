/** The worker pool behind `pmh serve --workers`, in real cluster processes. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("./helpers/worker-pool-child.ts", import.meta.url));

function run(mode: string): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", script], { encoding: "utf8", timeout: 50_000, env: { ...process.env, MODE: mode } }, (error, out, err) =>
      error ? reject(new Error(`${error.message}\n${err}`)) : resolve(JSON.parse(out.trim().split("\n").at(-1)!)),
    );
  });
}

describe("WorkerPool", { timeout: 60_000 }, () => {
  it("fails to start with the message and exit code a worker reported", async () => {
    const r = await run("fail");
    assert.equal(r.error, "WorkerStartError");
    assert.match(r.message, /^slot [12] cannot start$/);
    assert.equal(r.exitCode, 2);
  });
  it("replaces a worker that exits, and drains every worker on stop", async () => {
    const r = await run("crash");
    assert.equal(r.port, "number");
    const lines = r.lines as string[];
    assert.equal(lines.filter((l) => l.endsWith("listening")).length, 3, lines.join("\n"));
    assert.ok(lines.some((l) => /^worker 1 \(pid P\) exited with code 3; starting a new one/.test(l)), lines.join("\n"));
    assert.deepEqual(lines.filter((l) => l.includes("drained")).sort(), ["worker 1 (pid P) drained after 41 requests", "worker 2 (pid P) drained after 42 requests"]);
    assert.deepEqual(r.served, [[1, 41], [2, 42]]);
  });
});
