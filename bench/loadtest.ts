/**
 * `npm run loadtest`: N Fiber handshakes, then M encrypted requests, C in flight,
 * against `pmh serve` on 127.0.0.1: one instance (in-memory stores), then two instances
 * sharing one redis-server, keys sealed under a storage key (handshakes alternate
 * between them; each request goes to the instance that did not make its key). Reports throughput, latency percentiles,
 * errors and keys lost; exits 1 on any error or lost key. Bounded in count and time.
 *
 * With `--workers W` (W > 1) it also runs `pmh serve --workers W`: in-memory stores held by
 * the primary (against one process, in-memory), and over Redis (against one process on the
 * same Redis), and reports the scaling: W workers' throughput ÷ one process's, per phase.
 *
 *   npm run loadtest -- --handshakes 2000 --requests 20000 --concurrency 32 --max-seconds 300
 *   npm run loadtest -- --mode single --json
 *   npm run loadtest -- --workers 2
 */
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { randomBytes, toHex } from "../src/common/bytes.js";
import { FiberClient } from "../src/fiber/client.js";
import { Keypair } from "../src/fiber/keypair.js";
import { startServe, stopChild, type ServeChild } from "../test/helpers/cli.js";
import { hasRedisServer, RedisServer } from "../test/helpers/redis.js";
import { cpuSeconds, serverPids } from "./proc-cpu.js";
import { echoOnce, handshakeOnce, runPhase, type LoadSession, type PhaseReport } from "./loadtest-lib.js";

const MINER_SEED = "0x" + "4c".repeat(32);

const { values: args } = parseArgs({
  options: {
    handshakes: { type: "string", default: "1000" },
    requests: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "32" },
    validators: { type: "string", default: "16" },
    "max-seconds": { type: "string", default: "300" },
    mode: { type: "string", default: "both" },
    workers: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
  },
});

function count(name: keyof typeof args, min: number, max: number): number {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`loadtest: --${name} must be an integer from ${min} to ${max}`);
    process.exit(2);
  }
  return value;
}

const handshakes = count("handshakes", 1, 1_000_000);
const requests = count("requests", 0, 10_000_000);
const concurrency = count("concurrency", 1, 1024);
const validatorCount = count("validators", 1, 1024);
const maxSeconds = count("max-seconds", 1, 3600);
const workers = count("workers", 1, 64);
const mode = args.mode as string;
if (!["single", "redis", "both"].includes(mode)) {
  console.error("loadtest: --mode must be single, redis or both");
  process.exit(2);
}

/** One configuration's results. */
interface ModeReport {
  mode: string;
  instances: number;
  /** Worker processes of each instance (1: a single process). */
  workers: number;
  /** Load average (1 min) before and after. */
  load?: [number, number];
  /** CPU used per phase, in cores. */
  cpu?: CpuUse[];
  skipped?: string;
  phases: PhaseReport[];
}

/** CPU used during a phase, in cores (CPU seconds ÷ wall seconds): the load generator, and every miner process (NaN off Linux). */
interface CpuUse {
  phase: string;
  client: number;
  miner: number;
}

/** W workers' throughput ÷ one process's, for one phase, on the same stores. */
interface Scaling {
  stores: string;
  phase: string;
  workers: number;
  ratio: number;
}

const log = (line: string) => {
  if (!args.json) console.log(line);
};

/** Runs a phase, measuring the CPU (in cores) the load generator and the miner processes used. */
async function measured(pids: number[], phase: () => Promise<PhaseReport>): Promise<{ report: PhaseReport; cpu: CpuUse }> {
  const client = process.cpuUsage();
  const server = cpuSeconds(pids);
  const started = performance.now();
  const report = await phase();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(client);
  const round = (x: number) => Number(x.toFixed(2));
  return { report, cpu: { phase: report.phase, client: round((used.user + used.system) / 1e6 / seconds), miner: round((cpuSeconds(pids) - server) / seconds) } };
}

async function runMode(name: string, servers: ServeChild[], validators: Keypair[], miner: string, workerCount = 1): Promise<ModeReport> {
  const urls = servers.map((s) => s.url);
  const pids = serverPids(servers);
  const loadBefore = loadavg()[0]!;
  const deadline = performance.now() + maxSeconds * 1000;
  const clients = validators.map((keypair) => new FiberClient({ keypair, handshakeTimeoutMs: 30_000, timeoutMs: 30_000 }));
  const sessions: { session: LoadSession; instance: number }[] = [];
  const shakes = await measured(pids, () =>
    runPhase("handshakes", handshakes, concurrency, deadline, async (i) => {
      const v = i % validators.length;
      const instance = i % urls.length;
      sessions.push({ session: await handshakeOnce(clients[v]!, validators[v]!, urls[instance]!, miner), instance });
      return "ok";
    }),
  );
  log(line(name, shakes.report, shakes.cpu));
  const echoes = await measured(pids, () =>
    runPhase("encrypted requests", sessions.length === 0 ? 0 : requests, concurrency, deadline, (i) => {
      // Across instances when there are two: to the one that did not make the key.
      const { session, instance } = sessions[i % sessions.length]!;
      return echoOnce(session, urls[(instance + 1) % urls.length]!, miner, i);
    }),
  );
  log(line(name, echoes.report, echoes.cpu));
  const round = (x: number) => Number(x.toFixed(2));
  const load: [number, number] = [round(loadBefore), round(loadavg()[0]!)];
  log(`${name.padEnd(20)} load average (1 min) ${load[0].toFixed(1)} before, ${load[1].toFixed(1)} after`);
  return { mode: name, instances: urls.length, workers: workerCount, load, cpu: [shakes.cpu, echoes.cpu], phases: [shakes.report, echoes.report] };
}

