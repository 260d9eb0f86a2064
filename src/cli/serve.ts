/**
 * `pmh serve`: a Fiber-compatible miner with demo routes of the protocol `--protocol`
 * names: signed `POST /echo-signed` (answers the JSON body back) and `POST /stream-signed`
 * (answers the body's `lines` as text, one line per chunk), or encrypted `POST /echo`
 * (answers the decrypted JSON object as plain JSON), or, with `both`, all three; and
 * Fiber 2.5.0's example GETs, `GET /example-subnet-get` (signed) and
 * `GET /example-encrypted-get` (encrypted).
 *
 * @module
 */
import { Command, InvalidArgumentError as CommanderArgumentError, Option } from "commander";
import { DEFAULT_MIN_STAKE } from "../fiber/constants.js";
import { isSs58Address } from "../fiber/ss58.js";
import { serve } from "../fiber/node/serve.js";
import { MAX_WORKERS, workerSlot } from "../fiber/node/worker-pool.js";
import { DEFAULT_ANSWER_TIMEOUT_MS, DEFAULT_MAX_QUEUED_ANSWER_BYTES } from "../fiber/node/answer-writer.js";
import { action, closeOnSignals, jsonOption, parseInteger } from "./common.js";
import { hotkeyOptions, loadHotkey } from "./hotkeys.js";
import { answerLimits, DEFAULT_SERVE_PROTOCOL, loadAuthorizer, minerHandler, printListening, serveLog, warnProtocol, type ServeFlags } from "./miner.js";
import { FIBER_PROTOCOLS } from "../fiber/server-config.js";
import { runPrimary, runWorker } from "./serve-workers.js";
import { openStores, storeOptions } from "./stores.js";
import { surviveClosedOutput } from "./streams.js";
import { cliWarnings } from "./warnings.js";

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

function parseOrigins(value: string, previous: string[] | undefined): string[] {
  const origins = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (origins.length === 0 || origins.some((o) => o !== "*" && !/^https?:\/\/[^/\s]+$/.test(o))) throw new CommanderArgumentError("must be * or origins such as https://app.example");
  return [...(previous ?? []), ...origins];
}

async function run(flags: ServeFlags): Promise<number | void> {
  surviveClosedOutput(); // a closed log reader (`pmh serve | head -1`) must not stop the miner
  // A worker of our own pool (not any cluster worker: a process manager may run pmh in one).
  if (workerSlot() !== undefined) return runWorker(flags);
  const onWarning = cliWarnings("serve");
  const keypair = await loadHotkey(flags, "miner", onWarning);
  const authorize = await loadAuthorizer(flags);
  const log = serveLog(flags);
  warnProtocol(flags, onWarning);
  if (flags.workers !== undefined && flags.workers > 1) return runPrimary(flags, keypair, log, onWarning);
  const stores = await openStores(flags, log, onWarning);
  let running;
  try {
    const { description, close, ...options } = stores;
    running = await serve(await minerHandler(flags, keypair, authorize, options), { host: flags.host, port: flags.port, ...answerLimits(flags) });
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
      .description("start a Fiber-compatible miner: signed POST /echo-signed, /stream-signed and GET /example-subnet-get (--protocol signed, the default), or encrypted POST /echo and GET /example-encrypted-get (--protocol encrypted)")
      .option("--host <host>", "interface to bind", "127.0.0.1")
      .option("--port <port>", "port to listen on (0 = any free port)", parseInteger(0, 65535), 7999),
    "miner",
  ))
    .addOption(
      new Option("--protocol <protocol>", "the Fiber protocol to speak: signed (Fiber 2's default), encrypted (RSA key exchange, Fernet bodies), or both (exposes the miner to cross-protocol signature reuse; see docs/protocol.md)")
        .choices(FIBER_PROTOCOLS)
        .default(DEFAULT_SERVE_PROTOCOL),
    )
    .option("--allow <ss58,…>", "serve only these validator hotkeys", parseAllow)
    .option("--metagraph <file>", "JSON object mapping validator hotkeys to stake (TAO), or Fiber's nodes.json")
    .option("--min-stake <tao>", `minimum stake with --metagraph or --subtensor (default ${DEFAULT_MIN_STAKE})`, parseStake)
    .option("--subtensor <network>", "gate validators by their live stake on chain: finney, test, local, or a ws:// / wss:// URL (with --netuid)")
    .option("--netuid <n>", "the subnet whose metagraph gates validators (with --subtensor)", parseInteger(0, 65535))
    .option("--nodes-file <file>", "with --subtensor: Fiber's nodes.json, loaded at start and saved at shutdown")
    .option("--cors <origin,…>", "allow browser validators from these origins (or *)", parseOrigins)
    .option("--answer-timeout <ms>", `close the connection of a client that takes nothing of its answer for this long (default ${DEFAULT_ANSWER_TIMEOUT_MS})`, parseInteger(1, 3_600_000))
    .option("--answer-budget <MiB>", `most MiB of answers waiting for their clients, across all connections; a whole answer beyond it is a 503 (default ${DEFAULT_MAX_QUEUED_ANSWER_BYTES / 1024 / 1024})`, parseInteger(1, 65_536))
    .option("--verify-threads <n>", "verify request signatures (sr25519) on n worker threads in each process, the event loop verifying only when they are idle (0 = always on the event loop; at most the number of cores; default: 1 when the machine has at least 2 cores per process, else 0)", parseInteger(0, 64))
    .option("--workers <n>", "run n processes (node:cluster) acting as one miner: nonces, keys and the RSA key shared through Redis, else through the primary (1 = one process)", parseInteger(1, MAX_WORKERS)))
    .action(action("serve", run));
}
