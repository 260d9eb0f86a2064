/**
 * Fiber 2 signed requests against what the real Python code did (vectors in
 * test/vectors/fiber/, made as test/vectors/SOURCES.md says): requests of the real
 * validator functions replayed into our server, the real miner's answers to the same
 * cases compared with ours, and Python's float repr, line splitting and nonce checks.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { fromBase64 } from "../src/common/bytes.js";
import { minStake, pythonFloat } from "../src/fiber/authorize.js";
import { Keypair } from "../src/fiber/keypair.js";
import { LineSplitter, splitLines } from "../src/fiber/lines.js";
import { generateNonce, nonceRetentionMs } from "../src/fiber/nonce.js";
import { FiberServer } from "../src/fiber/server.js";
import { bodyHash } from "../src/fiber/signed.js";
import { echoSigned, streamSigned } from "../src/cli/signed-routes.js";
import { serve, type RunningServer } from "../src/fiber/node/serve.js";
import { loadMetagraphFile } from "../src/fiber/node/wallet.js";
import { identities, type Identities } from "./helpers/fiber.js";
import { runSignedCases, type CaseAnswer } from "./helpers/signed-cases.js";
import { loadVectors } from "./helpers/vectors.js";

const validatorVectors = loadVectors("fiber/python_validator.json");
const minerVectors = loadVectors<{ answers: Record<string, CaseAnswer> }>("fiber/python_miner_answers.json");
const logic = loadVectors("fiber/python_logic.json");
const NODES = fileURLToPath(new URL("./vectors/fiber/nodes.json", import.meta.url));

let ids: Identities;

/** Our miner with the routes the Python miner had, gated by Fiber's nodes.json at the default 1000. */
async function ourMiner(clock?: () => number): Promise<FiberServer> {
  const server = await FiberServer.create({ keypair: ids.miner, authorize: minStake(await loadMetagraphFile(NODES)), ...(clock ? { clock } : {}) });
  server.signedRoute("/example-subnet-request", {
    parse: (v) => {
      if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("Input should be a valid dictionary or object to extract fields from");
      if (typeof (v as { hi?: unknown }).hi !== "string") throw new Error("Input should be a valid string");
      return v;
    },
    handler: () => ({ status: "Example request received" }),
  });
  return server.signedRoute("/echo-signed", echoSigned).signedRoute("/stream-signed", streamSigned);
}

before(async () => {
  ids = await identities();
});

describe("Fiber's nodes.json", () => {
  it("loadMetagraphFile reads the file Metagraph.save_nodes wrote (hotkey → Node)", async () => {
    const graph = await loadMetagraphFile(NODES);
    assert.deepEqual({ ...graph }, { [ids.validator.ss58Address]: 5000, [ids.other.ss58Address]: 999, [ids.miner.ss58Address]: 0.00001 });
  });
});

describe("requests of the real Python validator functions (httpx 0.27), replayed into our server", () => {
  for (const [i, v] of (validatorVectors.requests as any[]).entries()) {
    if (v.function === "make_non_streamed_get") {
      it("make_non_streamed_get sends only Content-Type and validator-hotkey: nothing to verify", () => {
        assert.deepEqual(Object.keys(v.headers).sort(), ["content-type", "validator-hotkey"]);
        assert.equal(v.headers["validator-hotkey"], ids.validator.ss58Address);
      });
      continue;
    }
    it(`${v.function} #${i}: ${JSON.stringify(v.payload)} is accepted, at the time of its nonce, once`, async () => {
      const body = fromBase64(v.body_b64);
      // With httpx 0.27 both functions send json.dumps' bytes (the non-streamed one only by coincidence).
      assert.equal(new TextDecoder().decode(body), v.json_dumps);
      const nowMs = Number(BigInt(v.headers.nonce.split("_")[0]) / 1_000_000n);
      const server = await ourMiner(() => nowMs);
      const send = () => server.fetch(new Request("http://127.0.0.1/echo-signed", { method: "POST", headers: v.headers, body }));
      const first = await send();
      assert.equal(first.status, 200);
      assert.deepEqual(await first.json(), v.payload);
      assert.equal((await send()).status, 401, "replay");
      assert.equal(await Keypair.verify(`${v.headers.nonce}:${ids.miner.ss58Address}:${await bodyHash(body)}`, v.headers.signature, ids.validator.ss58Address), true);
    });
  }
  it("generate_nonce's format is ours", () => {
    for (const nonce of [...validatorVectors.nonces, generateNonce()]) assert.match(nonce, /^\d{19}_[A-Za-z0-9]{10}$/);
  });
  it("the live run against pmh serve answered as Python expects (recorded)", () => {
    const live = validatorVectors.live;
    assert.equal(live["make_non_streamed_post /echo-signed"][0], 200);
    assert.deepEqual(live["make_streamed_post /stream-signed"][1], ["alpha", "", "gamma é"]);
    assert.deepEqual(live["get_headers_with_nonce, sent twice"][0], [200, 401]);
    assert.deepEqual(live["make_streamed_post, low stake"], [403, { detail: "Insufficient stake of 999.0 " }]);
  });
});

