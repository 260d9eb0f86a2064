/** Runs the HiveMind examples as users would (`node --import tsx examples/<name>.ts`) and checks what they show. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const repo = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);

const expected: Record<string, Record<string, unknown>> = {
  "hivemind-v3": { firstPattern: "XXpsk2", secondPattern: "KKpsk0", messagesDelivered: true, wrongPasswordRefused: true },
  "hivemind-legacy": { accepted: true, sameSecret: true, frameDecrypted: true, tamperedRefused: true },
};

describe("HiveMind examples", { timeout: 120_000 }, () => {
  for (const [name, outcome] of Object.entries(expected)) {
    it(`${name} runs and shows what it claims`, async () => {
      const { stdout } = await run(process.execPath, ["--import", "tsx", `examples/${name}.ts`], { cwd: repo, timeout: 60_000 });
      const lines = stdout.trim().split("\n");
      assert.ok(lines.length > 1, `${name} explains what it shows before its result`);
      assert.match(lines.at(-1)!, /^RESULT /);
      assert.deepEqual(JSON.parse(lines.at(-1)!.slice("RESULT ".length)), outcome);
    });
  }
});
