/** Runs every example as users would (`node --import tsx examples/<name>.ts`) and checks what it shows. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const repo = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);

/** Each example and the outcome it must report. */
const expected: Record<string, Record<string, unknown>> = {
  simple: { sameSecret: true },
  static: { keysReloaded: true, sameSecret: true },
  tofu: { firstConnectionPinned: true, secondConnectionChecked: true, sameSecret: true },
  half: { sameSecret: true },
  password: { accepted: true, sameSecret: true, wrongPasswordRefused: true, weakPasswordRefused: true },
  "noise-handshake": { finished: true, keysLearned: true, sameHash: true, decrypted: true, replayRefused: true, wrongPasswordRefused: true },
  "noise-kk": { pattern: true, keysReloaded: true, finished: true, decrypted: true, impostorRefused: true },
  "mitm-simple": { attackSucceeded: true, aliceAndBobDisagree: true },
  "mitm-static": { detected: true, malloryCannotDecrypt: true },
  "mitm-tofu": { firstContactPinned: true, detected: true },
  fiber: { echoed: true, strangerRefused: true },
  "fiber-mitm": { attackOnTrustingClient: true, unsignedRefused: true, swapRefused: true },
};

async function outcomeOf(name: string): Promise<unknown> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", `examples/${name}.ts`], { cwd: repo, timeout: 60_000 });
  const line = stdout.trim().split("\n").at(-1)!;
  assert.match(line, /^RESULT /, `${name} printed:\n${stdout}`);
  assert.ok(stdout.split("\n").length > 1, `${name} explains what it shows before its result`);
  return JSON.parse(line.slice("RESULT ".length));
}

describe("examples", { timeout: 120_000 }, () => {
  it("all of them run with one command each and show what they claim", async () => {
    const names = Object.keys(expected);
    // Two at a time: the machine is small and shared.
    for (let i = 0; i < names.length; i += 2) {
      const batch = names.slice(i, i + 2);
      const outcomes = await Promise.all(batch.map(outcomeOf));
      batch.forEach((name, j) => assert.deepEqual(outcomes[j], expected[name], name));
    }
  });
});
