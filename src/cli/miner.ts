/**
 * The miner that `pmh serve` runs, in one process or in each worker of `--workers`: its
 * flags, the validator gate, the demo routes and its log lines. `serve.ts` (the command)
 * and `serve-workers.ts` (the cluster) both build on it.
 *
 * @module
 */
import { availableParallelism } from "node:os";
import { allowAll, allowlist, minStake, type Authorizer } from "../fiber/authorize.js";
import { DEFAULT_MIN_STAKE } from "../fiber/constants.js";
import { withCors } from "../fiber/cors.js";
import type { Keypair } from "../fiber/keypair.js";
import type { FetchHandler, ServeOptions } from "../fiber/node/serve.js";
import { SignatureVerifyPool } from "../fiber/node/verify-pool.js";
import { loadMetagraphFile } from "../fiber/node/wallet.js";
import { FiberServer } from "../fiber/server.js";
import { BOTH_PROTOCOLS_WARNING_TEXT, type FiberProtocol } from "../fiber/server-config.js";
import type { WarningHandler } from "../common/warnings.js";
import { liveStakeGate } from "./chain.js";
import { printJson, UsageError } from "./common.js";
import { type HotkeyFlags } from "./hotkeys.js";
import { echoSigned, exampleGet, streamSigned } from "./signed-routes.js";
import type { OpenedStores, StoreFlags } from "./stores.js";

/** Options of `pmh serve`, as commander parses them. */
export interface ServeFlags extends HotkeyFlags, StoreFlags {
  host: string;
  port: number;
  allow?: string[];
  metagraph?: string;
  minStake?: number;
  subtensor?: string;
  netuid?: number;
  nodesFile?: string;
  cors?: string[];
  json?: boolean;
  workers?: number;
  protocol: FiberProtocol;
  answerTimeout?: number;
  answerBudget?: number;
  /** Worker threads verifying request signatures (`--verify-threads`); 0: on the event loop; absent: {@link defaultVerifyThreads}. */
  verifyThreads?: number;
}

/** The answer limits of `serve` that `--answer-timeout` (ms) and `--answer-budget` (MiB) set. */
export function answerLimits(flags: ServeFlags): Pick<ServeOptions, "answerTimeoutMs" | "maxQueuedAnswerBytes"> {
  return {
    ...(flags.answerTimeout === undefined ? {} : { answerTimeoutMs: flags.answerTimeout }),
    ...(flags.answerBudget === undefined ? {} : { maxQueuedAnswerBytes: flags.answerBudget * 1024 * 1024 }),
  };
}

/**
 * The default of `--protocol`: signed, Fiber 2's default. A miner that speaks one protocol
 * is safe from cross-protocol signature reuse, and a signed-only one whatever its
 * validators sign: it has no key exchange to replay a signature to.
 */
export const DEFAULT_SERVE_PROTOCOL: FiberProtocol = "signed";

/** Every given check must pass: the allowlist, then the stake gate. */
export async function loadAuthorizer(flags: ServeFlags, log: (line: string) => void = serveLog(flags)): Promise<Authorizer> {
  const checks: Authorizer[] = [];
  if (flags.allow !== undefined) checks.push(allowlist(flags.allow));
  if (flags.metagraph !== undefined && flags.subtensor !== undefined) throw new UsageError("give --metagraph (a file) or --subtensor (the chain), not both");
  if (flags.minStake !== undefined && flags.metagraph === undefined && flags.subtensor === undefined) throw new UsageError("--min-stake needs --metagraph or --subtensor (the stakes it is checked against)");
  if (flags.metagraph !== undefined) checks.push(minStake(await loadMetagraphFile(flags.metagraph), flags.minStake ?? DEFAULT_MIN_STAKE));
  if (flags.subtensor !== undefined || flags.netuid !== undefined) checks.push(await liveStakeGate(flags, log));
  if (checks.length === 0) return allowAll;
  return async (hotkey) => {
    for (const check of checks) {
      const decision = await check(hotkey);
      if (!decision.allowed) return decision;
    }
    return { allowed: true };
  };
}

/** The routes `pmh serve` answers, by protocol. */
export const SERVE_ROUTES = { encrypted: ["/echo", "/example-encrypted-get"], signed: ["/echo-signed", "/stream-signed", "/example-subnet-get"] } as const;

