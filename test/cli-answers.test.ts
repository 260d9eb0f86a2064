/**
 * `pmh serve --answer-timeout` (issue 21, item 2): a raw client on 127.0.0.1 that asks for
 * streamed answers and never reads them has its connection closed by the miner. Run
 * `npm run build` first.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { signedRequestHeaders } from "../src/fiber/signed.js";
import { pmh, startServe, stopChild } from "./helpers/cli.js";
import { identities, MINER_SEED } from "./helpers/fiber.js";

describe("pmh serve: answers a client never reads", { timeout: 120_000 }, () => {
  it("closes the connection of a client that stops reading its streamed answers", async () => {
    const ids = await identities();
    const miner = await startServe(["--hotkey-seed", MINER_SEED, "--answer-timeout", "300"]);
    try {
      const body = JSON.stringify({ lines: Array.from({ length: 60 }, () => "s".repeat(64 * 1024)) });
      const port = Number(new URL(miner.url).port);
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => undefined);
      socket.pause();
      // Three requests on one connection: about 11.5 MiB of answers, more than the kernel buffers.
      for (let i = 0; i < 3; i++) {
        const headers = await signedRequestHeaders(ids.validator, ids.miner.ss58Address, body);
        socket.write([`POST /stream-signed HTTP/1.1`, "host: 127.0.0.1", `content-length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), "", ""].join("\r\n") + body);
      }
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      // Reads nothing for 40 times the answer timeout, then reads: a miner that closed the
      // connection gives fewer bytes than the three answers, then the end of the connection.
      // The margin is for slow machines: the miner must first read and verify the three
      // 3.9 MB bodies and fill the socket buffers before its answer can stall (here the stall
      // began within 0.5 s; a reader that starts before it would drain all three answers).
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      let received = 0;
      socket.on("data", (chunk: Buffer) => (received += chunk.length));
      socket.resume();
      await closed;
      assert.ok(received < 3 * Buffer.byteLength(body), `the miner closed it after ${received} bytes`);
    } finally {
      assert.equal(await stopChild(miner.child), 0);
    }
  });

  it("refuses bad values", async () => {
    for (const flags of [["--answer-timeout", "0"], ["--answer-budget", "x"]]) {
      const run = await pmh(["serve", "--hotkey-seed", MINER_SEED, ...flags]);
      assert.equal(run.code, 2, run.stderr);
    }
  });
});
