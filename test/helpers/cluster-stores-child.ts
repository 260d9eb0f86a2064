/**
 * A small cluster for test/fiber-node-cluster-stores.test.ts: the primary holds the stores
 * (a nonce store that can be told to hang or fail), worker 1 runs the checks and reports
 * them, then worker 2 checks what worker 1 recorded, then worker 3 connects twice in one
 * process, then worker 4 sends a burst of calls faster than the channel carries them, then
 * worker 5 stops the primary (SIGSTOP) and calls past its bound of calls in flight.
 * The primary prints one JSON line.
 */
import cluster from "node:cluster";
import { NonceUnverifiableError, StoreFullError } from "../../src/common/errors.js";
import { MemoryKeyStore } from "../../src/fiber/keystore.js";
import { MemoryNonceStore, type NonceStore } from "../../src/fiber/nonce.js";
import { FiberServer } from "../../src/fiber/server.js";
import { STORE_UNAVAILABLE_DETAIL } from "../../src/fiber/constants.js";
import { ClusterFiberStores, ClusterStoreHost } from "../../src/fiber/node/stores/cluster.js";
import { identities, signedHeaders } from "./fiber.js";

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return { value: await run() };
  } catch (error) {
    return { error: (error as Error).name, code: (error as { code?: string }).code };
  }
}

