/**
 * ClusterStoreHost and ClusterFiberStores (`poorman-handshake/node`) in a real cluster:
 * what one worker records the other sees, the stores' errors cross the channel as
 * themselves, and a primary that does not answer is a 503, never an accepted nonce.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("./helpers/cluster-stores-child.ts", import.meta.url));

describe("cluster stores", { timeout: 60_000 }, () => {
  it("share nonces and keys between workers through the primary; errors and timeouts as a single process would see them", async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ["--import", "tsx", script], { encoding: "utf8", timeout: 50_000 }, (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)));
    });
    const r = JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    const unavailable = { error: "StoreUnavailableError", code: "ERR_STORE_UNAVAILABLE" };
    assert.deepEqual(r, {
      rsa: "-----BEGIN PRIVATE KEY-----\ntest\n-----END PRIVATE KEY-----",
      addNew: { value: true },
      addAgain: { value: false },
      hasRecorded: { value: true },
      keyBack: { value: Array.from({ length: 32 }, (_, i) => i + 1) },
      keyMissing: {}, // { value: undefined } through JSON
      full: { error: "StoreFullError", code: "ERR_STORE_FULL" },
      old: { error: "NonceUnverifiableError", code: "ERR_STORE_UNAVAILABLE" },
      bug: unavailable,
      hang: unavailable,
      otherWorkerAdd: { value: false },
      otherWorkerKey: { value: Array.from({ length: 32 }, (_, i) => i + 1) },
      unanswered: { status: 503, storeUnavailable: true },
      afterClose: unavailable,
      secondConnectionFresh: { value: true },
      secondConnectionReplay: { value: false },
      burst: { someRefused: true, rest: 20_000, after: { value: true } },
    });
  });
});
