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
      // SIGKILL on timeout: a primary left stopped would never act on SIGTERM.
      execFile(process.execPath, ["--import", "tsx", script], { encoding: "utf8", timeout: 50_000, killSignal: "SIGKILL" }, (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)));
    });
    const r = JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    const unavailable = { error: "StoreUnavailableError", code: "ERR_STORE_UNAVAILABLE" };
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    // With the primary stopped (SIGSTOP), the calls past the bound (8) are refused at once,
    // before it resumes; the 8 within it wait and are answered when it does.
    const stopped = process.platform === "win32" ? {} : { stopped: { refusedWhileStopped: range(8, 32), answeredAfterResume: range(0, 8), refusedSettledFirst: true, after: { value: true } } };
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
      ...stopped,
    });
  });
});
