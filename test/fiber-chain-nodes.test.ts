/**
 * The mapping from decoded runtime answers to Fiber's `Node`, for the shapes the local
 * chain (spec 218) cannot produce: typed `get_neurons_lite` and `get_metagraph`. The
 * decoded values follow subtensor's current structs, commit
 * 14bc6f9f964b9cc362e9635dd110a487fa5d15a0 of opentensor/subtensor:
 * `pallets/subtensor/src/rpc_info/neuron_info.rs` (`NeuronInfoLite`) and
 * `pallets/subtensor/src/rpc_info/metagraph.rs` (`Metagraph`); polkadot-api decodes
 * `Compact<u64>` balances as bigint, `Compact<u16>` as number, `AccountId` as ss58.
 * Expected values are what Fiber's Python computes (2.1 `_get_node_from_neuron_info`,
 * 2.5 `_get_nodes_for_uid`).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadNodesFile } from "../src/fiber/node/wallet.js";
import { decodeNeuronsLite, divideToFloat, ipToString, nodeFromNeuronInfoLite, nodesFromMetagraph } from "../src/fiber/chain/nodes.js";
import { nodeAddress } from "../src/fiber/chain/metagraph.js";
import { formatNodes, parseNodes } from "../src/fiber/nodes.js";
import { normalizeWeights, parseIp } from "../src/fiber/chain/extrinsics.js";
import { chainEndpoint } from "../src/fiber/chain/client.js";
import { connectChain } from "../src/fiber/chain/node/index.js";
import { ChainError } from "../src/common/errors.js";
import { freePort } from "./helpers/redis.js";
import { ss58Encode } from "../src/fiber/ss58.js";

const hot = ss58Encode(new Uint8Array(32).fill(1));
const cold = ss58Encode(new Uint8Array(32).fill(2));
const cold2 = ss58Encode(new Uint8Array(32).fill(3));

describe("fiber/chain: decoded answers to Fiber's Node", () => {
  it("typed get_neurons_lite (spec 233+): stakes summed per coldkey in TAO, trust and vtrust / 65535, incentive raw, ip dotted", async () => {
    const typed = [{
      hotkey: hot, coldkey: cold, uid: 7, netuid: 19, active: true,
      axon_info: { block: 10n, version: 1, ip: 16777343n, port: 8091, ip_type: 4, protocol: 4, placeholder1: 0, placeholder2: 0 },
      prometheus_info: { block: 0n, version: 0, ip: 0n, port: 0, ip_type: 0 },
      stake: [[cold, 1_500_000_000n], [cold2, 250_000_000n], [cold, 2_000_000_000n]],
      rank: 0, emission: 0n, incentive: 1234, consensus: 0, trust: 65535, validator_trust: 32768, dividends: 0, last_update: 99n, validator_permit: true, pruning_score: 0,
    }];
    const [neuron] = await decodeNeuronsLite(typed);
    assert.deepEqual(nodeFromNeuronInfoLite(neuron!), {
      hotkey: hot, coldkey: cold, node_id: 7, netuid: 19,
      stake: 2 + 0.25, // Python's dict keeps the last stake of a repeated coldkey
      incentive: 1234, trust: 1, vtrust: 32768 / 65535, last_updated: 99,
      ip: "1.0.0.127", ip_type: 4, port: 8091, protocol: 4,
    });
  });

  it("get_metagraph (Fiber 2.3+): stakes x 1e-9, incentive/trust/consensus raw, ip the integer in decimal", () => {
    const metagraph = {
      netuid: 5, hotkeys: [hot], coldkeys: [cold],
      axons: [{ block: 0n, version: 1, ip: 16777216n, port: 9000, ip_type: 4, protocol: 4, placeholder1: 0, placeholder2: 0 }],
      incentives: [10], trust: [20], consensus: [30], last_update: [1234n],
      alpha_stake: [123_456_789_012n], tao_stake: [1_000_000_000n], total_stake: [3_000_000_001n],
    };
    assert.deepEqual(nodesFromMetagraph(metagraph), [{
      hotkey: hot, coldkey: cold, node_id: 0, incentive: 10, netuid: 5,
      alpha_stake: 123456789012 * 1e-9, tao_stake: 1000000000 * 1e-9, stake: 3000000001 * 1e-9,
      trust: 20, vtrust: 30, last_updated: 1234, ip: "16777216", ip_type: 4, port: 9000, protocol: 4,
    }]);
    assert.throws(() => nodesFromMetagraph({ ...metagraph, coldkeys: [] }), /fewer entries/);
  });

  it("Python's int / int and str(IPAddress(n))", () => {
    assert.equal(divideToFloat(2_500_000_000_000n, 10n ** 9n), 2500);
    // beyond 2^53 Number(n) / 1e9 rounds twice (893361675.2827387); Python's 893361675282738751 / 10**9 rounds once
    assert.equal(divideToFloat(893361675282738751n, 10n ** 9n), 893361675.2827388);
    assert.equal(divideToFloat(237176403387923281n, 10n ** 9n), 237176403.38792327);
    assert.equal(ipToString(0n), "0.0.0.0");
    assert.equal(ipToString(2130706433n), "127.0.0.1");
    assert.equal(ipToString(1n), "0.0.0.1");
    assert.equal(ipToString(0x20010db8000000000000000000000001n), "2001:db8::1");
    assert.equal(ipToString(0xffff7f000001n), "::ffff:127.0.0.1");
    assert.deepEqual(parseIp("2001:db8::1"), { value: 0x20010db8000000000000000000000001n, version: 6 });
    assert.deepEqual(parseIp("0.0.0.1"), { value: 1n, version: 4 });
    assert.throws(() => parseIp("example.com"), /resolve a DNS name first/);
  });

  it("weights as Fiber: the largest becomes 65535, rounding half to even, zeros dropped", () => {
    assert.deepEqual(normalizeWeights([0, 1, 2, 3], [0, 0.5, 1, 0.25]), { uids: [1, 2, 3], weights: [32768, 65535, 16384] });
    assert.deepEqual(normalizeWeights([1, 2], [0, 0]), { uids: [], weights: [] });
    assert.throws(() => normalizeWeights([1], [-1]));
    assert.throws(() => normalizeWeights([1, 2], [1]));
  });

  it("nodes.json: 2.1 and 2.5 field sets load; what we write lists Fiber's fields in its order; 0.0.0.1 maps to localhost", () => {
    const v21 = { [hot]: { hotkey: hot, coldkey: cold, node_id: 1, incentive: 0, netuid: 1, stake: 1000.5, trust: 0, vtrust: 0, last_updated: 3, ip: "0.0.0.1", ip_type: 4, port: 8091, protocol: 4 } };
    const v25 = { [hot]: { ...v21[hot]!, alpha_stake: 1.5, tao_stake: 999 } };
    assert.equal(parseNodes(v21, { fieldSet: "any" })[hot]!.stake, 1000.5);
    assert.equal(parseNodes(v25, { fieldSet: "any" })[hot]!.tao_stake, 999);
    assert.deepEqual(Object.keys(JSON.parse(formatNodes(parseNodes(v25, { fieldSet: "any" })))[hot]), ["hotkey", "coldkey", "node_id", "incentive", "netuid", "alpha_stake", "tao_stake", "stake", "trust", "vtrust", "last_updated", "ip", "ip_type", "port", "protocol"]);
    assert.throws(() => parseNodes({ [hot]: { ...v21[hot]!, stake: "1" } }, { fieldSet: "any" }), /stake must be a finite number/);
    assert.equal(nodeAddress(v21[hot]!), "http://127.0.0.1:8091");
    assert.equal(nodeAddress({ ip: "16777343", port: 1 }), "http://1.0.0.127:1");
    assert.equal(nodeAddress({ ip: "2001:db8::1", port: 1 }), "http://[2001:db8::1]:1");
  });

  it("reads the nodes.json that Python Fiber 2.1's Metagraph.save_nodes wrote (test/vectors/fiber/nodes.json)", async () => {
    const nodes = await loadNodesFile(fileURLToPath(new URL("./vectors/fiber/nodes.json", import.meta.url)), { fieldSet: "any" });
    assert.deepEqual(Object.values(nodes).map((n) => n.stake), [5000, 999, 1e-5]);
    assert.equal(Object.values(nodes)[0]!.ip, "0.0.0.1");
    assert.equal(nodeAddress(Object.values(nodes)[0]!), "http://127.0.0.1:8091");
  });

  it("connectChain to a 127.0.0.1 port nobody listens on: ChainError unreachable after its timeout", async () => {
    const port = await freePort();
    // No timing assertion: that the call settles at all (the test runner's timeout catches a hang) and with this reason is the promise.
    await assert.rejects(connectChain(`ws://127.0.0.1:${port}`, { timeoutMs: 1500 }), (e: unknown) => e instanceof ChainError && e.reason === "unreachable");
  });

  it("networks as Fiber names them, or a ws URL", () => {
    assert.equal(chainEndpoint("finney"), "wss://entrypoint-finney.opentensor.ai:443");
    assert.equal(chainEndpoint("test"), "wss://test.finney.opentensor.ai:443/");
    assert.equal(chainEndpoint("local"), "ws://127.0.0.1:9944");
    assert.equal(chainEndpoint("ws://127.0.0.1:1234"), "ws://127.0.0.1:1234");
    assert.throws(() => chainEndpoint("http://127.0.0.1:1234"), /ws:\/\//);
    assert.throws(() => chainEndpoint("mainnet"), /finney, test, local/);
  });
});