function line(name: string, r: PhaseReport, cpu: CpuUse): string {
  const truncated = r.done < r.planned ? ` (time limit: ${r.done}/${r.planned})` : "";
  return `${name.padEnd(20)} ${r.phase.padEnd(19)} ${String(r.done).padStart(7)} in ${r.seconds.toFixed(1).padStart(6)} s = ${r.perSecond.toFixed(0).padStart(6)}/s   p50 ${r.p50.toFixed(1)} p90 ${r.p90.toFixed(1)} p99 ${r.p99.toFixed(1)} max ${r.max.toFixed(1)} ms   errors ${r.errors}   keys lost ${r.keysLost}   cpu: load generator ${cpu.client.toFixed(2)}, miner ${cpu.miner.toFixed(2)} cores${truncated}${r.sampleErrors.length ? `\n    e.g. ${r.sampleErrors[0]}` : ""}`;
}

function scale(stores: string, one: ModeReport, many: ModeReport): Scaling[] {
  return one.phases.map((p, i) => ({ stores, phase: p.phase, workers: many.workers, ratio: Number((many.phases[i]!.perSecond / p.perSecond).toFixed(3)) }));
}

async function withServers<T>(serveArgs: string[][], body: (servers: ServeChild[]) => Promise<T>): Promise<T> {
  const servers: ServeChild[] = [];
  try {
    for (const extra of serveArgs) servers.push(await startServe(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, ...extra]));
    return await body(servers);
  } finally {
    await Promise.all(servers.map((s) => stopChild(s.child)));
  }
}

async function main(): Promise<number> {
  const miner = (await Keypair.fromSeed(MINER_SEED)).ss58Address;
  const validators = await Promise.all(Array.from({ length: validatorCount }, () => Keypair.generate()));
  log(`loadtest: ${handshakes} handshakes + ${requests} encrypted requests, ${concurrency} in flight, ${validatorCount} validators, at most ${maxSeconds} s per configuration`);
  log(`machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}, Node ${process.version}; client and servers share it`);
  const reports: ModeReport[] = [];
  const scaling: Scaling[] = [];
  const cluster = ["--workers", String(workers)];
  if (mode !== "redis") {
    const one = await withServers([[]], (servers) => runMode("1 instance, memory", servers, validators, miner));
    reports.push(one);
    if (workers > 1) {
      const many = await withServers([cluster], (servers) => runMode(`${workers} workers, memory`, servers, validators, miner, workers));
      reports.push(many);
      scaling.push(...scale("memory (held by the primary)", one, many));
    }
  }
  if (mode !== "single") {
    if (!hasRedisServer) {
      reports.push({ mode: "2 instances, Redis", instances: 2, workers: 1, skipped: "redis-server not installed: apt-get install redis-server", phases: [] });
      log("2 instances, Redis: skipped (redis-server not installed: apt-get install redis-server)");
    } else {
      const redis = await RedisServer.start();
      try {
        // As in production: keys and the RSA key sealed at rest under a storage key.
        const shared = ["--redis", redis.url, "--storage-key", toHex(randomBytes(32))];
        reports.push(await withServers([shared, shared], (servers) => runMode("2 instances, Redis", servers, validators, miner)));
        if (workers > 1) {
          const one = await withServers([shared], (servers) => runMode("1 instance, Redis", servers, validators, miner));
          const many = await withServers([[...shared, ...cluster]], (servers) => runMode(`${workers} workers, Redis`, servers, validators, miner, workers));
          reports.push(one, many);
          scaling.push(...scale("Redis", one, many));
        }
      } finally {
        await redis.dispose();
      }
    }
  }
  for (const s of scaling) log(`scaling: ${s.stores}, ${s.phase}: ${s.workers} workers = ${s.ratio.toFixed(2)}× one process`);
  if (scaling.length > 0) log(`load average at the end ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  const failed = reports.some((r) => r.phases.some((p) => p.errors > 0 || p.keysLost > 0));
  if (args.json) console.log(JSON.stringify({ handshakes, requests, concurrency, validators: validatorCount, maxSeconds, workers, cpus: cpus().length, node: process.version, failed, reports, scaling }));
  else log(failed ? "FAILED: errors or lost keys" : "ok: no errors, no keys lost");
  return failed ? 1 : 0;
}

process.exitCode = await main();
