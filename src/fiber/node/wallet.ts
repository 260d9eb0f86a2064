/**
 * Bittensor wallet files and metagraph files, read from disk (Node only).
 *
 * @module
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { astring } from "../../common/bytes.js";
import { InvalidArgumentError, KeyFormatError } from "../../common/errors.js";
import { parseMetagraph, type Metagraph } from "../authorize.js";
import { Keypair } from "../keypair.js";
import { readTextFile, writeFileAtomic } from "../../common/node/files.js";
import { formatNodes, parseNodes, type FiberNode, type ParseNodesOptions } from "../nodes.js";
import { checkKeyFileOptions, readSecretTextFile, type KeyFileOptions } from "../../common/node/key-file-access.js";

const NAME = /^[A-Za-z0-9._-]+$/;

/** Options of {@link loadWalletHotkey}; `onWarning` hears of a hotkey file others can read. */
export interface WalletOptions extends KeyFileOptions {
  /** The wallets folder; `~/.bittensor/wallets` by default. */
  walletsPath?: string | undefined;
}

/**
 * The path of a hotkey file: `<walletsPath>/<wallet>/hotkeys/<hotkey>`.
 * @throws InvalidArgumentError when a name could escape the folder (`/`, `..`)
 */
export function walletHotkeyPath(wallet: string, hotkey: string, options: WalletOptions = {}): string {
  for (const [name, value] of [["wallet", wallet], ["hotkey", hotkey]] as const) {
    astring(value, name);
    if (!NAME.test(value) || value === "." || value === "..") {
      throw new InvalidArgumentError(`${name} must be a plain file name (letters, digits, '.', '_', '-'), got ${JSON.stringify(value)}`);
    }
  }
  return join(options.walletsPath ?? join(homedir(), ".bittensor", "wallets"), wallet, "hotkeys", hotkey);
}

/**
 * Loads a hotkey from a Bittensor wallet (the unencrypted JSON file whose `secretSeed`
 * is `"0x"` + a 32-byte mini secret).
 * @param wallet - the wallet name
 * @param hotkey - the hotkey name
 * @param options - see {@link WalletOptions}
 * @throws FileError when the file cannot be read (missing, a folder, no permission)
 * @throws KeyFormatError when the file is not such a JSON file
 */
export async function loadWalletHotkey(wallet: string, hotkey: string, options: WalletOptions = {}): Promise<Keypair> {
  const path = walletHotkeyPath(wallet, hotkey, checkKeyFileOptions(options));
  const text = await readSecretTextFile(path, "a Bittensor hotkey file (JSON with secretSeed)", options);
  let seed: unknown;
  try {
    seed = (JSON.parse(text) as { secretSeed?: unknown }).secretSeed;
  } catch (cause) {
    throw new KeyFormatError(`${path} is not JSON (encrypted hotkeys are not supported)`, { cause });
  }
  if (typeof seed !== "string") throw new KeyFormatError(`${path} has no "secretSeed" string`);
  return Keypair.fromSeed(seed);
}

/**
 * Reads a metagraph file: a JSON object mapping ss58 hotkeys to stakes in TAO, or Fiber's
 * `nodes.json` of any version (2.1's, or 2.3.0+'s with `alpha_stake` and `tao_stake`), of
 * which `stake` (2.3.0+: the total) is read.
 * @param path - the file
 * @throws FileError when the file cannot be read
 * @throws InvalidArgumentError when the content is not such an object
 */
export async function loadMetagraphFile(path: string): Promise<Metagraph> {
  return parseMetagraph(await readJsonFile(path, "a metagraph file (JSON: hotkey to stake)"));
}

/** Reads a file as JSON, naming the file when it is not. */
async function readJsonFile(path: string, expected: string): Promise<unknown> {
  astring(path, "path");
  const text = await readTextFile(path, expected);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new InvalidArgumentError(`${path} is not JSON`, { cause });
  }
}

/**
 * Reads a `nodes.json` of Fiber 2.3.0+ (hotkey → `Node` with `alpha_stake` and `tao_stake`);
 * see `parseNodes`. By default a 2.1 file is refused, as Fiber 2.5.0 drops it: read its
 * stakes with {@link loadMetagraphFile}, or the whole file with `{ fieldSet: "any" }`.
 * @param path - the file
 * @param options - which field sets to accept (`ParseNodesOptions`)
 * @throws FileError when the file cannot be read
 * @throws InvalidArgumentError when it is not such a file
 */
export async function loadNodesFile(path: string, options: ParseNodesOptions = {}): Promise<Record<string, FiberNode>> {
  return parseNodes(await readJsonFile(path, "a Fiber nodes.json"), options);
}

/**
 * Writes a `nodes.json` as Fiber 2.3.0+'s `Metagraph.save_nodes` does (see `formatNodes`),
 * atomically: it loads in Fiber 2.5.0's and 2.1.0's `load_nodes`, and in {@link loadMetagraphFile}.
 * @param path - the file
 * @param nodes - map hotkey → node
 */
export async function saveNodesFile(path: string, nodes: Readonly<Record<string, FiberNode>>): Promise<void> {
  await writeFileAtomic(astring(path, "path"), formatNodes(nodes));
}
