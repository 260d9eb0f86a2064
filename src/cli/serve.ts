/**
 * `pmh serve`: a Fiber-compatible miner with demo routes of both protocols: encrypted
 * `POST /echo` (answers the decrypted JSON object as plain JSON), and signed
 * `POST /echo-signed` (answers the JSON body back) and `POST /stream-signed` (answers
 * the body's `lines` as text, one line per chunk).
 *
 * @module
 */
import { Command, InvalidArgumentError as CommanderArgumentError } from "commander";
import { allowAll, allowlist, minStake, type Authorizer } from "../fiber/authorize.js";
import { DEFAULT_MIN_STAKE } from "../fiber/constants.js";
import { FiberServer } from "../fiber/server.js";
import { isSs58Address } from "../fiber/ss58.js";
import type { Keypair } from "../fiber/keypair.js";
import { serve, type FetchHandler } from "../fiber/node/serve.js";
import { withCors } from "../fiber/cors.js";
import { loadMetagraphFile } from "../fiber/node/wallet.js";
import { action, closeOnSignals, hotkeyOptions, jsonOption, loadHotkey, parseInteger, printJson, UsageError, type HotkeyFlags } from "./common.js";
import { echoSigned, streamSigned } from "./signed-routes.js";
import { MAX_WORKERS, workerSlot } from "../fiber/node/worker-pool.js";
import { runPrimary, runWorker } from "./serve-workers.js";
import { openStores, storeOptions, type OpenedStores, type StoreFlags } from "./stores.js";
import { surviveClosedOutput } from "./streams.js";
import { cliWarnings } from "./warnings.js";

/** Options of `pmh serve`, as commander parses them. */
export interface ServeFlags extends HotkeyFlags, StoreFlags {
  host: string;
  port: number;
  allow?: string[];
  metagraph?: string;
  minStake?: number;
  cors?: string[];
  json?: boolean;
  workers?: number;
}

function parseStake(value: string): number {
  const stake = Number(value);
  if (value.trim() === "" || !Number.isFinite(stake) || stake < 0) throw new CommanderArgumentError("must be a non-negative number");
  return stake;
}

function parseAllow(value: string): string[] {
  const addresses = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const bad = addresses.find((a) => !isSs58Address(a));
  if (addresses.length === 0 || bad !== undefined) throw new CommanderArgumentError(`must be comma-separated ss58 addresses${bad ? `; bad: ${bad}` : ""}`);
  return addresses;
}

/** Every given check must pass: the allowlist, then the stake gate. */
export async function loadAuthorizer(flags: ServeFlags): Promise<Authorizer> {
  const checks: Authorizer[] = [];
  if (flags.allow !== undefined) checks.push(allowlist(flags.allow));
  if (flags.minStake !== undefined && flags.metagraph === undefined) throw new UsageError("--min-stake needs --metagraph (the stakes it is checked against)");
  if (flags.metagraph !== undefined) checks.push(minStake(await loadMetagraphFile(flags.metagraph), flags.minStake ?? DEFAULT_MIN_STAKE));
  if (checks.length === 0) return allowAll;
  return async (hotkey) => {
    for (const check of checks) {
      const decision = await check(hotkey);
      if (!decision.allowed) return decision;
    }
    return { allowed: true };
  };
}

function parseOrigins(value: string, previous: string[] | undefined): string[] {
  const origins = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (origins.length === 0 || origins.some((o) => o !== "*" && !/^https?:\/\/[^/\s]+$/.test(o))) throw new CommanderArgumentError("must be * or origins such as https://app.example");
  return [...(previous ?? []), ...origins];
}

/** The routes `pmh serve` answers. */
export const SERVE_ROUTES = ["/echo", "/echo-signed", "/stream-signed"];

/** The miner's handler: a FiberServer with the demo routes, behind CORS when asked. */
export async function minerHandler(flags: ServeFlags, keypair: Keypair, authorize: Authorizer, stores: Pick<OpenedStores, "nonceStore" | "keyStore" | "rsaPrivateKey">): Promise<FetchHandler> {
  const server = await FiberServer.create({ keypair, authorize, ...stores });
  server.route("/echo", {
    parse: (value) => {
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("the payload must be a JSON object");
      return value as Record<string, unknown>;
    },
    handler: (payload) => payload,
  });
  server.signedRoute("/echo-signed", echoSigned).signedRoute("/stream-signed", streamSigned);
  return flags.cors === undefined ? server.fetch : withCors(server.fetch, flags.cors);
}

