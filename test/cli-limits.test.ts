/** `pmh handshake` and `pmh send` against miners that misbehave or refuse: one line, exit 3, never EPIPE. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FiberServer } from "../src/fiber/server.js";
import { DEFAULT_MAX_BODY_BYTES } from "../src/fiber/server-config.js";
import { serve, type RunningServer } from "../src/fiber/node/serve.js";
import { assertOneLineError, pmh, startServe, stopChild } from "./helpers/cli.js";
import { identities, MINER_SEED, OTHER_SEED, type Identities } from "./helpers/fiber.js";
import { flood, hostileServer } from "./helpers/raw-http.js";

let ids: Identities;
let running: RunningServer;

before(async () => {
  ids = await identities();
  const server = await FiberServer.create({ keypair: ids.miner });
  server.route("/echo", { handler: (payload) => payload });
  running = await serve(server.fetch);
});
after(() => running.close());

describe("pmh against misbehaving miners", { timeout: 60_000 }, () => {
  const as = (miner: string) => ["--miner-hotkey", miner, "--hotkey-seed", OTHER_SEED];

  it("handshake with a miner serving a malformed public key exits 3 and names the miner", async () => {
    const { url, stop } = await hostileServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ public_key: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", timestamp: Date.now() / 1000 }));
    });
    try {
      const run = await pmh(["handshake", url, ...as(ids.miner.ss58Address)]);
      assertOneLineError(run, 3, new RegExp(`pmh handshake: miner ${ids.miner.ss58Address} at ${url}/public-encryption-key served a public key we cannot use`));
    } finally {
      await stop();
    }
  });
  it("handshake with a miner streaming an endless answer exits 3 naming the limit", async () => {
    const { url, stop } = await hostileServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      flood(res);
    });
    try {
      assertOneLineError(await pmh(["handshake", url, ...as(ids.miner.ss58Address)]), 3, /larger than 65536 bytes/);
    } finally {
      await stop();
    }
  });
  it("send with a body over the miner's limit reports the 413 (not EPIPE)", async () => {
    // As users run it: `pmh serve` in its own process (4 MiB limit), `pmh send` in another.
    const miner = await startServe(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED]);
    try {
      const payload = JSON.stringify({ pad: "x".repeat(DEFAULT_MAX_BODY_BYTES + 1024 * 1024) });
      for (let i = 0; i < 3; i++) {
        const run = await pmh(["send", miner.url, "/echo", "-", ...as(ids.miner.ss58Address)], payload);
        assertOneLineError(run, 3, /answered 413: Request body larger than 4194304 bytes/);
        assert.doesNotMatch(run.stderr, /EPIPE|ECONNRESET/);
      }
    } finally {
      await stopChild(miner.child);
    }
  });
});
