/**
 * The nodes of a subnet, as Fiber's `fetch_nodes.py` computes them, from either runtime
 * call the runtime offers:
 *
 * - `NeuronInfoRuntimeApi.get_neurons_lite` (Fiber 2.1): in runtimes before spec 233 its
 *   answer is `Vec<u8>` around SCALE `Vec<NeuronInfoLite>` (decoded with the struct of
 *   subtensor's `pallets/subtensor/src/rpc_info/neuron_info.rs`), later ones answer it typed;
 * - `SubnetInfoRuntimeApi.get_metagraph` (Fiber 2.3 and later), where the runtime has it.
 *
 * @module
 */
import { ChainError, InvalidArgumentError } from "../../common/errors.js";
import { importOptional } from "../../common/optional-dependency.js";
import { ss58Decode, ss58Encode } from "../ss58.js";
import type { FiberNode } from "../nodes.js";
import { withTimeout, type Chain } from "./client.js";

/**
 * A node of a subnet, with Fiber's field names (`fiber/chain/models.py`), as in
 * `nodes.json`: Fiber's `Node` ({@link FiberNode}). `alpha_stake` and `tao_stake` are
 * present when read through `get_metagraph` (Fiber 2.3+), absent through `get_neurons_lite`.
 */
export type Node = FiberNode;

/** Options of {@link fetchNodes}. */
export interface FetchNodesOptions {
  /** Read at this block number instead of the best block. */
  block?: number | undefined;
  /** ms to wait for the answer; 60 000 by default. */
  timeoutMs?: number | undefined;
}

const U16_MAX = 65535;
const RAO_PER_TAO = 1_000_000_000n;

/** An integer as the chain's decoders give it (number, bigint, or a numeric string). */
function big(value: unknown, what: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^\d+$/.test(value)) return BigInt(value);
  throw new ChainError("unexpected", `${what} is not an integer`);
}
function small(value: unknown, what: string): number {
  const n = big(value, what);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < 0n) throw new ChainError("unexpected", `${what} is out of range`);
  return Number(n);
}

/**
 * `n / d` rounded to the nearest double, ties to even: Python's `int / int` (exact even
 * beyond 2^53, where `Number(n) / Number(d)` rounds twice).
 */
export function divideToFloat(n: bigint, d: bigint): number {
  if (d <= 0n) throw new InvalidArgumentError("divisor must be positive");
  if (n < 0n) return -divideToFloat(-n, d);
  if (n <= 2n ** 53n && d <= 2n ** 53n) return Number(n) / Number(d);
  // Scale so the quotient has 64+ significant bits, then let BigInt → Number round once (ties to even), keeping a sticky bit for the remainder.
  let shift = 0n;
  while (n / d < 2n ** 64n) {
    n <<= 1n;
    shift += 1n;
  }
  let q = n / d;
  if (n % d !== 0n) q |= 1n; // sticky: the quotient is above q, never exactly q's halfway point
  return Number(q) / 2 ** Number(shift);
}

