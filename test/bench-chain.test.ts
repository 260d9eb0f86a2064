/**
 * The chain bench's checks in a quick run (8 neurons, one round): the subnet is filled,
 * and `fetchNodes` and the raw runtime call's bytes give the same nodes. No figure is
 * asserted. Skips, saying why, where the chain data or chopsticks is absent.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chainBench } from "../bench/cases/chain.js";
import { CHAIN_SKIP } from "./helpers/chain.js";

describe("bench chain", { skip: CHAIN_SKIP, timeout: 300_000 }, () => {
  it("fills subnet 1 to 8 neurons, and fetchNodes and the raw get_neurons_lite call see the same 8 nodes", async () => {
    // chainBench throws when either sees another count, or their nodes differ, or the hotkeys are not those written.
    const rows = await chainBench({ neurons: 8, rounds: 1 });
    assert.deepEqual(rows.map((r) => r.name), ["metagraph read, 8 nodes (local chain)", "metagraph read again, same block, 8 nodes (local chain)"]);
    for (const r of rows) assert.ok(r.ours > 0 && r.bound > 0, r.name);
    assert.equal(rows[0]!.target, 1.5);
    assert.match(rows[0]!.note!, /both saw the same 8 nodes/);
  });
});
