/**
 * `pmh serve`: a Fiber-compatible miner with one demo encrypted route, `POST /echo`,
 * which answers the decrypted JSON object as plain JSON.
 *
 * @module
 */
import { Command, InvalidArgumentError as CommanderArgumentError, Option } from "commander";
import { allowAll, allowlist, minStake, type Authorizer } from "../fiber/authorize.js";
import { DEFAULT_MIN_STAKE } from "../fiber/constants.js";
import { Keypair } from "../fiber/keypair.js";
import { FiberServer } from "../fiber/server.js";
import { isSs58Address } from "../fiber/ss58.js";
import { serve } from "../node/serve.js";
import { loadOrCreateRSAKey } from "../node/keyfile.js";
import { loadMetagraphFile, loadWalletHotkey } from "../node/wallet.js";

/** Options of `pmh serve`, as commander parses them. */
interface ServeFlags {
  host: string;
  port: number;
  hotkeySeed?: string;
  mnemonic?: string;
  wallet?: string;
  hotkey?: string;
  walletsPath?: string;
  allow?: string[];
  metagraph?: string;
  minStake: number;
  rsaKey?: string;
}

function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new CommanderArgumentError("must be an integer from 0 to 65535");
  return Number(value);
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

async function loadHotkey(flags: ServeFlags): Promise<Keypair> {
  const sources = [flags.hotkeySeed !== undefined, flags.mnemonic !== undefined, flags.wallet !== undefined || flags.hotkey !== undefined];
  if (sources.filter(Boolean).length !== 1) throw new Error("give exactly one of --hotkey-seed, --mnemonic, or --wallet with --hotkey");
  if (flags.hotkeySeed !== undefined) return Keypair.fromSeed(flags.hotkeySeed);
  if (flags.mnemonic !== undefined) return Keypair.fromMnemonic(flags.mnemonic);
  if (flags.wallet === undefined || flags.hotkey === undefined) throw new Error("--wallet and --hotkey go together");
  return loadWalletHotkey(flags.wallet, flags.hotkey, flags.walletsPath === undefined ? {} : { walletsPath: flags.walletsPath });
}

/** Every given check must pass: the allowlist, then the stake gate. */
async function loadAuthorizer(flags: ServeFlags): Promise<Authorizer> {
  const checks: Authorizer[] = [];
  if (flags.allow !== undefined) checks.push(allowlist(flags.allow));
  if (flags.metagraph !== undefined) checks.push(minStake(await loadMetagraphFile(flags.metagraph), flags.minStake));
  if (checks.length === 0) return allowAll;
  return async (hotkey) => {
    for (const check of checks) {
      const decision = await check(hotkey);
      if (!decision.allowed) return decision;
    }
    return { allowed: true };
  };
}

async function run(flags: ServeFlags): Promise<void> {
  const keypair = await loadHotkey(flags);
  const authorize = await loadAuthorizer(flags);
  const rsaPrivateKey = flags.rsaKey === undefined ? undefined : await loadOrCreateRSAKey(flags.rsaKey);
  const server = await FiberServer.create({ keypair, authorize, ...(rsaPrivateKey === undefined ? {} : { rsaPrivateKey }) });
  server.route("/echo", {
    parse: (value) => {
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("the payload must be a JSON object");
      return value as Record<string, unknown>;
    },
    handler: (payload) => payload,
  });
  const running = await serve(server.fetch, { host: flags.host, port: flags.port });
  const who = flags.allow === undefined && flags.metagraph === undefined ? "any validator with a valid signature" : "authorized validators only";
  console.log(`pmh: Fiber miner ${keypair.ss58Address} listening on ${running.url} (${who}; POST /echo)`);
  const stop = (signal: string) => {
    console.log(`pmh: ${signal}, closing`);
    void running.close().then(() => console.log("pmh: closed"));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

/** Adds the `serve` subcommand to `program`. */
export function serveCommand(program: Command): void {
  program
    .command("serve")
    .description("start a Fiber-compatible miner with the demo encrypted route POST /echo")
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 = any free port)", parsePort, 7999)
    .addOption(new Option("--hotkey-seed <0x…>", "miner hotkey mini secret, 0x + 64 hex digits").env("PMH_HOTKEY_SEED"))
    .addOption(new Option("--mnemonic <phrase>", "miner hotkey mnemonic (English BIP39)").env("PMH_MNEMONIC"))
    .option("--wallet <name>", "Bittensor wallet name (with --hotkey)")
    .option("--hotkey <name>", "hotkey name inside --wallet")
    .option("--wallets-path <dir>", "wallets folder (default ~/.bittensor/wallets)")
    .option("--allow <ss58,…>", "serve only these validator hotkeys", parseAllow)
    .option("--metagraph <file>", "JSON object mapping validator hotkeys to stake (TAO)")
    .option("--min-stake <tao>", "minimum stake with --metagraph", parseStake, DEFAULT_MIN_STAKE)
    .option("--rsa-key <file>", "keep the RSA key in this file across restarts (created, mode 0600, if missing)")
    .addHelpText("after", "\nSecrets on the command line are visible to other users (ps); prefer PMH_HOTKEY_SEED / PMH_MNEMONIC or a wallet file.")
    .action(async (flags: ServeFlags) => {
      try {
        await run(flags);
      } catch (error) {
        console.error(`pmh serve: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      }
    });
}
