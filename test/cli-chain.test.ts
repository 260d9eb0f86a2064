/**
 * `pmh post-ip`, `pmh metagraph` and `pmh serve --subtensor` against the real subtensor
 * runtime (chopsticks on 127.0.0.1), ending in a local subnet end to end: the miner posts
 * its axon and serves, a validator finds it through the metagraph, runs the key exchange
 * and a request against it, and sets weights. Skips, saying why, where the spec is absent.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { HttpStatusError } from "../src/common/errors.js";
import type { Chain } from "../src/fiber/chain/client.js";
import { setWeights } from "../src/fiber/chain/extrinsics.js";
import { nodeAddress } from "../src/fiber/chain/metagraph.js";
import { loadNodesFile } from "../src/fiber/node/wallet.js";
import { fetchNodes } from "../src/fiber/chain/nodes.js";
import { FiberClient } from "../src/fiber/client.js";
import { Keypair } from "../src/fiber/keypair.js";
import "../src/fiber/node/install.js";
import { CHAIN_SKIP, type LocalChain, newBlocks, setStorage, startSubnet } from "./helpers/chain.js";
import { pmh, startServe, stopChild } from "./helpers/cli.js";
import { freePort } from "./helpers/redis.js";

const seed = (byte: string) => "0x" + byte.repeat(32);

describe("pmh on the chain: a local subnet end to end (chopsticks, spec 218)", { skip: CHAIN_SKIP, timeout: 600_000 }, () => {
  let local: LocalChain;
  let chain: Chain;
  let dir: string;
  let coldkey: Keypair, miner: Keypair, validator: Keypair, poor: Keypair;

  before(async () => {
    [coldkey, miner, validator, poor] = (await Promise.all(["a1", "a2", "a3", "a4"].map((b) => Keypair.fromSeed(seed(b))))) as [Keypair, Keypair, Keypair, Keypair];
    ({ local, chain } = await startSubnet(coldkey, [[miner, 0n], [validator, 5000n], [poor, 10n]]));
    dir = mkdtempSync(join(tmpdir(), "pmh-chain-cli-"));
  });
  after(async () => {
    chain?.close();
    await local?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("pmh metagraph --out writes a nodes.json holding the registered hotkeys and their stakes", async () => {
    const out = join(dir, "nodes.json");
    const run = await pmh(["metagraph", "--subtensor", local.url, "--netuid", "1", "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    const nodes = await loadNodesFile(out, { fieldSet: "any" });
    assert.equal(nodes[validator.ss58Address]?.stake, 5000);
    assert.equal(nodes[poor.ss58Address]?.stake, 10);
    assert.equal(nodes[miner.ss58Address]?.coldkey, coldkey.ss58Address);
  });

  it("pmh post-ip refuses a loopback address by the runtime's error name", async () => {
    const run = await pmh(["post-ip", "--subtensor", local.url, "--netuid", "1", "--ip", "127.0.0.1", "--port", "8091", "--hotkey-seed", seed("a4")]);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /InvalidIpAddress/);
  });

  it("a miner posts 0.0.0.1 and serves with a live stake gate; a validator finds it in the metagraph, is served, a low-stake one is refused; the validator sets weights", async () => {
    const port = await freePort();
    const posted = await pmh(["post-ip", "--subtensor", local.url, "--netuid", "1", "--ip", "0.0.0.1", "--port", String(port), "--hotkey-seed", seed("a2"), "--json"]);
    assert.equal(posted.code, 0, posted.stderr);
    assert.equal(JSON.parse(posted.stdout).event, "posted");

    const { child } = await startServe(["--port", String(port), "--hotkey-seed", seed("a2"), "--subtensor", local.url, "--netuid", "1", "--min-stake", "1000", "--protocol", "encrypted"]);
    try {
      const found = (await fetchNodes(chain, 1)).find((n) => n.hotkey === miner.ss58Address);
      assert.ok(found, "the miner is in the metagraph");
      assert.equal(found.ip, "0.0.0.1");
      const url = nodeAddress(found);
      assert.equal(url, `http://127.0.0.1:${port}`);

      const client = new FiberClient({ keypair: validator, requireSignedKey: true });
      const answer = (await client.post(url, found.hotkey, "/echo", { hello: "subnet" })) as { hello: string };
      assert.equal(answer.hello, "subnet");

      const low = new FiberClient({ keypair: poor });
      await assert.rejects(low.post(url, found.hotkey, "/echo", {}), (e: unknown) => e instanceof HttpStatusError && e.status === 403 && e.detail === "Insufficient stake of 10.0 ");
      const stranger = new FiberClient({ keypair: await Keypair.generate() });
      await assert.rejects(stranger.post(url, found.hotkey, "/echo", {}), (e: unknown) => e instanceof HttpStatusError && e.status === 403 && e.detail === "Hotkey not found in metagraph");
    } finally {
      assert.equal(await stopChild(child, "SIGTERM"), 0);
    }

    await setStorage(chain, { SubtensorModule: { WeightsSetRateLimit: [[[1], 1]] } });
    await newBlocks(chain, 2);
    const nodes = await fetchNodes(chain, 1);
    const minerUid = nodes.find((n) => n.hotkey === miner.ss58Address)!.node_id;
    const validatorUid = nodes.find((n) => n.hotkey === validator.ss58Address)!.node_id;
    const included = await setWeights(chain, validator, { netuid: 1, nodeIds: [minerUid], weights: [0.7] });
    assert.deepEqual(await chain.api.query["SubtensorModule"]!["Weights"]!.getValue(1, validatorUid, { at: included.blockHash }), [[minerUid, 65535]]);
  });
});
