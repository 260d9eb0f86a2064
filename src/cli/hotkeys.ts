/**
 * The validator/miner hotkey options of the Fiber commands (`serve`, `handshake`, `send`,
 * `metagraph`, `post-ip`): kept apart from `./common.js` so that only these commands load
 * the Fiber key modules.
 *
 * @module
 */
import type { Command } from "commander";
import { InvalidArgumentError as CommanderArgumentError } from "commander";
import type { WarningHandler } from "../common/warnings.js";
import { Keypair } from "../fiber/keypair.js";
import { loadWalletHotkey } from "../fiber/node/wallet.js";
import { isSs58Address } from "../fiber/ss58.js";
import { UsageError } from "./common.js";
import { cliWarnings } from "./warnings.js";
// Fiber's Node backends (node:crypto Fernet, body hashes, RSA), here because every Fiber
// command but `demo` (which installs them itself) takes these options; `pmh` itself no
// longer installs them for commands that need none.
import "../fiber/node/install.js";

/** Parses an ss58 address option. */
export function parseSs58(value: string): string {
  if (!isSs58Address(value)) throw new CommanderArgumentError("must be an ss58 address");
  return value;
}

/** The hotkey options every Fiber command takes. */
export interface HotkeyFlags {
  hotkeySeed?: string;
  mnemonic?: string;
  wallet?: string;
  hotkey?: string;
  walletsPath?: string;
}

/** Environment variables holding each side's hotkey (not visible with `ps`, unlike arguments). */
export const HOTKEY_ENV = {
  miner: { seed: "PMH_HOTKEY_SEED", mnemonic: "PMH_MNEMONIC" },
  validator: { seed: "PMH_VALIDATOR_SEED", mnemonic: "PMH_VALIDATOR_MNEMONIC" },
} as const;

/** Whose hotkey a command uses. */
export type HotkeyRole = keyof typeof HOTKEY_ENV;

/** Adds the hotkey options (seed, mnemonic, or wallet + hotkey) to a command. */
export function hotkeyOptions(command: Command, whose: HotkeyRole): Command {
  const env = HOTKEY_ENV[whose];
  return command
    .option("--hotkey-seed <0x…>", `${whose} hotkey mini secret, 0x + 64 hex digits (or $${env.seed})`)
    .option("--mnemonic <phrase>", `${whose} hotkey mnemonic, English BIP39 (or $${env.mnemonic})`)
    .option("--wallet <name>", "Bittensor wallet name (with --hotkey)")
    .option("--hotkey <name>", "hotkey name inside --wallet")
    .option("--wallets-path <dir>", "wallets folder (default ~/.bittensor/wallets)")
    .addHelpText("after", `\nSecrets on the command line are visible to other users (ps); prefer ${env.seed} / ${env.mnemonic} or a wallet file.\nThe environment is read only when no hotkey option is given.`);
}

/** Loads the one hotkey the flags name, or else the one the environment names; a wallet file others can read warns. */
export async function loadHotkey(flags: HotkeyFlags, whose: HotkeyRole, onWarning: WarningHandler = cliWarnings()): Promise<Keypair> {
  const given = flags.hotkeySeed !== undefined || flags.mnemonic !== undefined || flags.wallet !== undefined || flags.hotkey !== undefined;
  const env = HOTKEY_ENV[whose];
  const fromEnv = (name: string) => (process.env[name] === "" ? undefined : process.env[name]);
  const seed = given ? flags.hotkeySeed : fromEnv(env.seed);
  const mnemonic = given ? flags.mnemonic : fromEnv(env.mnemonic);
  const sources = [seed !== undefined, mnemonic !== undefined, flags.wallet !== undefined || flags.hotkey !== undefined];
  if (sources.filter(Boolean).length !== 1) throw new UsageError(`give exactly one of --hotkey-seed, --mnemonic, or --wallet with --hotkey (or set ${env.seed} or ${env.mnemonic})`);
  if (seed !== undefined) return Keypair.fromSeed(seed);
  if (mnemonic !== undefined) return Keypair.fromMnemonic(mnemonic);
  if (flags.wallet === undefined || flags.hotkey === undefined) throw new UsageError("--wallet and --hotkey go together");
  return loadWalletHotkey(flags.wallet, flags.hotkey, { ...(flags.walletsPath === undefined ? {} : { walletsPath: flags.walletsPath }), onWarning });
}

