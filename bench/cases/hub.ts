/**
 * The HiveMind hub (`serveHiveMind`) under load, in three processes: the hub
 * (bench/load/hub-server.mjs, plain node, so that its RSS is a hub's), the load generator
 * (bench/load/hub-load.ts: the nodes), and this one (the bounds, and the orchestration).
 * Rows, each with its correctness check before it is timed:
 * - repeat connects (PSK cached), XXpsk2 and KKpsk0, concurrency 8, against the Noise
 *   handshake of the same protocol alone, both sides, in this process (rate);
 * - 100-byte bus round trips, 32 in flight, against the same JSON frames answered by a raw
 *   `ws` server in the hub process, no crypto (rate);
 * - a BROADCAST from an admin node delivered to the 199 other nodes of 200, against a raw
 *   `ws` server sending the same inner message to 199 other sockets (deliveries/s);
 * - the hub process's RSS, idle and with 200 idle nodes; and that of `pmh hub` as deployed
 *   (the built command line, plain node), once its idle process has settled;
 * - honest round trips on a hub with the default `maxRelaysPerSecond` (100), without and
 *   with a node (a third process) flooding PROPAGATE, and connecting again each time the
 *   hub closes it for flooding.
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { derivePsk, protocolName } from "poorman-handshake/hivemind";
import { HandshakeState, noiseBackend, parseProtocolName } from "poorman-handshake/noise";
import { type Row, median, timeInterleaved } from "../harness.js";
import type { Credentials, HubLoadJob, HubLoadResult } from "../load/hub-load.js";
import { residentBytes } from "../proc-cpu.js";

const PASSWORD = "bench hub password, long enough";
const HUB_NODE_ID = "bench-hub"; // as bench/load/hub-server.mjs names its hubs
const SUITE = "25519_ChaChaPoly_SHA256";
const FAN = 200;

/** Counts of each phase: the full run, and the quick one of `test/bench-hub.test.ts` (checks only). */
const SIZES = {
  full: { rounds: 3, connects: 300, connectWarmup: 32, roundTrips: 4000, broadcasts: 60, floodRounds: 2, floodRoundTrips: 3000, cliSettleMs: 25_000 },
  quick: { rounds: 1, connects: 16, connectWarmup: 4, roundTrips: 200, broadcasts: 5, floodRounds: 1, floodRoundTrips: 300, cliSettleMs: 1000 },
};

/** Options of {@link hubBench}. */
export interface HubBenchOptions {
  /** Small counts, one round: the correctness checks without meaningful figures. */
  quick?: boolean;
  /** Extra arguments of the hub process (e.g. `--cpu-prof`); also from `BENCH_HUB_NODE_ARGS`. */
  hubExecArgv?: string[];
}

type Asker = <R>(job: Omit<HubLoadJob, "id"> | Record<string, unknown>) => Promise<R>;

/** Forks a child and returns a function sending it a job and awaiting its answer. */
async function child(script: string, execArgv: string[]): Promise<{ process: ChildProcess; ask: Asker }> {
  const proc = fork(fileURLToPath(new URL(script, import.meta.url)), [], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  proc.on("message", (m: { id?: number; error?: string }) => {
    if (typeof m !== "object" || m.id === undefined) return;
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(`${script}: ${m.error}`));
    else w?.resolve(m);
  });
  proc.once("exit", (code) => {
    for (const w of waiting.values()) w.reject(new Error(`${script} exited with ${code}`));
    waiting.clear();
  });
  await new Promise((resolve, reject) => (proc.once("message", resolve), proc.once("error", reject), proc.once("exit", () => reject(new Error(`${script} exited before it was ready`)))));
  const ask: Asker = (job) => new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
    proc.send({ ...job, id });
  });
  return { process: proc, ask };
}