/** Python's `str(netaddr.IPAddress(n))`: IPv4 below 2^32, else IPv6 in compact form. */
export function ipToString(value: bigint | number): string {
  const n = BigInt(value);
  if (n < 0n || n >= 2n ** 128n) throw new InvalidArgumentError("ip must be an unsigned 128-bit integer");
  if (n < 2n ** 32n) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
  if (n >> 32n === 0xffffn) return `::ffff:${ipToString(n & 0xffffffffn)}`;
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: the longest run (2+) of zero groups becomes "::", the first when tied.
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** An account as the decoders give it: an ss58 string (re-encoded in format 42), or 32 bytes. */
function account(value: unknown, what: string): string {
  if (typeof value === "string") {
    if (/^0x[0-9a-fA-F]{64}$/.test(value)) return ss58Encode(Uint8Array.from(value.slice(2).match(/../g)!.map((h) => parseInt(h, 16))));
    try {
      return ss58Encode(ss58Decode(value).publicKey); // Fiber writes format 42 whatever the chain's prefix
    } catch (cause) {
      throw new ChainError("unexpected", `${what} is not an account`, { cause });
    }
  }
  if (value instanceof Uint8Array && value.length === 32) return ss58Encode(value);
  if (value !== null && typeof value === "object" && typeof (value as { asBytes?: unknown }).asBytes === "function") {
    return account((value as { asBytes(): Uint8Array }).asBytes(), what);
  }
  throw new ChainError("unexpected", `${what} is not an account`);
}

/** A decoded `NeuronInfoLite` (subtensor's field names), as polkadot-api gives it. */
export interface NeuronInfoLite {
  /** The hotkey (ss58, or 32 bytes). */
  hotkey: unknown;
  /** The owning coldkey (ss58, or 32 bytes). */
  coldkey: unknown;
  /** The uid. */
  uid: unknown;
  /** The subnet. */
  netuid: unknown;
  /** The posted axon: IP as an integer, port, IP version, protocol. */
  axon_info: { ip: unknown; port: unknown; ip_type: unknown; protocol: unknown };
  /** (coldkey, stake in rao) pairs. */
  stake: ReadonlyArray<readonly [unknown, unknown]>;
  /** Incentive, raw u16. */
  incentive: unknown;
  /** Trust, raw u16. */
  trust: unknown;
  /** Validator trust, raw u16. */
  validator_trust: unknown;
  /** Block of the last weights set. */
  last_update: unknown;
}

/**
 * A `Node` from a decoded `NeuronInfoLite`, as Fiber 2.1's `_get_node_from_neuron_info`:
 * stake = the per-coldkey stakes in TAO, summed (a coldkey listed twice counts once, its
 * last stake, as Python's dict); trust and vtrust ÷ 65535; incentive raw; the IP dotted.
 */
export function nodeFromNeuronInfoLite(neuron: NeuronInfoLite): Node {
  const perColdkey = new Map<string, number>();
  for (const [coldkey, stake] of neuron.stake) perColdkey.set(account(coldkey, "stake coldkey"), divideToFloat(big(stake, "stake"), RAO_PER_TAO));
  let stake = 0;
  for (const value of perColdkey.values()) stake += value;
  return {
    hotkey: account(neuron.hotkey, "hotkey"),
    coldkey: account(neuron.coldkey, "coldkey"),
    node_id: small(neuron.uid, "uid"),
    netuid: small(neuron.netuid, "netuid"),
    stake,
    incentive: small(neuron.incentive, "incentive"),
    trust: small(neuron.trust, "trust") / U16_MAX,
    vtrust: small(neuron.validator_trust, "validator_trust") / U16_MAX,
    last_updated: small(neuron.last_update, "last_update"),
    ip: ipToString(big(neuron.axon_info.ip, "ip")),
    ip_type: small(neuron.axon_info.ip_type, "ip_type"),
    port: small(neuron.axon_info.port, "port"),
    protocol: small(neuron.axon_info.protocol, "protocol"),
  };
}

/** The fields of subtensor's `Metagraph` struct (`get_metagraph`) that Fiber reads, decoded. */
export interface DecodedMetagraph {
  /** The subnet. */
  netuid: unknown;
  /** Hotkeys by uid. */
  hotkeys: readonly unknown[];
  /** Coldkeys by uid. */
  coldkeys: readonly unknown[];
  /** Posted axons by uid. */
  axons: ReadonlyArray<{ ip: unknown; port: unknown; ip_type: unknown; protocol: unknown }>;
  /** Incentives by uid, raw u16. */
  incentives: readonly unknown[];
  /** Trust by uid, raw u16. */
  trust: readonly unknown[];
  /** Consensus by uid, raw u16 (Fiber's vtrust). */
  consensus: readonly unknown[];
  /** Block of the last weights set, by uid. */
  last_update: readonly unknown[];
  /** Alpha stake in rao, by uid. */
  alpha_stake: readonly unknown[];
  /** TAO stake in rao, by uid. */
  tao_stake: readonly unknown[];
  /** Total stake in rao, by uid. */
  total_stake: readonly unknown[];
}

/**
 * `Node`s from a decoded `Metagraph`, as Fiber 2.5's `_get_nodes_for_uid`: stakes are the
 * rao amounts × 1e-9 (Python's `x * 10**-9`), incentive, trust and vtrust (= consensus)
 * raw, `last_updated` the block, and `ip` the posted integer in decimal (`str(axon["ip"])`).
 */
export function nodesFromMetagraph(metagraph: DecodedMetagraph): Node[] {
  const netuid = small(metagraph.netuid, "netuid");
  const n = metagraph.hotkeys.length;
  for (const key of ["coldkeys", "axons", "incentives", "trust", "consensus", "last_update", "alpha_stake", "tao_stake", "total_stake"] as const) {
    if (!Array.isArray(metagraph[key]) || metagraph[key].length < n) throw new ChainError("unexpected", `the metagraph's ${key} has fewer entries than its hotkeys`);
  }
  const rao = (value: unknown, what: string) => Number(big(value, what)) * 1e-9;
  const nodes: Node[] = [];
  for (let uid = 0; uid < n; uid++) {
    const axon = metagraph.axons[uid]!;
    nodes.push({
      hotkey: account(metagraph.hotkeys[uid], "hotkey"),
      coldkey: account(metagraph.coldkeys[uid], "coldkey"),
      node_id: uid,
      incentive: small(metagraph.incentives[uid], "incentive"),
      netuid,
      alpha_stake: rao(metagraph.alpha_stake[uid], "alpha_stake"),
      tao_stake: rao(metagraph.tao_stake[uid], "tao_stake"),
      stake: rao(metagraph.total_stake[uid], "total_stake"),
      trust: small(metagraph.trust[uid], "trust"),
      vtrust: small(metagraph.consensus[uid], "consensus"),
      last_updated: small(metagraph.last_update[uid], "last_update"),
      ip: String(big(axon.ip, "ip")),
      ip_type: small(axon.ip_type, "ip_type"),
      port: small(axon.port, "port"),
      protocol: small(axon.protocol, "protocol"),
    });
  }
  return nodes;
}

/** The codec of `Vec<NeuronInfoLite>` (subtensor neuron_info.rs, spec 218), built once. */
let neuronsLiteCodec: Promise<{ dec(bytes: Uint8Array): NeuronInfoLite[] }> | undefined;
function neuronsLite(): Promise<{ dec(bytes: Uint8Array): NeuronInfoLite[] }> {
  neuronsLiteCodec ??= importOptional("@polkadot-api/substrate-bindings", "poorman-handshake/fiber/chain", () => import("@polkadot-api/substrate-bindings")).then((b) => {
    const axon = b.Struct({ block: b.u64, version: b.u32, ip: b.u128, port: b.u16, ip_type: b.u8, protocol: b.u8, placeholder1: b.u8, placeholder2: b.u8 });
    const prometheus = b.Struct({ block: b.u64, version: b.u32, ip: b.u128, port: b.u16, ip_type: b.u8 });
    const neuron = b.Struct({
      hotkey: b.Bytes(32),
      coldkey: b.Bytes(32),
      uid: b.compact,
      netuid: b.compact,
      active: b.bool,
      axon_info: axon,
      prometheus_info: prometheus,
      stake: b.Vector(b.Tuple(b.Bytes(32), b.compact)),
      rank: b.compact,
      emission: b.compact,
      incentive: b.compact,
      consensus: b.compact,
      trust: b.compact,
      validator_trust: b.compact,
      dividends: b.compact,
      last_update: b.compact,
      validator_permit: b.bool,
      pruning_score: b.compact,
    });
    const codec = b.Vector(neuron);
    return { dec: (bytes: Uint8Array) => codec.dec(bytes) as unknown as NeuronInfoLite[] };
  });
  neuronsLiteCodec.catch(() => (neuronsLiteCodec = undefined));
  return neuronsLiteCodec;
}

/** The bytes of a `Vec<u8>` answer as polkadot-api decodes it (`Binary`), or undefined for a typed answer. */
function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (value !== null && typeof value === "object" && typeof (value as { asBytes?: unknown }).asBytes === "function") return (value as { asBytes(): Uint8Array }).asBytes();
  return undefined;
}

