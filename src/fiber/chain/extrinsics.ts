/**
 * Writing the chain as Fiber does: posting a miner's axon (`post_ip_to_chain.py`) and
 * setting a validator's weights (`weights.py`), signed by the hotkey, each waiting for
 * inclusion in a block and reporting the runtime's own error by name.
 *
 * @module
 */
import { ChainError, InvalidArgumentError } from "../../common/errors.js";
import type { Keypair } from "../keypair.js";
import { withTimeout, type Chain, type TxEvent, type UnsafeTx } from "./client.js";

/** The largest weight after scaling (`U16_MAX` in Fiber's constants). */
export const MAX_WEIGHT = 65535;
/** The mortality of a weights transaction, in blocks (Fiber's `era={"period": 5}`). */
export const WEIGHTS_ERA_BLOCKS = 5;
/** The IP Fiber's local-dev convention posts for a miner on the validator's machine: the chain refuses loopback addresses. */
export const LOCAL_DEV_IP = "0.0.0.1";

const DEFAULT_INCLUSION_TIMEOUT_MS = 60_000;

/** Where a transaction landed. */
export interface Inclusion {
  /** The block's hash. */
  blockHash: string;
  /** The block's number. */
  blockNumber: number;
  /** The transaction's hash. */
  txHash: string;
}

/** Options every write takes. */
export interface SubmitOptions {
  /** ms to wait for inclusion in a best block; 60 000 by default. */
  timeoutMs?: number | undefined;
  /** The account nonce to sign with (by default the chain's, at the best block). */
  nonce?: number | undefined;
}

function describeDispatchError(error: { type: string; value: unknown }): { pallet?: string; name: string } {
  if (error.type === "Module") {
    const module = error.value as { type?: unknown; value?: { type?: unknown } } | undefined;
    const pallet = typeof module?.type === "string" ? module.type : undefined;
    const name = typeof module?.value?.type === "string" ? module.value.type : "UnknownModuleError";
    return pallet === undefined ? { name } : { pallet, name };
  }
  // Other DispatchError variants: BadOrigin, Token(FundsUnavailable), Arithmetic(Overflow), ...
  const inner = (error.value as { type?: unknown } | undefined)?.type;
  return { name: typeof inner === "string" ? `${error.type}.${inner}` : error.type };
}

function invalidName(error: unknown): string | undefined {
  // polkadot-api's InvalidTxError carries the TransactionValidityError, e.g. {type: "Invalid", value: {type: "Stale"}}.
  const value = (error as { error?: { type?: unknown; value?: { type?: unknown } } } | null)?.error;
  if (typeof value?.type !== "string") return undefined;
  return typeof value.value?.type === "string" ? `${value.type}.${value.value.type}` : value.type;
}

/**
 * Signs `tx` with `keypair`, submits it and waits for it in a best block.
 * @throws ChainError `dispatch` with the runtime's error name, `invalid`, or `timeout`
 */
export async function submitAndWait(chain: Chain, keypair: Keypair, tx: UnsafeTx, what: string, options: SubmitOptions & { mortalBlocks?: number } = {}): Promise<Inclusion> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_INCLUSION_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new InvalidArgumentError("timeoutMs must be a positive integer");
  const signer = chain.modules.signer.getPolkadotSigner(keypair.publicKey, "Sr25519", (payload) => keypair.sign(payload));
  const txOptions: Record<string, unknown> = {};
  if (options.mortalBlocks !== undefined) txOptions["mortality"] = { mortal: true, period: options.mortalBlocks };
  if (options.nonce !== undefined) txOptions["nonce"] = options.nonce;
  let subscription: { unsubscribe(): void } | undefined;
  const included = new Promise<Inclusion>((resolve, reject) => {
    let txHash = "";
    subscription = tx.signSubmitAndWatch(signer, txOptions).subscribe({
      next(event: TxEvent) {
        if (event.txHash !== undefined) txHash = event.txHash;
        if (event.type !== "txBestBlocksState" && event.type !== "finalized") return;
        if (event.found !== true && event.type !== "finalized") return;
        if (event.ok === false && event.dispatchError !== undefined) {
          const { pallet, name } = describeDispatchError(event.dispatchError);
          reject(new ChainError("dispatch", `${what} failed: the runtime refused it with ${pallet === undefined ? "" : `${pallet}.`}${name}`, { runtimeError: name, pallet }));
        } else {
          resolve({ blockHash: event.block?.hash ?? "", blockNumber: event.block?.number ?? -1, txHash });
        }
      },
      error(error: unknown) {
        const name = invalidName(error);
        reject(new ChainError("invalid", `${what} was refused before any block${name === undefined ? "" : ` (${name})`}: ${error instanceof Error ? error.message : String(error)}`, { runtimeError: name, cause: error }));
      },
    });
  });
  try {
    return await withTimeout(included, timeoutMs, `${what}: waiting for inclusion`);
  } finally {
    subscription?.unsubscribe();
  }
}

