/** The signed-protocol bench's correctness checks in a quick run (small counts, one round): no figure is asserted. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fiberSignedBench } from "../bench/cases/fiber-signed.js";

describe("bench fiber signed", { timeout: 240_000 }, () => {
  it("has the server and its bound accept the same signed requests and refuse the same forgeries, and every load request answered 200", async () => {
    // fiberSignedBench throws when a check fails: the native SHA-256 differing from
    // bodyHash, the bound's verify and the server disagreeing on a signed POST or GET (or
    // on a changed body, or a GET signed over another nonce), or any request of the load
    // generator (in-process servers and both `pmh serve` children) not answered 200.
    const rows = await fiberSignedBench({ quick: true });
    assert.deepEqual(rows.map((r) => r.name), [
      "signed POST /echo-signed (1 KiB), concurrency 1",
      "signed POST /echo-signed (1 KiB), concurrency 1, signatures on a worker thread",
      "signed POST /echo-signed (1 KiB), concurrency 8",
      "signed POST /echo-signed (1 KiB), concurrency 8, signatures on a worker thread",
      "signed POST /echo-signed (1 KiB), concurrency 32",
      "signed POST /echo-signed (1 KiB), concurrency 32, signatures on a worker thread",
      "signed GET (2.5.0 signing), concurrency 32",
      "signed GET (2.5.0 signing), concurrency 32, signatures on a worker thread",
      "signed POST /echo-signed, pmh serve --workers 2, concurrency 32",
    ]);
    for (const r of rows) assert.ok(r.ours > 0 && r.bound > 0, r.name);
    assert.match(rows.at(-1)!.note!, /2 workers: miner \d+ µs \(the primary, holding the nonces, \d+ µs\) \+ load generator \d+ µs of CPU per request/);
  });
});