/** The "listening" line (or JSON event) of the miner, one process or several. */
export function printListening(flags: ServeFlags, log: (line: string) => void, listening: { url: string; port: number; hotkey: string; stores: string; workers?: number }): void {
  const workers = listening.workers === undefined ? {} : { workers: listening.workers };
  if (flags.json) {
    printJson({ event: "listening", url: listening.url, host: flags.host, port: listening.port, minerHotkey: listening.hotkey, routes: SERVE_ROUTES, stores: listening.stores, ...workers, ...(flags.cors === undefined ? {} : { cors: flags.cors }) });
    return;
  }
  const who = flags.allow === undefined && flags.metagraph === undefined ? "any validator with a valid signature" : "authorized validators only";
  const cors = flags.cors === undefined ? "" : `; CORS for ${flags.cors.join(", ")}`;
  const many = listening.workers === undefined ? "" : `; ${listening.workers} worker processes`;
  log(`Fiber miner ${listening.hotkey} listening on ${listening.url} (${who}; encrypted POST /echo; signed POST /echo-signed, /stream-signed; ${listening.stores}${cors}${many})`);
}

/** `log` of `pmh serve`: `pmh: …` lines, or JSON `log` events with --json. */
export function serveLog(flags: ServeFlags, fields: Record<string, unknown> = {}): (line: string) => void {
  // --json: every stdout line is a JSON object with an `event` ("listening", "log").
  return flags.json ? (line: string) => printJson({ event: "log", message: line, ...fields }) : (line: string) => console.log(`pmh: ${line}`);
}

async function run(flags: ServeFlags): Promise<number | void> {
  surviveClosedOutput(); // a closed log reader (`pmh serve | head -1`) must not stop the miner
  // A worker of our own pool (not any cluster worker: a process manager may run pmh in one).
  if (workerSlot() !== undefined) return runWorker(flags);
  const onWarning = cliWarnings("serve");
  const keypair = await loadHotkey(flags, "miner", onWarning);
  const authorize = await loadAuthorizer(flags);
  const log = serveLog(flags);
  if (flags.workers !== undefined && flags.workers > 1) return runPrimary(flags, keypair, log, onWarning);
  const stores = await openStores(flags, log, onWarning);
  let running;
  try {
    const { description, close, ...options } = stores;
    running = await serve(await minerHandler(flags, keypair, authorize, options), { host: flags.host, port: flags.port });
  } catch (error) {
    await stores.close();
    throw error;
  }
  const server = running;
  // Before the "listening" line: a supervisor may signal as soon as it reads it.
  closeOnSignals("serve", log, "closing", async () => {
    await server.close();
    await stores.close();
  });
  printListening(flags, log, { url: running.url, port: running.port, hotkey: keypair.ss58Address, stores: stores.description });
}

/** Adds the `serve` subcommand to `program`. */
export function serveCommand(program: Command): void {
  jsonOption(storeOptions(hotkeyOptions(
    program
      .command("serve")
      .description("start a Fiber-compatible miner: encrypted POST /echo, signed POST /echo-signed and /stream-signed")
      .option("--host <host>", "interface to bind", "127.0.0.1")
      .option("--port <port>", "port to listen on (0 = any free port)", parseInteger(0, 65535), 7999),
    "miner",
  ))
    .option("--allow <ss58,…>", "serve only these validator hotkeys", parseAllow)
    .option("--metagraph <file>", "JSON object mapping validator hotkeys to stake (TAO), or Fiber's nodes.json")
    .option("--min-stake <tao>", `minimum stake with --metagraph (default ${DEFAULT_MIN_STAKE})`, parseStake)
    .option("--cors <origin,…>", "allow browser validators from these origins (or *)", parseOrigins)
    .option("--workers <n>", "run n processes (node:cluster) acting as one miner: nonces, keys and the RSA key shared through Redis, else through the primary (1 = one process)", parseInteger(1, MAX_WORKERS)))
    .action(action("serve", run));
}