/** The routes `pmh serve --protocol <protocol>` answers. */
export function serveRoutes(protocol: FiberProtocol): string[] {
  return protocol === "both" ? [...SERVE_ROUTES.encrypted, ...SERVE_ROUTES.signed] : [...SERVE_ROUTES[protocol]];
}

/** Warns (once, before the "listening" line) when `--protocol both` exposes the miner. */
export function warnProtocol(flags: ServeFlags, onWarning: WarningHandler): void {
  if (flags.protocol === "both") onWarning(BOTH_PROTOCOLS_WARNING_TEXT);
}

/**
 * `--verify-threads` when not given: one verify thread per miner process when the machine
 * has at least two cores for each (the event loop's and the thread's), else none.
 * Measured (docs/performance.md, "Fiber signed requests"): with a core to spare, the
 * signed rows at concurrency 32 gain about a quarter and concurrency 1 is unchanged (an
 * idle pool verifies on the event loop). `availableParallelism` does not see a
 * container's CPU quota: give `--verify-threads 0` there.
 */
export function defaultVerifyThreads(workers: number | undefined): number {
  return availableParallelism() >= 2 * Math.max(1, workers ?? 1) ? 1 : 0;
}

/** The miner's handler: a FiberServer with the demo routes, behind CORS when asked. */
export async function minerHandler(flags: ServeFlags, keypair: Keypair, authorize: Authorizer, stores: Pick<OpenedStores, "nonceStore" | "keyStore" | "rsaPrivateKey">): Promise<FetchHandler> {
  // The warning of "both" is given once by the command (warnProtocol), not by every worker.
  // Idle pool threads are unref'd: they never keep a closing process alive.
  const threads = flags.verifyThreads ?? defaultVerifyThreads(flags.workers);
  // Started, not awaited: until its thread has loaded the sr25519 code, the event loop verifies.
  const pool = threads === 0 ? undefined : SignatureVerifyPool.start({ threads });
  const server = await FiberServer.create({ keypair, authorize, ...stores, protocol: flags.protocol, onWarning: () => {}, ...(pool === undefined ? {} : { verifySignature: pool.verify }) });
  if (flags.protocol !== "signed") server.route("/echo", {
    parse: (value) => {
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("the payload must be a JSON object");
      return value as Record<string, unknown>;
    },
    handler: (payload) => payload,
  });
  if (flags.protocol !== "signed") server.route("/example-encrypted-get", exampleGet);
  if (flags.protocol !== "encrypted") server.signedRoute("/echo-signed", echoSigned).signedRoute("/stream-signed", streamSigned).signedRoute("/example-subnet-get", exampleGet);
  return flags.cors === undefined ? server.fetch : withCors(server.fetch, flags.cors);
}

/** The "listening" line (or JSON event) of the miner, one process or several. */
export function printListening(flags: ServeFlags, log: (line: string) => void, listening: { url: string; port: number; hotkey: string; stores: string; workers?: number }): void {
  const workers = listening.workers === undefined ? {} : { workers: listening.workers };
  if (flags.json) {
    printJson({ event: "listening", url: listening.url, host: flags.host, port: listening.port, minerHotkey: listening.hotkey, protocol: flags.protocol, routes: serveRoutes(flags.protocol), stores: listening.stores, ...workers, ...(flags.cors === undefined ? {} : { cors: flags.cors }) });
    return;
  }
  const who = flags.allow === undefined && flags.metagraph === undefined && flags.subtensor === undefined ? "any validator with a valid signature" : "authorized validators only";
  const cors = flags.cors === undefined ? "" : `; CORS for ${flags.cors.join(", ")}`;
  const many = listening.workers === undefined ? "" : `; ${listening.workers} worker processes`;
  const routes = [flags.protocol === "signed" ? "" : "encrypted POST /echo, GET /example-encrypted-get; ", flags.protocol === "encrypted" ? "" : "signed POST /echo-signed, /stream-signed, GET /example-subnet-get; "].join("");
  log(`Fiber miner ${listening.hotkey} listening on ${listening.url} (${who}; ${routes}${listening.stores}${cors}${many})`);
}

/** `log` of `pmh serve`: `pmh: …` lines, or JSON `log` events with --json. */
export function serveLog(flags: ServeFlags, fields: Record<string, unknown> = {}): (line: string) => void {
  // --json: every stdout line is a JSON object with an `event` ("listening", "log").
  return flags.json ? (line: string) => printJson({ event: "log", message: line, ...fields }) : (line: string) => console.log(`pmh: ${line}`);
}
