/**
 * `pmh serve --protocol signed|encrypted|both` (issue 21, item 1): the cross-protocol
 * attack, end to end against the `pmh serve` process. Run `npm run build` first.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { BOTH_PROTOCOLS_WARNING_TEXT } from "../src/fiber/server-config.js";
import { assertOneLineError, pmh, startServe, stopChild } from "./helpers/cli.js";
import { crossProtocolAttack, sendTo } from "./helpers/cross-protocol.js";
import { identities, MINER_SEED, type Identities } from "./helpers/fiber.js";

let ids: Identities;
before(async () => {
  ids = await identities();
});

/** Runs the attack against `pmh serve ARGS`; also returns what the miner printed. */
async function attack(args: string[]) {
  const miner = await startServe(["--hotkey-seed", MINER_SEED, ...args]);
  try {
    const result = await crossProtocolAttack(sendTo(miner.url), ids.validator, ids.miner.ss58Address);
    const signed = await fetch(`${miner.url}/echo-signed`, { method: "POST", body: "{}" });
    await signed.body?.cancel();
    return { ...result, signedRoute: signed.status, output: miner.output() };
  } finally {
    await stopChild(miner.child);
  }
}

describe("pmh serve --protocol", { timeout: 120_000 }, () => {
  it("by default speaks signed only: the attack fails (no key exchange, no encrypted route)", async () => {
    const result = await attack([]);
    assert.deepEqual([result.exchange, result.encrypted], [404, 404]);
    assert.notEqual(result.signedRoute, 404);
    assert.match(result.output, /signed POST \/echo-signed, \/stream-signed/);
    assert.doesNotMatch(result.output, /encrypted POST \/echo|warning/);
  });

  it("with both, the attack is possible, as the warning says", async () => {
    const result = await attack(["--protocol", "both"]);
    assert.deepEqual([result.exchange, result.encrypted], [200, 200]);
    assert.deepEqual(result.answer, { forged: "by the man in the middle" });
    assert.ok(result.output.includes(`pmh serve: warning: ${BOTH_PROTOCOLS_WARNING_TEXT.message}`), result.output);
  });

  it("with encrypted, the signed routes are gone (the miner is safe while its hotkey signs nothing else)", async () => {
    const result = await attack(["--protocol", "encrypted"]);
    assert.equal(result.signedRoute, 404);
    assert.match(result.output, /encrypted POST \/echo, GET \/example-encrypted-get;/);
    assert.doesNotMatch(result.output, /signed POST/);
  });

  it("refuses another value", async () => {
    assertOneLineError(await pmh(["serve", "--hotkey-seed", MINER_SEED, "--protocol", "all"]), 2, /--protocol.*all.*signed, encrypted, both|Allowed choices are signed, encrypted, both/);
  });
});
