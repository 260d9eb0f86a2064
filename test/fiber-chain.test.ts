/**
 * Fiber on the chain, against the real subtensor runtime (spec 218, run by chopsticks on
 * 127.0.0.1 from ../shared/chain/subtensor-raonet.json): fetchNodes, Metagraph, postAxon,
 * setWeights and their refusals by name. Skips, saying why, where the spec is absent.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ChainError } from "../src/common/errors.js";
import { minStake } from "../src/fiber/authorize.js";
import type { Chain } from "../src/fiber/chain/client.js";
import { postAxon, setWeights } from "../src/fiber/chain/extrinsics.js";
import { Metagraph } from "../src/fiber/chain/metagraph.js";
import { loadNodesFile, saveNodesFile } from "../src/fiber/node/wallet.js";
import { fetchNodes } from "../src/fiber/chain/nodes.js";
import type { Keypair } from "../src/fiber/keypair.js";
import { CHAIN_SKIP, type LocalChain, newBlocks, randomKey, setStorage, startSubnet } from "./helpers/chain.js";


describe("fiber/chain against the subtensor runtime (chopsticks, spec 218)", { skip: CHAIN_SKIP, timeout: 600_000 }, () => {
  let local: LocalChain;
  let chain: Chain;
  let coldkey: Keypair, miner: Keypair, validator: Keypair;
  let dir: string;

  before(async () => {
    [coldkey, miner, validator] = await Promise.all([randomKey(), randomKey(), randomKey()]);
    ({ local, chain } = await startSubnet(coldkey, [[miner, 0n], [validator, 2500n]]));
    dir = mkdtempSync(join(tmpdir(), "pmh-chain-"));
  });
  after(async () => {
    chain?.close();
    await local?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("a registered hotkey appears in fetchNodes, with its stake in TAO and its coldkey", async () => {
    const nodes = await fetchNodes(chain, 1);
    const byHotkey = new Map(nodes.map((n) => [n.hotkey, n]));
    const v = byHotkey.get(validator.ss58Address);
    assert.ok(v, "validator listed");
    assert.equal(v.coldkey, coldkey.ss58Address);
    assert.equal(v.stake, 2500);
    assert.equal(v.netuid, 1);
    assert.equal(byHotkey.get(miner.ss58Address)?.stake, 0);
    assert.equal(nodes[0]!.node_id, 0);
    assert.deepEqual(nodes.map((n) => n.node_id), nodes.map((_, i) => i));
  });

  it("fetchNodes at an older block does not see a later registration", async () => {
    const nodes = await fetchNodes(chain, 1, { block: 1 });
    assert.equal(nodes.some((n) => n.hotkey === miner.ss58Address), false);
  });

  it("a Metagraph syncs, gates by stake, keeps its last good state when the chain is unreachable, and round-trips nodes.json", async () => {
    const errors: unknown[] = [];
    let reachable = true;
    const metagraph = new Metagraph({ netuid: 1, chain: () => (reachable ? chain : Promise.reject(new ChainError("unreachable", "down"))), onSyncError: (e) => errors.push(e) });
    await metagraph.sync();
    assert.equal(metagraph.nodes[validator.ss58Address]?.stake, 2500);
    const gate = minStake(metagraph.stakes, 1000);
    assert.deepEqual(await gate(validator.ss58Address), { allowed: true });
    assert.equal((await gate(miner.ss58Address)).allowed, false);
    reachable = false;
    await assert.rejects(metagraph.sync(), (e: unknown) => e instanceof ChainError && e.reason === "unreachable");
    assert.equal(metagraph.status.inSync, true);
    assert.ok(metagraph.status.lastError instanceof ChainError);
    assert.deepEqual(await gate(validator.ss58Address), { allowed: true }, "the last good state still gates");
    const file = join(dir, "nodes.json");
    await saveNodesFile(file, metagraph.nodes);
    const json = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(json[validator.ss58Address]!), ["hotkey", "coldkey", "node_id", "incentive", "netuid", "stake", "trust", "vtrust", "last_updated", "ip", "ip_type", "port", "protocol"]);
    assert.deepEqual(JSON.parse(JSON.stringify(await loadNodesFile(file, { fieldSet: "any" }))), JSON.parse(JSON.stringify(metagraph.nodes)));
  });

  it("postAxon: loopback refused as InvalidIpAddress; posted, Axons and fetchNodes show it; again too soon: ServingRateLimitExceeded", async () => {
    await assert.rejects(postAxon(chain, miner, { netuid: 1, ip: "127.0.0.1", port: 8091 }), (e: unknown) => e instanceof ChainError && e.reason === "dispatch" && e.runtimeError === "InvalidIpAddress" && e.pallet === "SubtensorModule");
    const included = await postAxon(chain, miner, { netuid: 1, ip: "1.2.3.4", port: 8091 });
    assert.ok(included.blockNumber > 0);
    const axon = (await chain.api.query["SubtensorModule"]!["Axons"]!.getValue(1, miner.ss58Address, { at: "best" })) as { ip: bigint; port: number; ip_type: number; protocol: number; version: number };
    assert.deepEqual([axon.ip, axon.port, axon.ip_type, axon.protocol, axon.version], [0x01020304n, 8091, 4, 4, 1]);
    const node = (await fetchNodes(chain, 1)).find((n) => n.hotkey === miner.ss58Address);
    assert.deepEqual([node?.ip, node?.port, node?.ip_type, node?.protocol], ["1.2.3.4", 8091, 4, 4]);
    await assert.rejects(postAxon(chain, miner, { netuid: 1, ip: "1.2.3.5", port: 8092 }), (e: unknown) => e instanceof ChainError && e.runtimeError === "ServingRateLimitExceeded");
  });

  it("setWeights: refused before sending while the rate limit has not passed; lands once it has", async () => {
    await assert.rejects(setWeights(chain, validator, { netuid: 1, nodeIds: [0, 1], weights: [0, 1] }), (e: unknown) => e instanceof ChainError && e.reason === "rate-limit" && e.runtimeError === "SettingWeightsTooFast");
    // chopsticks treats a zero value as "delete" (the default, 100, comes back): use 1.
    await setStorage(chain, { SubtensorModule: { WeightsSetRateLimit: [[[1], 1]] } });
    await newBlocks(chain, 2);
    const minerUid = (await fetchNodes(chain, 1)).find((n) => n.hotkey === miner.ss58Address)!.node_id;
    const included = await setWeights(chain, validator, { netuid: 1, nodeIds: [0, minerUid], weights: [0, 3] });
    const weights = await chain.api.query["SubtensorModule"]!["Weights"]!.getValue(1, (await fetchNodes(chain, 1)).find((n) => n.hotkey === validator.ss58Address)!.node_id, { at: included.blockHash });
    assert.deepEqual(weights, [[minerUid, 65535]]);
  });

  it("setWeights refuses a subnet with commit-reveal on, with a typed error", async () => {
    await setStorage(chain, { SubtensorModule: { CommitRevealWeightsEnabled: [[[1], true]] } });
    await newBlocks(chain, 2);
    await assert.rejects(setWeights(chain, validator, { netuid: 1, nodeIds: [0], weights: [1] }), (e: unknown) => e instanceof ChainError && e.reason === "commit-reveal");
  });
});
