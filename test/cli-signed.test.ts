/** `pmh serve`'s signed routes and `pmh send --signed` as users run them: the built binary, Fiber's own nodes.json. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { before, describe, it } from "node:test";
import { HttpStatusError } from "../src/common/errors.js";
import { FiberClient } from "../src/fiber/client.js";
import { PMH_BIN, startServe, stopChild } from "./helpers/cli.js";
import { identities, MINER_SEED, VALIDATOR_MNEMONIC, type Identities } from "./helpers/fiber.js";

const NODES = fileURLToPath(new URL("./vectors/fiber/nodes.json", import.meta.url));
const NODES_25 = fileURLToPath(new URL("./vectors/fiber/v2.5.0/nodes.json", import.meta.url));
let ids: Identities;
before(async () => {
  ids = await identities();
});

const send = (args: string[]) => spawnSync(process.execPath, [PMH_BIN, "send", ...args], { encoding: "utf8", timeout: 20_000, env: { ...process.env, PMH_VALIDATOR_MNEMONIC: VALIDATOR_MNEMONIC } });

describe("pmh serve / send: signed requests", { timeout: 60_000 }, () => {
  it("serves /echo-signed and /stream-signed behind Fiber's nodes.json; pmh send --signed and --stream use them", async () => {
    const { child, url, output } = await startServe(["--hotkey-seed", MINER_SEED, "--metagraph", NODES]);
    try {
      assert.match(output(), /signed POST \/echo-signed, \/stream-signed/);
      const client = new FiberClient({ keypair: ids.validator });
      assert.deepEqual(await client.postSigned(url, ids.miner.ss58Address, "/echo-signed", { a: [1, "é"] }), { a: [1, "é"] });
      const lines: string[] = [];
      for await (const line of client.streamSigned(url, ids.miner.ss58Address, "/stream-signed", { lines: ["one", "", "three"] })) lines.push(line);
      assert.deepEqual(lines, ["one", "", "three"]);
      await assert.rejects(client.postSigned(url, ids.miner.ss58Address, "/stream-signed", { lines: ["a\nb"] }), (e: unknown) => e instanceof HttpStatusError && e.status === 422);
      const low = new FiberClient({ keypair: ids.other });
      await assert.rejects(low.postSigned(url, ids.miner.ss58Address, "/echo-signed", {}), (e: unknown) => e instanceof HttpStatusError && e.status === 403 && e.detail === "Insufficient stake of 999.0 ");

      const echoed = send([url, "/echo-signed", '{"hello": "miner"}', "--signed", "--json", "--miner-hotkey", ids.miner.ss58Address]);
      assert.equal(echoed.status, 0, echoed.stderr);
      assert.deepEqual((JSON.parse(echoed.stdout) as { answer: unknown }).answer, { hello: "miner" });
      const streamed = send([url, "/stream-signed", '{"lines": ["a", "", "c"]}', "--signed", "--stream", "--miner-hotkey", ids.miner.ss58Address]);
      assert.equal(streamed.status, 0, streamed.stderr);
      assert.equal(streamed.stdout, "a\n\nc\n");
      const foreign = send([url, "/echo-signed", "{}", "--signed", "--miner-hotkey", ids.other.ss58Address]);
      assert.equal(foreign.status, 3, "refused: exit 3");
      assert.match(foreign.stderr, /401: Oi, invalid miner hotkey - that's not me!/);
      const noSigned = send([url, "/stream-signed", "{}", "--stream", "--miner-hotkey", ids.miner.ss58Address]);
      assert.equal(noSigned.status, 2);
      assert.match(noSigned.stderr, /--stream goes with --signed/);
    } finally {
      assert.equal(await stopChild(child, "SIGTERM"), 0);
    }
  });
  it("serves Fiber 2.5.0's example GETs behind a 2.5.0 nodes.json; pmh send --get sends them in both modes", async () => {
    const { child, url, output } = await startServe(["--hotkey-seed", MINER_SEED, "--metagraph", NODES_25, "--protocol", "both"]);
    try {
      assert.match(output(), /GET \/example-encrypted-get; signed .* GET \/example-subnet-get/);
      const client = new FiberClient({ keypair: ids.validator });
      const answer = { status: "Example get request received" };
      assert.deepEqual(await client.getSigned(url, ids.miner.ss58Address, "/example-subnet-get"), answer);
      assert.deepEqual(await client.getEncrypted(url, ids.miner.ss58Address, "/example-encrypted-get"), answer);
      const raw = await fetch(`${url}/example-subnet-get`);
      assert.equal(raw.status, 422);
      for (const mode of [["--signed"], []]) {
        const route = mode.length > 0 ? "/example-subnet-get" : "/example-encrypted-get";
        const got = send([url, route, "--get", ...mode, "--json", "--miner-hotkey", ids.miner.ss58Address]);
        assert.equal(got.status, 0, got.stderr);
        assert.deepEqual((JSON.parse(got.stdout) as { answer: unknown }).answer, answer);
      }
      const withBody = send([url, "/example-subnet-get", "{}", "--get", "--signed", "--miner-hotkey", ids.miner.ss58Address]);
      assert.equal(withBody.status, 2);
      const noJson = send([url, "/echo-signed", "--signed", "--miner-hotkey", ids.miner.ss58Address]);
      assert.equal(noJson.status, 2);
      assert.match(noJson.stderr, /JSON is required/);
    } finally {
      assert.equal(await stopChild(child, "SIGTERM"), 0);
    }
  });
  it("--min-stake without --metagraph is a usage error (exit 2)", () => {
    const r = spawnSync(process.execPath, [PMH_BIN, "serve", "--host", "127.0.0.1", "--port", "0", "--hotkey-seed", MINER_SEED, "--min-stake", "10"], { encoding: "utf8", timeout: 15_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--min-stake needs --metagraph/);
  });
});
