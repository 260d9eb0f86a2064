/**
 * Reading a subnet's metagraph from the chain: `fetchNodes` (the runtime call, then the
 * SCALE decode into Fiber's nodes) against the raw runtime call alone, the JSON-RPC
 * `state_call` of `NeuronInfoRuntimeApi_get_neurons_lite` with the same argument, sent
 * over the same polkadot-api client and WebSocket, its bytes left undecoded. The chain is
 * the tests' local one (chopsticks running subtensor's runtime, spec 218, on 127.0.0.1,
 * from `../shared/chain/` beside the repository); subnet 1 is filled to `neurons` neurons
 * by writing the storage `burned_register` would write, in one `dev_setStorage`: signing
 * 255 registrations costs minutes of blocks (each one's weight allows a handful per
 * block), the storage write a second, and `get_neurons_lite` reads the same items either way.
 */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { Bytes } from "@polkadot-api/substrate-bindings";
import { CHAIN_SKIP, LocalChain, TAO, newBlocks, setStorage } from "../../test/helpers/chain.js";
import type { Chain } from "../../src/fiber/chain/client.js";
import { decodeNeuronsLite, fetchNodes, nodeFromNeuronInfoLite } from "../../src/fiber/chain/nodes.js";
import { ss58Encode } from "../../src/fiber/ss58.js";
import { type Row, median, timeInterleaved } from "../harness.js";

const NETUID = 1;
/** The runtime call and its argument: netuid 1 as SCALE's little-endian u16 (SOURCES.md: big-endian asks for subnet 256). */
const CALL = "NeuronInfoRuntimeApi_get_neurons_lite";
const CALL_ARGS = "0x0100";

/**
 * The per-uid vectors `append_neuron` extends on registration (subtensor's
 * `pallets/subtensor/src/subnets/uids.rs`), each with the value a new neuron gets. Kept
 * the length of the subnet so the epoch that runs on the next block reads consistent state.
 */
const PER_UID_VECTORS: Readonly<Record<string, unknown>> = {
  Active: true,
  Rank: 0,
  Trust: 0,
  Consensus: 0,
  Incentive: 0,
  Dividends: 0,
  Emission: 0,
  LastUpdate: 0,
  PruningScores: 0,
  ValidatorTrust: 0,
  ValidatorPermit: false,
};

/** Options of {@link chainBench}. */
export interface ChainBenchOptions {
  /** Neurons in subnet 1, the genesis one included (256 by default). */
  neurons?: number;
  /** Timed rounds, each one call of ours and one of the bound, in turn (15 by default). */
  rounds?: number;
}

/**
 * Fills subnet 1 to `total` neurons: for each new uid the items `burned_register` writes
 * (its hotkey under `Keys`, `Uids`, `IsNetworkMember`, the owning coldkey, the block of
 * registration, the per-uid vectors), plus what makes the answer carry real values: an
 * axon on a public IPv4 address and one stake entry per hotkey. All new hotkeys share one
 * coldkey, as a validator's do.
 * @returns the hotkeys by uid (the genesis one included) and the coldkey
 */
export async function populateSubnet(chain: Chain, total: number): Promise<{ hotkeys: string[]; coldkey: string }> {
  const query = chain.api.query["SubtensorModule"]!;
  const at = { at: "best" };
  const existing = Number(await query["SubnetworkN"]!.getValue(NETUID, at));
  if (!(total >= existing && total <= 4096)) throw new Error(`subnet ${NETUID} holds ${existing} neurons; cannot fill it to ${total}`);
  const hotkeys: string[] = [];
  for (let uid = 0; uid < existing; uid++) hotkeys.push(String(await query["Keys"]!.getValue(NETUID, uid, at)));
  const coldkey = ss58Encode(randomBytes(32));
  const { number: block } = await chain.bestBlock();
  const fresh = Array.from({ length: total - existing }, () => ss58Encode(randomBytes(32)));
  const storage: Record<string, unknown[]> = {
    Keys: [], Uids: [], IsNetworkMember: [], Owner: [], BlockAtRegistration: [], Axons: [], Stake: [],
    OwnedHotkeys: [[[coldkey], fresh]],
    SubnetworkN: [[[NETUID], total]],
    MaxAllowedUids: [[[NETUID], Math.max(total, Number(await query["MaxAllowedUids"]!.getValue(NETUID, at)))]],
  };
  fresh.forEach((hotkey, i) => {
    const uid = existing + i;
    storage["Keys"]!.push([[NETUID, uid], hotkey]);
    storage["Uids"]!.push([[NETUID, hotkey], uid]);
    storage["IsNetworkMember"]!.push([[hotkey, NETUID], true]);
    storage["Owner"]!.push([[hotkey], coldkey]);
    storage["BlockAtRegistration"]!.push([[NETUID, uid], block]);
    // 1.2.x.y: a public address (the chain refuses loopback ones), one per neuron.
    storage["Axons"]!.push([[NETUID, hotkey], { block, version: 1, ip: String(0x01020000 + uid), port: 8091, ip_type: 4, protocol: 4, placeholder1: 0, placeholder2: 0 }]);
    storage["Stake"]!.push([[hotkey, coldkey], String(BigInt(1 + uid) * TAO)]);
  });
  for (const [name, fill] of Object.entries(PER_UID_VECTORS)) {
    const current = (await query[name]!.getValue(NETUID, at)) as unknown[];
    const values = Array.from({ length: total }, (_, uid) => (uid < current.length ? normalise(current[uid]) : fill));
    storage[name] = [[[NETUID], values]];
  }
  await setStorage(chain, { SubtensorModule: storage });
  // A block on top, so the reads below are of a block the runtime built (its epoch included).
  await newBlocks(chain);
  return { hotkeys: [...hotkeys, ...fresh], coldkey };
}

