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
import { serve } from "../node/serve.js";
import { withCors } from "../fiber/cors.js";
import { loadMetagraphFile } from "../node/wallet.js";
import { action, EXIT, hotkeyOptions, jsonOption, loadHotkey, messageOf, parseInteger, printJson, UsageError, type HotkeyFlags } from "./common.js";
import { echoSigned, streamSigned } from "./signed-routes.js";
import { openStores, storeOptions, type StoreFlags } from "./stores.js";
import { surviveClosedOutput } from "./streams.js";
import { cliWarnings } from "./warnings.js";

/** Options of `pmh serve`, as commander parses them. */
interface ServeFlags extends HotkeyFlags, StoreFlags {
  host: string;
  port: number;
  allow?: string[];
  metagraph?: string;
  minStake?: number;
  cors?: string[];
  json?: boolean;
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
async function loadAuthorizer(flags: ServeFlags): Promise<Authorizer> {
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

async function run(flags: ServeFlags): Promise<void> {
  surviveClosedOutput(); // a closed log reader (`pmh serve | head -1`) must not stop the miner
  const onWarning = cliWarnings("serve");
  const keypair = await loadHotkey(flags, "miner", onWarning);
  const authorize = await loadAuthorizer(flags);
  // --json: every stdout line is a JSON object with an `event` ("listening", "log").
  const log = flags.json ? (line: string) => printJson({ event: "log", message: line }) : (line: string) => console.log(`pmh: ${line}`);
  const stores = await openStores(flags, log, onWarning);
  let running;
  try {
    const { description, close, ...options } = stores;
    const server = await FiberServer.create({ keypair, authorize, ...options });
    server.route("/echo", {
      parse: (value) => {
        if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("the payload must be a JSON object");
        return value as Record<string, unknown>;
      },
      handler: (payload) => payload,
    });
    server.signedRoute("/echo-signed", echoSigned).signedRoute("/stream-signed", streamSigned);
    const handler = flags.cors === undefined ? server.fetch : withCors(server.fetch, flags.cors);
    running = await serve(handler, { host: flags.host, port: flags.port });
  } catch (error) {
    await stores.close();
    throw error;
  }
  const who = flags.allow === undefined && flags.metagraph === undefined ? "any validator with a valid signature" : "authorized validators only";
  const cors = flags.cors === undefined ? "" : `; CORS for ${flags.cors.join(", ")}`;
  const server = running;
  const stop = (signal: string) => {
    log(`${signal}, closing`);
    void server
      .close()
      .then(() => stores.close())
      .then(
        () => log("closed"),
        (error: unknown) => {
          console.error(`pmh serve: could not close cleanly: ${messageOf(error)}`);
          process.exitCode = EXIT.failed;
        },
      );
  };
  // Before the "listening" line: a supervisor may signal as soon as it reads it.
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  if (flags.json) printJson({ event: "listening", url: running.url, host: flags.host, port: running.port, minerHotkey: keypair.ss58Address, routes: ["/echo", "/echo-signed", "/stream-signed"], stores: stores.description, ...(flags.cors === undefined ? {} : { cors: flags.cors }) });
  else log(`Fiber miner ${keypair.ss58Address} listening on ${running.url} (${who}; encrypted POST /echo; signed POST /echo-signed, /stream-signed; ${stores.description}${cors})`);
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
    .option("--cors <origin,…>", "allow browser validators from these origins (or *)", parseOrigins))
    .action(action("serve", run));
}
