/** The hub bench's correctness checks in a quick run (small counts, one round): no figure is asserted. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { hubBench } from "../bench/cases/hub.js";

describe("bench hub", { timeout: 240_000 }, () => {
  it("connects 200 nodes, delivers every broadcast to the 199 others, and refuses a PROPAGATE flood past the relay limit", async () => {
    // hubBench throws when a check fails: a connect that did not complete or used another
    // protocol than its bound, a wrong or missing reply, a broadcast not delivered to every
    // other node exactly once, a flood that was not refused.
    const rows = await hubBench({ quick: true });
    assert.deepEqual(rows.map((r) => r.name), [
      "bench hub process RSS, idle",
      "hub process RSS, 200 idle nodes connected",
      // Read from Linux's /proc; elsewhere the row is left out.
      ...(existsSync("/proc/self/status") ? ["pmh hub process RSS, idle"] : []),
      "repeat connects, XXpsk2 (PSK cached), concurrency 8",
      "repeat connects, KKpsk0 (PSK cached), concurrency 8",
      "100 B bus round trips, 32 in flight",
      "broadcast to 200 connected nodes",
      "100 B round trips beside a client flooding PROPAGATE",
    ]);
    for (const r of rows) assert.ok(r.ours > 0 && r.bound > 0, r.name);
    assert.match(rows.at(-1)!.note!, /refused \(relay_rate_limited\)/);
  });
});