/**
 * Decodes `get_neurons_lite`'s answer, whichever form the runtime's metadata gives it: bytes
 * (spec 218 and other runtimes before 233: SCALE `Vec<NeuronInfoLite>` inside) or typed.
 * @param answer - what polkadot-api decoded from the runtime's answer
 */
export async function decodeNeuronsLite(answer: unknown): Promise<NeuronInfoLite[]> {
  const bytes = bytesOf(answer);
  if (bytes !== undefined) {
    try {
      return (await neuronsLite()).dec(bytes);
    } catch (cause) {
      throw new ChainError("unexpected", "get_neurons_lite's answer is not a SCALE Vec<NeuronInfoLite>", { cause });
    }
  }
  if (!Array.isArray(answer)) throw new ChainError("unexpected", "get_neurons_lite answered neither bytes nor a list");
  return answer as NeuronInfoLite[];
}

/** Whether polkadot-api refused a runtime call because the runtime's metadata lacks it. */
function isMissingEntry(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /not found|does not exist|Runtime entry|Incompatible/i.test(message);
}

/**
 * The nodes of a subnet, with the field values Fiber's Python computes: through
 * `SubnetInfoRuntimeApi.get_metagraph` where the runtime has it (Fiber 2.3+, with
 * `alpha_stake` and `tao_stake`), else `NeuronInfoRuntimeApi.get_neurons_lite` (Fiber 2.1).
 * @param chain - the connection
 * @param netuid - the subnet
 * @param options - `block` to read an older state; see {@link FetchNodesOptions}
 * @throws ChainError (`timeout`, `unexpected`) when the chain does not answer or answers what no subtensor runtime would
 */