/** An IP address as the chain stores it: its integer and its version (4 or 6). */
export function parseIp(ip: string): { value: bigint; version: 4 | 6 } {
  if (typeof ip !== "string") throw new InvalidArgumentError("ip must be a string");
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4 !== null) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((p) => p > 255)) throw new InvalidArgumentError(`ip ${JSON.stringify(ip)} is not an IPv4 address`);
    return { value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n), version: 4 };
  }
  if (ip.includes(":")) {
    const [head, tail, ...rest] = ip.split("::");
    if (rest.length > 0) throw new InvalidArgumentError(`ip ${JSON.stringify(ip)} is not an IPv6 address`);
    const groupsOf = (part: string | undefined): number[] => {
      if (part === undefined || part === "") return [];
      return part.split(":").flatMap((g, i, all) => {
        if (i === all.length - 1 && g.includes(".")) {
          const { value } = parseIp(g);
          return [Number(value >> 16n), Number(value & 0xffffn)];
        }
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new InvalidArgumentError(`ip ${JSON.stringify(ip)} is not an IPv6 address`);
        return [parseInt(g, 16)];
      });
    };
    const left = groupsOf(head), right = groupsOf(tail);
    const missing = 8 - left.length - right.length;
    if ((tail === undefined && missing !== 0) || (tail !== undefined && missing < 1)) throw new InvalidArgumentError(`ip ${JSON.stringify(ip)} is not an IPv6 address`);
    const groups = [...left, ...Array<number>(tail === undefined ? 0 : missing).fill(0), ...right];
    return { value: groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n), version: 6 };
  }
  throw new InvalidArgumentError(`ip must be an IPv4 or IPv6 address (resolve a DNS name first), got ${JSON.stringify(ip)}`);
}

/** Options of {@link postAxon}. */
export interface PostAxonOptions extends SubmitOptions {
  /** The subnet. */
  netuid: number;
  /** The public IPv4 or IPv6 address (a literal: resolve a DNS name first). {@link LOCAL_DEV_IP} for a miner on the validator's machine. */
  ip: string;
  /** The port. */
  port: number;
  /** The protocol; 4 by default (Fiber's). */
  protocol?: number | undefined;
}

/**
 * Posts the miner's address on chain: `SubtensorModule.serve_axon` with version 1, the IP
 * as an integer, its `ip_type` (4 or 6), the port, `protocol` 4 and placeholders 0, signed
 * by the hotkey, as Fiber's `post_node_ip_to_chain`. Waits for inclusion.
 * @param chain - the connection
 * @param keypair - the miner's hotkey (never a coldkey)
 * @param options - see {@link PostAxonOptions}
 * @throws ChainError `dispatch`: e.g. `ServingRateLimitExceeded`, `InvalidIpAddress` (loopback), `HotKeyNotRegisteredInSubNet`
 */
export async function postAxon(chain: Chain, keypair: Keypair, options: PostAxonOptions): Promise<Inclusion> {
  const { netuid, port } = options;
  if (!Number.isInteger(netuid) || netuid < 0 || netuid > 65535) throw new InvalidArgumentError("netuid must be an integer from 0 to 65535");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError("port must be an integer from 0 to 65535");
  const protocol = options.protocol ?? 4;
  if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) throw new InvalidArgumentError("protocol must be an integer from 0 to 255");
  const { value, version } = parseIp(options.ip);
  const tx = chain.api.tx["SubtensorModule"]!["serve_axon"]!({ netuid, version: 1, ip: value, port, ip_type: version, protocol, placeholder1: 0, placeholder2: 0 });
  return submitAndWait(chain, keypair, tx, "serve_axon", options);
}

/**
 * Fiber's `_normalize_and_quantize_weights`: the largest weight becomes 65535, the others
 * are scaled and rounded (half to even, as Python's `round`), and zero weights are dropped.
 * All zero gives empty lists.
 * @throws InvalidArgumentError on a length mismatch, a negative uid or weight
 */