/** Waits (bounded) for a child to exit after its `close`; kills it (SIGKILL) otherwise, and waits for that. */
async function ended(proc: ChildProcess): Promise<void> {
  const exited = () => proc.exitCode !== null || proc.signalCode !== null;
  if (exited()) return;
  const exit = new Promise((resolve) => proc.once("exit", resolve));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exit, new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
  clearTimeout(timer);
  if (exited()) return;
  proc.kill("SIGKILL");
  await exit;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const MB = 2 ** 20;

/** The Noise handshake of a connect alone, both sides, on the installed backend: ms per handshake of each pattern. */
async function handshakeBound(hubKey: { privateKey: Uint8Array; publicKey: Uint8Array }, nodeKey: { privateKey: Uint8Array; publicKey: Uint8Array }, psk: Uint8Array): Promise<{ xx: number; kk: number }> {
  const backend = noiseBackend();
  const handshake = (pattern: "XXpsk2" | "KKpsk0") => async () => {
    const protocol = parseProtocolName(protocolName(pattern, SUITE), backend);
    const kk = pattern === "KKpsk0";
    const i = HandshakeState.initialize({ protocol, initiator: true, staticKey: nodeKey.privateKey, remoteStaticKey: kk ? hubKey.publicKey : undefined, psks: [psk] });
    const r = HandshakeState.initialize({ protocol, initiator: false, staticKey: hubKey.privateKey, remoteStaticKey: kk ? nodeKey.publicKey : undefined, psks: [psk] });
    await r.readMessage(await i.writeMessage());
    await i.readMessage(await r.writeMessage());
    if (!kk) await r.readMessage(await i.writeMessage());
    const [a, b] = await Promise.all([i.split(), r.split()]);
    const probe = new Uint8Array([1, 2, 3]);
    const opened = await b.receive.decryptWithAd(new Uint8Array(0), await a.send.encryptWithAd(new Uint8Array(0), probe));
    if (opened.length !== 3 || opened[2] !== 3) throw new Error(`bound: ${pattern} handshake keys differ`);
  };
  return timeInterleaved({ xx: handshake("XXpsk2"), kk: handshake("KKpsk0") }, { budgetMs: 2000, maxIterations: 3000 });
}

/** The built command line, as `pmh` runs it. */
const PMH_BIN = fileURLToPath(new URL("../../dist/cli/bin.js", import.meta.url));

/**
 * `pmh hub` as users deploy it (the built CLI, plain node, no `--expose-gc`), with one
 * client record: its RSS once listening, and after `settleMs` idle (V8 shrinks the young
 * generation of an idle process after some seconds, so the settled figure is the idle
 * hub's). The check, after the reading: a node connects to it.
 */
async function pmhHubIdleRss(ask: Asker, node: Credentials, settleMs: number): Promise<{ first: number; settled: number } | undefined> {
  const dir = await mkdtemp(join(tmpdir(), "pmh-hub-bench-"));
  let proc: ChildProcess | undefined;
  try {
    const clients = join(dir, "clients.json");
    await writeFile(clients, JSON.stringify([{ accessKey: node.accessKey, password: node.password, name: "cli-node" }]), { mode: 0o600 });
    proc = spawn(process.execPath, [PMH_BIN, "hub", "--host", "127.0.0.1", "--port", "0", "--node-id", HUB_NODE_ID, "--clients", clients, "--key", join(dir, "hub.key")], { stdio: ["ignore", "pipe", "pipe"] });
    const hub = proc;
    hub.stderr!.resume();
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("pmh hub did not listen within 30 s")), 30_000);
      createInterface({ input: hub.stdout! }).on("line", (line) => {
        const found = /listening on (ws:\/\/\S+)/.exec(line)?.[1];
        if (found !== undefined) (clearTimeout(timer), resolve(found));
      });
      hub.once("error", (error) => (clearTimeout(timer), reject(error)));
      hub.once("exit", (code) => (clearTimeout(timer), reject(new Error(`pmh hub exited with ${code} before it listened`))));
    });
    const first = residentBytes(hub.pid!);
    if (Number.isNaN(first)) return undefined; // not Linux: no /proc to read
    let settled = first;
    for (let waited = 0; waited < settleMs; waited += 1000) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      settled = residentBytes(hub.pid!);
    }
    const r = await ask<HubLoadResult>({ kind: "connect", url, credentials: node, concurrency: 1, count: 1, warmup: 0 });
    if (r.ok !== 1) throw new Error(`pmh hub: the check's connect failed (${r.bad} failed)`);
    return { first, settled };
  } finally {
    if (proc !== undefined) {
      proc.kill();
      await ended(proc);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the hub benchmarks. */
export async function hubBench(options: HubBenchOptions = {}): Promise<Row[]> {
  const size = options.quick === true ? SIZES.quick : SIZES.full;
  const dh = noiseBackend().dh["25519"]!;
  const hubKey = dh.generateKeyPair(), kkKey = dh.generateKeyPair();
  const credentials = (name: string, staticKey?: Uint8Array): Credentials => ({ accessKey: `key-${name}`, password: PASSWORD, ...(staticKey === undefined ? {} : { staticKey: hex(staticKey) }) });
  const fanNodes = Array.from({ length: FAN }, (_, i) => credentials(`fan-${i}`));
  const [xxNode, kkNode, echoNode, honest, flooder] = [credentials("xx"), credentials("kk", kkKey.privateKey), credentials("echo"), credentials("honest"), credentials("flooder")];
  const record = (c: Credentials, extra: Record<string, unknown> = {}) => ({ accessKey: c.accessKey, password: c.password, name: c.accessKey.slice(4), ...extra });
  const records = [record(xxNode), record(kkNode, { pinnedKey: hex(kkKey.publicKey) }), record(echoNode), record(honest), record(flooder), ...fanNodes.map((c, i) => record(c, { isAdmin: i === 0 }))];

  const envArgs = (process.env.BENCH_HUB_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
  const hub = await child("../load/hub-server.mjs", ["--expose-gc", ...envArgs, ...(options.hubExecArgv ?? [])]);
  const load = await child("../load/hub-load.ts", ["--import", "tsx"]);
  const flood = await child("../load/hub-load.ts", ["--import", "tsx"]);
  const rows: Row[] = [];
  try {
    type Stats = { rss: number; clients: number; connects: number; routed: number };
    // A hub whose relays are not the limit (the fan-out row), and one with the default 100 a second (the flood row).
    const main = await hub.ask<{ url: string; publicKey: string }>({ kind: "hub", name: "main", staticKey: hex(hubKey.privateKey), records, maxRelaysPerSecond: 1_000_000 });
    if (main.publicKey !== hex(hubKey.publicKey)) throw new Error("the hub does not use the static key it was given");
    const idle = await hub.ask<Stats>({ kind: "stats" });

    // RSS with 200 idle nodes (before any other traffic); then they stay for the fan-out.
    await load.ask({ kind: "open-fan", mode: "hub", url: main.url, credentials: fanNodes, concurrency: 8 });
    const full = await hub.ask<Stats>({ kind: "stats" });
    if (full.clients !== FAN) throw new Error(`fan-out: ${full.clients} nodes connected, not ${FAN}`);
    rows.push(
      { group: "hub", name: "bench hub process RSS, idle", ours: idle.rss / MB, bound: 60, boundName: "the 60 MB budget (for reference)", unit: "MB", note: "this bench's hub process: plain node importing the whole built poorman-handshake/node barrel and ws's server (the raw bound), one hub listening, right after start, after GC" },
      { group: "hub", name: `hub process RSS, ${FAN} idle nodes connected`, ours: full.rss / MB, bound: idle.rss / MB, boundName: "the same process idle", unit: "MB", note: `${Math.round((full.rss - idle.rss) / FAN / 1024)} KiB a node` },
    );

    const cli = await pmhHubIdleRss(load.ask, credentials("cli"), size.cliSettleMs);
    if (cli !== undefined) {
      rows.push({ group: "hub", name: "pmh hub process RSS, idle", ours: cli.settled / MB, bound: 60, boundName: "the 60 MB budget (absolute target)", unit: "MB", target: 1, note: `the built pmh hub, plain node, one client record; ${(cli.first / MB).toFixed(1)} MB right after it listened, this after ${size.cliSettleMs / 1000} s idle; then a node connected (the check)` });
    }

    // Repeat connects. The check: every connect completes, with the protocol the bound runs.
    await derivePsk(PASSWORD, HUB_NODE_ID); // in this process too: the bound excludes the PSK as the connects do
    const psk = await derivePsk(PASSWORD, HUB_NODE_ID);
    const bound = await handshakeBound(hubKey, kkKey, psk);
    const connectRates = { xx: [] as number[], kk: [] as number[], raw: [] as number[] };
    const raw = await hub.ask<{ url: string }>({ kind: "raw" });
    for (let round = 0; round < size.rounds; round++) {
      // The transport alone, for the note: what a WebSocket connect costs here without the handshake.
      const r = await load.ask<HubLoadResult>({ kind: "connect", raw: true, url: raw.url, credentials: xxNode, concurrency: 8, count: size.connects, warmup: size.connectWarmup });
      if (r.ok !== size.connects || r.bad !== 0) throw new Error(`raw ws connects: ${r.ok} ok, ${r.bad} failed`);
      connectRates.raw.push((size.connects * 1000) / r.ms);
      for (const [which, c, pinnedHubKey, pattern] of [["xx", xxNode, undefined, "XXpsk2"], ["kk", kkNode, hex(hubKey.publicKey), "KKpsk0"]] as const) {
        const before = await hub.ask<Stats>({ kind: "stats" });
        const r = await load.ask<HubLoadResult>({ kind: "connect", url: main.url, credentials: c, ...(pinnedHubKey === undefined ? {} : { pinnedHubKey }), concurrency: 8, count: size.connects, warmup: size.connectWarmup });
        const after = await hub.ask<Stats>({ kind: "stats" });
        const expected = protocolName(pattern, SUITE);
        if (r.ok !== size.connects || r.bad !== 0 || r.patterns?.join() !== expected) throw new Error(`connects ${pattern}: ${r.ok} ok, ${r.bad} failed, protocols ${r.patterns?.join()}`);
        if (after.connects - before.connects !== size.connects + size.connectWarmup) throw new Error(`connects ${pattern}: the hub saw ${after.connects - before.connects} HELLOs`);
        connectRates[which].push((size.connects * 1000) / r.ms);
      }
    }
    for (const [which, pattern] of [["xx", "XXpsk2"], ["kk", "KKpsk0"]] as const) {
      rows.push({ group: "hub", name: `repeat connects, ${pattern} (PSK cached), concurrency 8`, ours: median(connectRates[which]), bound: 1000 / bound[which], boundName: `the ${pattern} handshake alone, both sides, one thread`, unit: "connects/s", target: 2, note: `target: ≥ 0.5 of the bound; a connect: WebSocket upgrade, HELLO, Noise, encrypted HELLO, close; raw ws (upgrade, two echoed frames, close) ${Math.round(median(connectRates.raw))}/s` });
    }

    // Bus round trips: 100 B of data, 32 in flight, one link each; the check: every reply carries its message's data.
    const rtRates = { hub: [] as number[], raw: [] as number[] };
    const p99 = { hub: [] as number[], raw: [] as number[] };
    for (const mode of ["hub", "raw"] as const) {
      await load.ask({ kind: "open-echo", mode, url: mode === "hub" ? main.url : raw.url, credentials: echoNode });
      await load.ask({ kind: "roundtrip", mode, count: 500, inFlight: 32, bytes: 100 }); // warm-up
      await load.ask({ kind: "drop-echo" });
    }
    for (let round = 0; round < size.rounds; round++) {
      for (const mode of ["hub", "raw"] as const) {
        await load.ask({ kind: "open-echo", mode, url: mode === "hub" ? main.url : raw.url, credentials: echoNode });
        const r = await load.ask<HubLoadResult>({ kind: "roundtrip", mode, count: size.roundTrips, inFlight: 32, bytes: 100 });
        if (r.ok !== size.roundTrips || r.bad !== 0) throw new Error(`round trips (${mode}): ${r.ok} ok, ${r.bad} wrong`);
        await load.ask({ kind: "drop-echo" });
        rtRates[mode].push((size.roundTrips * 1000) / r.ms);
        p99[mode].push(r.p99!);
      }
    }
    rows.push({ group: "hub", name: "100 B bus round trips, 32 in flight", ours: median(rtRates.hub), bound: median(rtRates.raw), boundName: "the same JSON frames over raw ws, no crypto", unit: "msg/s", target: 2, note: `target: ≥ 0.5 of the bound; p99 ${median(p99.hub).toFixed(1)} ms (raw ws ${median(p99.raw).toFixed(1)} ms)` });

    // Broadcast: the 200 hub nodes are open; 200 raw sockets beside them. The check: exactly count × 199 deliveries.
    await flood.ask({ kind: "open-fan", mode: "raw", url: raw.url, credentials: fanNodes, concurrency: 8 });
    const fanRates = { hub: [] as number[], raw: [] as number[] };
    const fanLoad = { hub: load, raw: flood };
    for (const mode of ["hub", "raw"] as const) await fanLoad[mode].ask({ kind: "broadcast", mode, count: 3, window: 4, bytes: 100 }); // warm-up
    for (let round = 0; round < size.rounds; round++) {
      for (const mode of ["hub", "raw"] as const) {
        const r = await fanLoad[mode].ask<HubLoadResult>({ kind: "broadcast", mode, count: size.broadcasts, window: 4, bytes: 100 });
        if (r.ok !== size.broadcasts * (FAN - 1) || r.bad !== 0) throw new Error(`broadcast (${mode}): ${r.ok} of ${size.broadcasts * (FAN - 1)} delivered, ${r.bad} unexpected`);
        fanRates[mode].push((r.ok * 1000) / r.ms);
      }
    }
    rows.push({ group: "hub", name: `broadcast to ${FAN} connected nodes`, ours: median(fanRates.hub), bound: median(fanRates.raw), boundName: `raw ws: the same inner message sent to ${FAN - 1} sockets`, unit: "deliveries/s", target: 2, note: `target: ≥ 0.5 of the bound; ${size.broadcasts} broadcasts a round, at most 4 in flight, each checked delivered to all ${FAN - 1} other nodes` });
    await Promise.all([load.ask({ kind: "drop" }), flood.ask({ kind: "drop" })]);

    // Flood: honest round trips on a hub at the default 100 relays a second, alone and beside a PROPAGATE flood.
    const guarded = await hub.ask<{ url: string }>({ kind: "hub", name: "guarded", staticKey: hex(hubKey.privateKey), records });
    await load.ask({ kind: "open-echo", mode: "hub", url: guarded.url, credentials: honest });
    await load.ask({ kind: "roundtrip", mode: "hub", count: 500, inFlight: 32, bytes: 100 }); // warm-up
    const honestRuns = { calm: [] as HubLoadResult[], flooded: [] as HubLoadResult[] };
    const floods: HubLoadResult[] = [];
    let relayed = 0;
    for (let round = 0; round < size.floodRounds; round++) {
      const calm = await load.ask<HubLoadResult>({ kind: "roundtrip", mode: "hub", count: size.floodRoundTrips, inFlight: 32, bytes: 100 });
      // A flooder of its own each round; the hub closes it past twice its allowance, and it comes back.
      await flood.ask({ kind: "open-flood", url: guarded.url, credentials: flooder });
      const before = await hub.ask<Stats>({ kind: "stats" });
      const flooding = flood.ask<HubLoadResult>({ kind: "flood", maxMs: 20_000, maxCount: 500_000, bytes: 100 });
      await new Promise((resolve) => setTimeout(resolve, 300)); // the flood is under way
      const flooded = await load.ask<HubLoadResult>({ kind: "roundtrip", mode: "hub", count: size.floodRoundTrips, inFlight: 32, bytes: 100 });
      await flood.ask({ kind: "stop" });
      const f = await flooding;
      const after = await hub.ask<Stats>({ kind: "stats" });
      for (const r of [calm, flooded]) if (r.ok !== size.floodRoundTrips || r.bad !== 0) throw new Error(`honest round trips: ${r.ok} ok, ${r.bad} wrong`);
      if (f.denied === 0 || f.denied! + (after.routed - before.routed) > f.sent!) throw new Error(`flood: ${f.sent} sent, ${f.denied} refused, ${after.routed - before.routed} relayed`);
      relayed += after.routed - before.routed;
      honestRuns.calm.push(calm);
      honestRuns.flooded.push(flooded);
      floods.push(f);
    }
    const floodMs = floods.reduce((n, f) => n + f.ms, 0), floodSent = floods.reduce((n, f) => n + f.sent!, 0), floodDenied = floods.reduce((n, f) => n + f.denied!, 0);
    const rtRate = (r: HubLoadResult) => (size.floodRoundTrips * 1000) / r.ms;
    const mid = (runs: HubLoadResult[], key: "p99") => median(runs.map((r) => r[key]!)).toFixed(1);
    rows.push({ group: "hub", name: "100 B round trips beside a client flooding PROPAGATE", ours: median(honestRuns.flooded.map(rtRate)), bound: median(honestRuns.calm.map(rtRate)), boundName: "the same round trips without the flood", unit: "msg/s", note: `maxRelaysPerSecond 100 (default): the flood sent ${Math.round((floodSent * 1000) / floodMs)}/s, ${Math.round((relayed * 1000) / floodMs)}/s relayed, ${floodDenied} refused (relay_rate_limited), the flooder closed by the hub ${floods.reduce((n, f) => n + f.closes!, 0)} times, its reconnects refused (floodCooldownMs) ${floods.reduce((n, f) => n + f.refusedReconnects!, 0)} times; honest p99 ${mid(honestRuns.flooded, "p99")} ms flooded, ${mid(honestRuns.calm, "p99")} ms calm` });
  } finally {
    await hub.ask({ kind: "close" }).catch(() => undefined);
    load.process.kill();
    flood.process.kill();
    await ended(hub.process);
  }
  return rows;
}
