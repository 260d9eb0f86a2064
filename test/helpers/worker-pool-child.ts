/**
 * A WorkerPool for test/fiber-node-worker-pool.test.ts. MODE=fail: every worker reports a start
 * failure. MODE=crash: workers listen; the first worker of slot 1 exits with code 3 once
 * asked, and is replaced; then the pool is stopped. The primary prints one JSON line.
 */
import cluster from "node:cluster";
import { createServer } from "node:http";
import { drainWhenAsked, reportStartFailure, WorkerPool, WorkerStartError, workerSlot } from "../../src/fiber/node/worker-pool.js";

const mode = process.env.MODE;
if (cluster.isPrimary) {
  const lines: string[] = [];
  const log = (line: string) => lines.push(line.replace(/pid \d+/g, "pid P"));
  try {
    const pool = await WorkerPool.start({ count: 2, log, maxRestartDelayMs: 50 });
    const first = pool.pids[0]!;
    for (const id in cluster.workers) if (cluster.workers[id]!.process.pid === first) cluster.workers[id]!.send({ crash: true });
    while (pool.pids[0] === undefined || pool.pids[0] === first || lines.filter((l) => l.endsWith("listening")).length < 3) await new Promise((r) => setTimeout(r, 20));
    const served = await pool.stop();
    console.log(JSON.stringify({ port: typeof pool.port, lines, served: [...served] }));
  } catch (error) {
    console.log(JSON.stringify({ error: (error as Error).name, message: (error as Error).message, exitCode: (error as WorkerStartError).exitCode, lines }));
  }
} else if (mode === "fail") {
  await reportStartFailure(`slot ${workerSlot()} cannot start`, 2);
  process.exit(2);
} else {
  const server = createServer((_req, res) => res.end("ok")).listen(0, "127.0.0.1");
  process.on("message", (m: { crash?: boolean }) => m.crash && process.exit(3));
  drainWhenAsked(() => new Promise<void>((resolve) => server.close(() => resolve())), () => 40 + workerSlot()!);
}