describe("the real Python miner's answers to the same cases, and ours", () => {
  let running: RunningServer;
  let ours: Record<string, CaseAnswer>;
  before(async () => {
    running = await serve((await ourMiner()).fetch, { host: "127.0.0.1", port: 0 });
    ours = await runSignedCases(running.url, { ...ids, stranger: await Keypair.fromSeed(`0x${"33".repeat(32)}`) });
  });
  after(() => running.close());

  /** Where we differ on purpose (docs/protocol.md, "Signed requests"): Python's answer, then ours. */
  const DELIBERATE: Record<string, number[]> = {
    "signed for another miner": [401], // Python serves a request relayed from another miner
    "signature without 0x": [401], // Python's TypeError is a 500
    "a forged request burns the nonce of the real one": [401, 200], // Python records the nonce before the signature
  };

  for (const name of Object.keys(minerVectors.answers)) {
    it(name, () => {
      const python = minerVectors.answers[name]!;
      const mine = ours[name];
      assert.ok(mine, `case ${name} ran`);
      if (DELIBERATE[name]) {
        assert.deepEqual(mine.status, DELIBERATE[name]);
        assert.notDeepEqual(python.status, mine.status, "still a difference");
        return;
      }
      assert.deepEqual(mine.status, python.status);
      for (const [i, pyBody] of python.body.entries()) {
        const ourBody = mine.body[i] as any;
        const detail = (pyBody as any)?.detail;
        if (typeof detail === "string") assert.equal(ourBody.detail, detail);
        else if (Array.isArray(detail)) {
          // A model's own errors are the route's parse in ours (value_error); FastAPI's entries
          // (missing headers or body, json_invalid, a body not decoded) match by type and place.
          const shape = (d: any) => (d.type === "missing" ? [d.type, ...d.loc] : [d.type, d.loc[0]]);
          if (ourBody.detail.some((d: any) => d.type === "value_error")) assert.ok(detail.every((d: any) => ["string_type", "model_attributes_type"].includes(d.type)));
          else assert.deepEqual(ourBody.detail.map(shape), detail.map(shape));
        } else assert.deepEqual(ourBody, pyBody);
      }
    });
  }
});

describe("Python's float repr, httpx's aiter_lines and Fiber's NonceManager, as vectors", () => {
  it("pythonFloat is repr(float) for every recorded double", () => {
    const view = new DataView(new ArrayBuffer(8));
    for (const { hex, repr } of logic.floats as { hex: string; repr: string }[]) {
      for (let i = 0; i < 8; i++) view.setUint8(i, parseInt(hex.slice(2 * i, 2 * i + 2), 16));
      assert.equal(pythonFloat(view.getFloat64(0)), repr, hex);
    }
  });
  it("LineSplitter gives httpx 0.27's lines for the same chunks, and splitLines str.splitlines'", () => {
    for (const { chunks, lines } of logic.lines as { chunks: string[]; lines: string[] }[]) {
      const splitter = new LineSplitter();
      const got = [...chunks.flatMap((c) => splitter.push(c)), ...splitter.flush()];
      assert.deepEqual(got, lines, JSON.stringify(chunks));
      assert.deepEqual(splitLines(chunks.join("")), lines);
    }
  });
  it("nonces: the same verdicts as nonce_is_valid, except the forms we refuse on purpose", () => {
    const nowMs = Number(BigInt(logic.nonces.now_ns) / 1_000_000n);
    // Python's int() also takes a sign and spaces; we take digits and a printable ASCII suffix only.
    const stricter = (n: string) => /^[+ ]/.test(n) || /[^\x21-\x7e]/.test(n);
    for (const { nonce, valid } of logic.nonces.cases as { nonce: string; valid: boolean }[]) {
      const ours = nonceRetentionMs(nonce, nowMs) !== undefined;
      if (stricter(nonce)) assert.equal(ours, false, nonce);
      else assert.equal(ours, valid, nonce);
    }
    assert.deepEqual(logic.nonces.replay, [true, false]);
  });
});