if (cluster.isPrimary) {
  const memory = new MemoryNonceStore();
  // "gate:<nonce>" is answered only after "release" has been answered.
  let openGate: () => void = () => {};
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const nonceStore: NonceStore = {
    has: async (nonce) => {
      if (nonce === "boom") throw new Error("a store bug");
      return memory.has(nonce);
    },
    add: async (nonce, ttlMs) => {
      if (nonce === "hang") return new Promise<boolean>(() => {});
      if (nonce === "full") throw new StoreFullError("nonce store is full");
      if (nonce === "old") throw new NonceUnverifiableError("predates the records");
      if (nonce === "release") {
        setImmediate(openGate);
        return memory.add(nonce, ttlMs);
      }
      if (nonce.startsWith("gate:")) {
        await gate;
        await new Promise((resolve) => setImmediate(resolve));
        return memory.add(nonce.slice("gate:".length), ttlMs);
      }
      return memory.add(nonce, ttlMs);
    },
  };
  const keyStore = new MemoryKeyStore();
  let host = ClusterStoreHost.start({ nonceStore, keyStore, rsaPrivateKey: "-----BEGIN PRIVATE KEY-----\ntest\n-----END PRIVATE KEY-----" });
  const results: Record<string, unknown> = {};
  const run = (role: string) =>
    new Promise<void>((resolve) => {
      const worker = cluster.fork({ ROLE: role });
      worker.on("message", (message: { results?: Record<string, unknown>; closeHost?: boolean }) => {
        if (message.closeHost) {
          host.close();
          worker.send({ hostClosed: true });
        }
        if (message.results) Object.assign(results, message.results);
      });
      worker.once("exit", () => resolve());
    });
  await run("first");
  await run("second");
  host = ClusterStoreHost.start({ nonceStore, keyStore }); // the second worker closed the first
  await run("twice");
  await run("burst");
  if (process.platform !== "win32") await run("stopped");
  host.close();
  console.log(JSON.stringify(results));
} else if (process.env.ROLE === "first") {
  // Calls that must be answered get 5 s (a slow machine); the one the primary never
  // answers goes through a second connection with a short timeout.
  const stores = await ClusterFiberStores.connect({ timeoutMs: 5000 });
  const quick = await ClusterFiberStores.connect({ timeoutMs: 300 });
  const r: Record<string, unknown> = { rsa: stores.rsaPrivateKey };
  r.addNew = await outcome(() => stores.nonceStore.add("n1", 60_000));
  r.addAgain = await outcome(() => stores.nonceStore.add("n1", 60_000));
  r.hasRecorded = await outcome(() => stores.nonceStore.has("n1"));
  await stores.keyStore.set("hotkey", "uuid", KEY, 60_000);
  r.keyBack = await outcome(async () => Array.from((await stores.keyStore.get("hotkey", "uuid"))!));
  r.keyMissing = await outcome(() => stores.keyStore.get("hotkey", "other"));
  r.full = await outcome(() => stores.nonceStore.add("full", 1000));
  r.old = await outcome(() => stores.nonceStore.add("old", 1000));
  r.bug = await outcome(() => stores.nonceStore.has("boom"));
  r.hang = await outcome(() => quick.nonceStore.add("hang", 1000));
  quick.close();
  process.send!({ results: r }, undefined, {}, () => process.exit(0));
} else if (process.env.ROLE === "twice") {
  // Two connections in one worker: each call is answered with its own reply, never the
  // other connection's (both count their calls from 1).
  const a = await ClusterFiberStores.connect({ timeoutMs: 5000 });
  const b = await ClusterFiberStores.connect({ timeoutMs: 5000 });
  const r: Record<string, unknown> = {};
  const replayed = outcome(() => b.nonceStore.add("gate:n1", 60_000)); // n1: recorded by worker 1
  r.secondConnectionFresh = await outcome(() => a.nonceStore.add("release", 60_000));
  r.secondConnectionReplay = await replayed;
  a.close();
  b.close();
  process.send!({ results: r }, undefined, {}, () => process.exit(0));
} else if (process.env.ROLE === "burst") {
  // 20,000 calls in one synchronous burst: the channel's backlog passes what Node calls
  // unwise to queue (process.send returns false); calls are refused (503) from then on
  // until it drains, instead of queueing without bound.
  const stores = await ClusterFiberStores.connect({ timeoutMs: 30_000 });
  const calls = Array.from({ length: 20_000 }, () => outcome(() => stores.nonceStore.has("n1")));
  const outcomes = (await Promise.all(calls)) as { value?: boolean; error?: string }[];
  const refused = outcomes.filter((o) => o.error === "StoreUnavailableError").length;
  const answered = outcomes.filter((o) => o.value === true).length;
  const after = await outcome(() => stores.nonceStore.has("n1"));
  stores.close();
  process.send!({ results: { burst: { someRefused: refused > 0, rest: answered + refused, after } } }, undefined, {}, () => process.exit(0));
} else if (process.env.ROLE === "stopped") {
  // A stopped primary reads nothing: the kernel's socket buffer takes hundreds of calls
  // before process.send reports a backlog, so only the bound of calls in flight refuses
  // the calls beyond it, at once; those within it are answered once the primary resumes.
  const bound = 8;
  const stores = await ClusterFiberStores.connect({ timeoutMs: 60_000, maxCallsInFlight: bound });
  const settled: number[] = [];
  let resumed = false;
  const refusedWhileStopped: number[] = [];
  process.kill(process.ppid, "SIGSTOP");
  let outcomes: { value?: boolean; error?: string }[];
  try {
    const calls = Array.from({ length: bound + 24 }, (_, i) =>
      outcome(() => stores.nonceStore.has("n1")).then((o) => {
        settled.push(i);
        if (!resumed && (o as { error?: string }).error !== undefined) refusedWhileStopped.push(i);
        return o as { value?: boolean; error?: string };
      }),
    );
    // Every refusal is settled within a few turns of the event loop, the primary still stopped.
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
    resumed = true;
    process.kill(process.ppid, "SIGCONT");
    outcomes = await Promise.all(calls);
  } finally {
    if (!resumed) process.kill(process.ppid, "SIGCONT");
  }
  const answered = outcomes.flatMap((o, i) => (o.value === true ? [i] : []));
  const after = await outcome(() => stores.nonceStore.has("n1"));
  stores.close();
  const stopped = { refusedWhileStopped, answeredAfterResume: answered, refusedSettledFirst: settled.slice(0, 24).every((i) => i >= bound), after };
  process.send!({ results: { stopped } }, undefined, {}, () => process.exit(0));
} else {
  // As above: 5 s for calls that must be answered, 300 ms for the miner whose primary stops.
  const stores = await ClusterFiberStores.connect({ timeoutMs: 5000 });
  const quick = await ClusterFiberStores.connect({ timeoutMs: 300 });
  const r: Record<string, unknown> = {};
  r.otherWorkerAdd = await outcome(() => stores.nonceStore.add("n1", 60_000));
  r.otherWorkerKey = await outcome(async () => Array.from((await stores.keyStore.get("hotkey", "uuid"))!));
  // A miner whose primary stops answering: 503, nothing accepted.
  const ids = await identities();
  const server = await FiberServer.create({ keypair: ids.miner, nonceStore: quick.nonceStore, keyStore: quick.keyStore });
  server.route("/echo", { handler: (payload) => payload });
  await new Promise<void>((resolve) => {
    process.on("message", (m: { hostClosed?: boolean }) => m.hostClosed && resolve());
    process.send!({ closeHost: true });
  });
  const response = await server.fetch(new Request("http://127.0.0.1/echo", { method: "POST", headers: await signedHeaders(ids.validator, ids.miner.ss58Address), body: "x" }));
  r.unanswered = { status: response.status, storeUnavailable: ((await response.json()) as { detail: string }).detail === STORE_UNAVAILABLE_DETAIL };
  quick.close();
  stores.close();
  r.afterClose = await outcome(() => stores.nonceStore.has("n1"));
  process.send!({ results: r }, undefined, {}, () => process.exit(0));
}
