/**
 * `pmh metagraph` and `pmh post-ip` (Fiber on the Bittensor chain), and the live stake
 * gate of `pmh serve --subtensor`.
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import type { Command } from "commander";
import { minStake, type Authorizer } from "../fiber/authorize.js";
import { connectChain } from "../fiber/chain/node/index.js";
import { loadNodesFile, saveNodesFile } from "../fiber/node/wallet.js";
import { Metagraph } from "../fiber/chain/metagraph.js";
import { fetchNodes, type Node } from "../fiber/chain/nodes.js";
import { parseIp, postAxon } from "../fiber/chain/extrinsics.js";
import type { Chain } from "../fiber/chain/client.js";
import { DEFAULT_MIN_STAKE } from "../fiber/constants.js";
import { action, jsonOption, messageOf, parseInteger, printJson, UsageError } from "./common.js";
import { hotkeyOptions, loadHotkey, type HotkeyFlags } from "./hotkeys.js";
import { cliWarnings } from "./warnings.js";

/** A progress line on stderr, only when it is a terminal (never mixed into --json output). */
function progress(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`pmh: ${line}\n`);
}

async function open(subtensor: string): Promise<Chain> {
  progress(`connecting to ${subtensor} ...`);
  return connectChain(subtensor);
}

interface MetagraphFlags {
  subtensor: string;
  netuid: number;
  out?: string;
  block?: number;
  json?: boolean;
}

async function runMetagraph(flags: MetagraphFlags): Promise<void> {
  const chain = await open(flags.subtensor);
  let nodes: Node[];
  try {
    progress(`reading the nodes of subnet ${flags.netuid} ...`);
    nodes = await fetchNodes(chain, flags.netuid, { block: flags.block });
  } finally {
    chain.close();
  }
  const byHotkey: Record<string, Node> = {};
  for (const node of nodes) byHotkey[node.hotkey] = node;
  if (flags.out !== undefined) await saveNodesFile(flags.out, byHotkey);
  if (flags.json) printJson(flags.out === undefined ? byHotkey : { event: "saved", path: flags.out, nodes: nodes.length });
  else if (flags.out !== undefined) console.log(`pmh: ${nodes.length} nodes of subnet ${flags.netuid} saved to ${flags.out}`);
  else for (const n of nodes) console.log(`${n.node_id}\t${n.hotkey}\t${n.stake}\t${n.ip}:${n.port}`);
}

interface PostIpFlags extends HotkeyFlags {
  subtensor: string;
  netuid: number;
  ip: string;
  port: number;
  json?: boolean;
}

async function runPostIp(flags: PostIpFlags): Promise<void> {
  const keypair = await loadHotkey(flags, "miner", cliWarnings("post-ip"));
  let ip = flags.ip;
  try {
    parseIp(ip);
  } catch {
    progress(`resolving ${ip} ...`);
    ip = (await lookup(ip)).address; // Fiber 2.5 resolves a DNS name first
  }
  const chain = await open(flags.subtensor);
  try {
    progress(`posting ${ip}:${flags.port} for ${keypair.ss58Address} on subnet ${flags.netuid}, waiting for inclusion ...`);
    const included = await postAxon(chain, keypair, { netuid: flags.netuid, ip, port: flags.port });
    if (flags.json) printJson({ event: "posted", hotkey: keypair.ss58Address, ip, port: flags.port, netuid: flags.netuid, block: included.blockNumber, blockHash: included.blockHash });
    else console.log(`pmh: ${keypair.ss58Address} posted ${ip}:${flags.port} on subnet ${flags.netuid} (block ${included.blockNumber})`);
  } finally {
    chain.close();
  }
}

const network = "finney, test, local, or a ws:// / wss:// URL";

/** `pmh metagraph`: the nodes of a subnet, printed or saved as Fiber's nodes.json. */
export function metagraphCommand(program: Command): void {
  jsonOption(program
    .command("metagraph")
    .description("read the nodes of a subnet from the chain (Fiber's Node objects), print them or save them as nodes.json")
    .requiredOption("--subtensor <network>", network)
    .requiredOption("--netuid <n>", "the subnet", parseInteger(0, 65535))
    .option("--block <n>", "read at this block instead of the best one", parseInteger(0, Number.MAX_SAFE_INTEGER))
    .option("--out <file>", "write Fiber's nodes.json (hotkey to Node) here"))
    .action(action("metagraph", runMetagraph));
}

/** `pmh post-ip`: posts the miner's axon on chain (serve_axon, signed by the hotkey). */
export function postIpCommand(program: Command): void {
  jsonOption(hotkeyOptions(program
    .command("post-ip")
    .description("post the miner's IP and port on chain (SubtensorModule.serve_axon, signed by the hotkey; no coldkey needed). 0.0.0.1 is Fiber's convention for a miner on the validator's machine")
    .requiredOption("--subtensor <network>", network)
    .requiredOption("--netuid <n>", "the subnet", parseInteger(0, 65535))
    .requiredOption("--ip <address>", "the public IPv4 or IPv6 address, or a DNS name (resolved first)")
    .requiredOption("--port <port>", "the port", parseInteger(0, 65535)), "miner"))
    .action(action("post-ip", runPostIp));
}

/** Flags of `pmh serve` for the live stake gate. */
export interface LiveGateFlags {
  subtensor?: string;
  netuid?: number;
  nodesFile?: string;
  minStake?: number;
}

/**
 * The live stake gate of `pmh serve --subtensor … --netuid N`: a Metagraph synced every
 * 5 minutes (first from `--nodes-file` when given, as Fiber's `load_old_nodes`), keeping
 * its last good state when the chain cannot be read. Closes on SIGINT / SIGTERM.
 */
export async function liveStakeGate(flags: LiveGateFlags, log: (line: string) => void): Promise<Authorizer> {
  if (flags.subtensor === undefined || flags.netuid === undefined) throw new UsageError("--subtensor and --netuid go together");
  const nodes = flags.nodesFile === undefined ? undefined : await loadNodesFile(flags.nodesFile, { fieldSet: "any" }).catch(() => undefined);
  const chain = await open(flags.subtensor);
  const metagraph = new Metagraph({ netuid: flags.netuid, chain, nodes, onSyncError: (error) => log(`metagraph sync failed, keeping the last good state: ${messageOf(error)}`) });
  progress(`syncing the metagraph of subnet ${flags.netuid} ...`);
  await metagraph.start();
  if (metagraph.status.size === 0 && metagraph.status.lastError !== undefined) {
    metagraph.stop();
    chain.close();
    throw metagraph.status.lastError;
  }
  const close = () => {
    metagraph.stop();
    chain.close();
    if (flags.nodesFile !== undefined) void saveNodesFile(flags.nodesFile, metagraph.nodes).catch(() => {});
  };
  process.once("SIGINT", close);
  process.once("SIGTERM", close);
  return minStake(metagraph.stakes, flags.minStake ?? DEFAULT_MIN_STAKE);
}
