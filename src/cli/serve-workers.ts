/**
 * `pmh serve --workers N`: N processes (`node:cluster`) acting as one miner. With
 * `--redis` every worker is an instance of its own on the shared Redis stores (the
 * primary publishes the RSA key first); without, the primary holds the stores (nonces,
 * the in-memory or `--store` keys, the RSA key) and the workers ask it over IPC.
 *
 * @module
 */
import { createServer } from "node:net";
import { MemoryKeyStore } from "../fiber/keystore.js";
import type { Keypair } from "../fiber/keypair.js";
import { MemoryNonceStore } from "../fiber/nonce.js";
import { ClusterFiberStores, ClusterStoreHost } from "../fiber/node/stores/cluster.js";
import { drainWhenAsked, reportStartFailure, WorkerPool, WorkerStartError, workerSlot } from "../fiber/node/worker-pool.js";
import { createRSAKey } from "../rsa/node/keyfile.js";
import { serve } from "../fiber/node/serve.js";
import type { WarningHandler } from "../common/warnings.js";
import { closeOnSignals, exitCodeOf, messageOf } from "./common.js";
import { loadHotkey } from "./hotkeys.js";
import { answerLimits, loadAuthorizer, minerHandler, printListening, serveLog, type ServeFlags } from "./miner.js";
import { openStores, type OpenedStores } from "./stores.js";

/** The environment variable that gives each worker the port the primary resolved. */
const PORT_ENV = "PMH_SERVE_PORT";
/** Longest wait of a draining worker for its requests in flight. */
const DRAIN_REQUESTS_MS = 5000;

/**
 * The port the workers listen on: `port`, or a free one when it is 0, so that a worker
 * started after all others died binds the same port. Binding it once here also turns a
 * port in use into one error of the primary.
 */
function resolvePort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(port, host, () => {
      const bound = (probe.address() as { port: number }).port;
      probe.close(() => resolve(bound));
    });
  });
}

/** The primary: opens the stores, runs the workers, drains them on SIGINT/SIGTERM. */
export async function runPrimary(flags: ServeFlags, keypair: Keypair, log: (line: string) => void, onWarning: WarningHandler): Promise<number | void> {
  const count = flags.workers!;
  const port = await resolvePort(flags.host, flags.port);
  const opened = await openStores(flags, log, onWarning);
  let host: ClusterStoreHost | undefined;
  try {
    if (flags.redis !== undefined) {
      await opened.close(); // the RSA key is published: each worker connects on its own
    } else {
      // A signed-only miner uses no RSA key: its workers get none (FiberServer makes none either).
      const rsaPrivateKey = opened.rsaPrivateKey ?? (flags.protocol === "signed" ? undefined : (await createRSAKey()).privateKey);
      host = ClusterStoreHost.start({ nonceStore: new MemoryNonceStore(), keyStore: opened.keyStore ?? new MemoryKeyStore(), rsaPrivateKey });
    }
  } catch (error) {
    if (flags.redis === undefined) await opened.close();
    throw error;
  }
  const description = flags.redis === undefined ? `${opened.description}, held by the primary` : opened.description;
  const close = async () => {
    host?.close();
    if (flags.redis === undefined) await opened.close();
  };
  let pool: WorkerPool;
  try {
    pool = await WorkerPool.start({ count, log, env: () => ({ [PORT_ENV]: String(port) }) });
  } catch (error) {
    await close();
    if (!(error instanceof WorkerStartError)) throw error;
    console.error(`pmh serve: ${error.message}`);
    return error.exitCode;
  }
  closeOnSignals("serve", log, `draining ${count} workers`, async () => {
    await pool.stop();
    await close();
  });
  const shownHost = flags.host.includes(":") ? `[${flags.host}]` : flags.host;
  printListening(flags, log, { url: `http://${shownHost}:${port}`, port, hotkey: keypair.ss58Address, stores: description, workers: count });
}

/** A worker: the same miner on the shared stores, on the port the primary resolved. */
export async function runWorker(flags: ServeFlags): Promise<number | void> {
  const slot = workerSlot() ?? 0;
  const log = serveLog(flags, flags.json ? { worker: slot } : {});
  const say = flags.json ? log : (line: string) => log(`worker ${slot}: ${line}`);
  try {
    const quiet = () => {}; // the primary already warned
    const keypair = await loadHotkey(flags, "miner", quiet);
    const authorize = await loadAuthorizer(flags);
    const stores: Pick<OpenedStores, "nonceStore" | "keyStore" | "rsaPrivateKey"> & { close(): Promise<void> | void } = flags.redis !== undefined ? await openStores(flags, say, quiet) : await ClusterFiberStores.connect();
    const handler = await minerHandler(flags, keypair, authorize, { nonceStore: stores.nonceStore, keyStore: stores.keyStore, rsaPrivateKey: stores.rsaPrivateKey });
    const running = await serve(handler, { host: flags.host, port: Number(process.env[PORT_ENV] ?? flags.port), ...answerLimits(flags) });
    drainWhenAsked(async () => {
      await running.close({ graceMs: DRAIN_REQUESTS_MS });
      await stores.close();
    }, () => running.requests);
  } catch (error) {
    await reportStartFailure(messageOf(error), exitCodeOf(error));
    process.exit(exitCodeOf(error));
  }
}