/**
 * The hash of chopsticks' head once polkadot-api follows it as its best block, so that
 * `fetchNodes` (which reads "best") and the bound's `state_call` read the same block.
 */
async function settledBest(chain: Chain): Promise<string> {
  const head = await chain.request<{ number: string }>("chain_getHeader", []);
  const wanted = Number(head.number);
  for (let tries = 0; tries < 200; tries++) {
    const best = await chain.bestBlock();
    if (best.number === wanted) return best.hash;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`polkadot-api did not report block ${wanted} as best within 5 s`);
}

/** A value read through polkadot-api as chopsticks' `dev_setStorage` takes it back (bigints as strings). */
function normalise(value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** The bytes inside the runtime's `Vec<u8>` answer, as hex from `state_call`. */
const innerBytes = (hex: string): Uint8Array => Bytes().dec(hex);

/**
 * Runs the chain bench; returns no row, after saying why on stderr, where the chain data or
 * chopsticks is absent. Throws unless ours and the bound see the same `neurons` neurons.
 */
export async function chainBench(options: ChainBenchOptions = {}): Promise<Row[]> {
  const neurons = options.neurons ?? 256;
  const rounds = options.rounds ?? 15;
  if (CHAIN_SKIP !== undefined) {
    process.stderr.write(`chain: skipped: ${CHAIN_SKIP}\n`);
    return [];
  }
  const local = await LocalChain.start();
  let chain: Chain | undefined;
  try {
    chain = await local.connect();
    const c = chain;
    const filling = performance.now();
    const { hotkeys } = await populateSubnet(c, neurons);
    const fillMs = performance.now() - filling;
    const read = (hash: string) => ({
      ours: () => fetchNodes(c, NETUID),
      bound: () => c.request<string>("state_call", [CALL, CALL_ARGS, hash]),
    });

    // Same work: the bound's bytes decode to the very nodes ours returns, every neuron written.
    const first = read(await settledBest(c));
    const [mine, raw] = [await first.ours(), await first.bound()];
    const bytes = innerBytes(raw);
    const theirs = (await decodeNeuronsLite(bytes)).map(nodeFromNeuronInfoLite);
    if (mine.length !== neurons || theirs.length !== neurons) throw new Error(`expected ${neurons} neurons; fetchNodes saw ${mine.length}, the raw call ${theirs.length}`);
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) throw new Error("fetchNodes and the raw call's bytes give different nodes");
    if (mine.some((node, uid) => node.node_id !== uid || node.hotkey !== hotkeys[uid])) throw new Error("fetchNodes does not list the hotkeys written, by uid");

    // polkadot-api keeps a runtime call's answer for as long as it pins the block, so a second
    // fetchNodes of the same block never reaches the chain: each round reads a new block (built
    // before the clock starts), which both sides ask the runtime about, taking turns going first.
    // chopsticks' calls slow down as blocks pile up (from about 0.8 s to 2.5 s over the
    // rounds here): the two sides of a round read the same block, so the per-round ratio is
    // reported beside the medians.
    const load = loadavg()[0]!;
    const ours: number[] = [], bound: number[] = [];
    for (let round = 0; round < rounds + 1; round++) {
      await newBlocks(c);
      const fns = read(await settledBest(c));
      const timed = async <T>(fn: () => Promise<T>, into: number[]): Promise<T> => {
        const t = performance.now();
        const value = await fn();
        if (round > 0) into.push(performance.now() - t); // round 0 warms up
        return value;
      };
      const order = round % 2 === 0 ? (["ours", "bound"] as const) : (["bound", "ours"] as const);
      for (const side of order) {
        if (side === "ours") {
          const nodes = await timed(fns.ours, ours);
          if (nodes.length !== neurons) throw new Error(`fetchNodes saw ${nodes.length} neurons in round ${round}`);
        } else if ((await timed(fns.bound, bound)).length !== raw.length) throw new Error(`the raw call's answer changed length in round ${round}`);
      }
    }
    if (process.env["BENCH_CHAIN_SAMPLES"] !== undefined) process.stderr.write(`chain samples, ms: ours ${ours.map(Math.round).join(" ")}; bound ${bound.map(Math.round).join(" ")}\n`);
    // The same block again: polkadot-api answers from its cache, and only the decode is left.
    const again = await timeInterleaved({ cached: () => first.ours(), decode: async () => (await decodeNeuronsLite(bytes)).map(nodeFromNeuronInfoLite) }, { warmup: 2, minIterations: rounds, maxIterations: rounds, budgetMs: 0 });
    const data = `${neurons} nodes, ${(bytes.length / 1024).toFixed(1)} KiB of SCALE`;
    return [
      {
        group: "chain",
        name: `metagraph read, ${neurons} nodes (local chain)`,
        ours: median(ours),
        bound: median(bound),
        boundName: "the raw state_call (get_neurons_lite) alone, same client and WebSocket, bytes not decoded",
        target: 1.5,
        note: `fetchNodes of subnet 1, a new block each round; both saw the same ${data}; median of ${rounds} interleaved rounds, of their ratios ${median(ours.map((o, i) => o / bound[i]!)).toFixed(2)}; decode alone ${again.decode.toFixed(1)} ms; filled by dev_setStorage in ${Math.round(fillMs)} ms; load ${load.toFixed(1)}`,
      },
      {
        group: "chain",
        name: `metagraph read again, same block, ${neurons} nodes (local chain)`,
        ours: again.cached,
        bound: median(bound),
        boundName: "the raw state_call (get_neurons_lite) alone, same client and WebSocket, bytes not decoded",
        note: "polkadot-api answers a runtime call it made at a pinned block from its cache: what is left is our decode",
      },
    ];
  } finally {
    chain?.close();
    await local.stop();
  }
}