export function normalizeWeights(nodeIds: readonly number[], weights: readonly number[]): { uids: number[]; weights: number[] } {
  if (nodeIds.length !== weights.length || nodeIds.some((u) => !Number.isInteger(u) || u < 0 || u > 65535) || weights.some((w) => !(w >= 0) || !Number.isFinite(w))) {
    throw new InvalidArgumentError("nodeIds and weights must have the same length, uids integers from 0 to 65535 and weights finite and non-negative");
  }
  const max = Math.max(0, ...weights);
  if (max === 0) return { uids: [], weights: [] };
  const scale = MAX_WEIGHT / max;
  const out = { uids: [] as number[], weights: [] as number[] };
  weights.forEach((w, i) => {
    if (w > 0) {
      out.uids.push(nodeIds[i]!);
      out.weights.push(roundHalfEven(w * scale));
    }
  });
  return out;
}

/** Python 3's `round(x)`: to the nearest integer, ties to even. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Options of {@link setWeights}. */
export interface SetWeightsOptions extends SubmitOptions {
  /** The subnet. */
  netuid: number;
  /** The miners' uids. */
  nodeIds: readonly number[];
  /** Their weights (any non-negative scale; normalised as Fiber does). */
  weights: readonly number[];
  /** The subnet's version key; 0 by default. */
  versionKey?: number | bigint | undefined;
}

function asBigInt(value: unknown, what: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  throw new ChainError("unexpected", `${what} is not an integer`);
}

/**
 * Sets the validator's weights as Fiber's `set_node_weights`: normalises them, checks the
 * rate limit first (`WeightsSetRateLimit` against the blocks since the validator's
 * `LastUpdate`), refuses a subnet with `CommitRevealWeightsEnabled` (Fiber's commit path
 * calls `commit_crv3_weights`, which current subtensor removed; not implemented here), then
 * sends `set_weights` with an era of 5 blocks and waits for inclusion.
 * @param chain - the connection
 * @param keypair - the validator's hotkey (never a coldkey)
 * @param options - see {@link SetWeightsOptions}
 * @throws ChainError `rate-limit` (checked before sending), `commit-reveal`, `invalid` (hotkey not registered), `dispatch` (e.g. `SettingWeightsTooFast`)
 */
export async function setWeights(chain: Chain, keypair: Keypair, options: SetWeightsOptions): Promise<Inclusion> {
  const { netuid } = options;
  if (!Number.isInteger(netuid) || netuid < 0 || netuid > 65535) throw new InvalidArgumentError("netuid must be an integer from 0 to 65535");
  const versionKey = BigInt(options.versionKey ?? 0);
  if (versionKey < 0n || versionKey >= 2n ** 64n) throw new InvalidArgumentError("versionKey must be a u64");
  const { uids, weights } = normalizeWeights(options.nodeIds, options.weights);
  const query = chain.api.query["SubtensorModule"]!;
  const uid = await query["Uids"]!.getValue(netuid, keypair.ss58Address, { at: "best" });
  if (uid === undefined || uid === null) throw new ChainError("invalid", `${keypair.ss58Address} is not registered in subnet ${netuid}`, { runtimeError: "HotKeyNotRegisteredInSubNet" });
  const [current, lastUpdate, rateLimit, commitReveal] = await Promise.all([
    chain.api.query["System"]!["Number"]!.getValue({ at: "best" }),
    query["LastUpdate"]!.getValue(netuid, { at: "best" }),
    query["WeightsSetRateLimit"]!.getValue(netuid, { at: "best" }),
    query["CommitRevealWeightsEnabled"]!.getValue(netuid, { at: "best" }),
  ]);
  const last = Array.isArray(lastUpdate) ? lastUpdate[Number(uid)] : undefined;
  const since = asBigInt(current, "System.Number") - asBigInt(last ?? 0n, "LastUpdate");
  const limit = asBigInt(rateLimit, "WeightsSetRateLimit");
  if (since < limit) {
    throw new ChainError("rate-limit", `too soon to set weights: ${since} blocks since the last update, ${limit} required (WeightsSetRateLimit)`, { runtimeError: "SettingWeightsTooFast", pallet: "SubtensorModule" });
  }
  if (commitReveal === true) {
    throw new ChainError("commit-reveal", `subnet ${netuid} has commit-reveal weights on (CommitRevealWeightsEnabled); setWeights only sends plain set_weights`);
  }
  const tx = chain.api.tx["SubtensorModule"]!["set_weights"]!({ netuid, dests: uids, weights, version_key: versionKey });
  return submitAndWait(chain, keypair, tx, "set_weights", { ...options, mortalBlocks: WEIGHTS_ERA_BLOCKS });
}