export async function fetchNodes(chain: Chain, netuid: number, options: FetchNodesOptions = {}): Promise<Node[]> {
  if (!Number.isInteger(netuid) || netuid < 0 || netuid > U16_MAX) throw new InvalidArgumentError("netuid must be an integer from 0 to 65535");
  const timeoutMs = options.timeoutMs ?? 60_000;
  const at = options.block === undefined ? "best" : await chain.blockHash(options.block);
  const api = chain.api;
  const metagraphCall = api.apis["SubnetInfoRuntimeApi"]?.["get_metagraph"];
  if (metagraphCall !== undefined) {
    try {
      const answer = await withTimeout(metagraphCall(netuid, { at }), timeoutMs, "get_metagraph");
      if (answer === undefined || answer === null) return []; // Option::None: no such subnet
      if (bytesOf(answer) === undefined) return nodesFromMetagraph(answer as DecodedMetagraph);
      // A runtime with get_metagraph answering bytes is not one Fiber reads; use get_neurons_lite.
    } catch (error) {
      if (!isMissingEntry(error)) throw error;
    }
  }
  const call = api.apis["NeuronInfoRuntimeApi"]?.["get_neurons_lite"];
  if (call === undefined) throw new ChainError("unexpected", "the runtime has no NeuronInfoRuntimeApi.get_neurons_lite");
  const answer = await withTimeout(call(netuid, { at }), timeoutMs, "get_neurons_lite");
  return (await decodeNeuronsLite(answer)).map(nodeFromNeuronInfoLite);
}
