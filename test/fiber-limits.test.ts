/**
 * Unauthenticated cost on the miner: headers are checked before a body is read, bodies
 * in flight share one byte budget, slow bodies time out, deep JSON is a 422 (real
 * servers on 127.0.0.1, raw sockets for stalled uploads).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { randomBytes, toBase64 } from "../src/common/bytes.js";
import { allowlist } from "../src/fiber/authorize.js";
import { DETAIL } from "../src/fiber/constants.js";
import { Fernet } from "../src/fiber/fernet.js";
import { BODIES_BUSY_DETAIL, SLOW_BODY_DETAIL } from "../src/fiber/constants.js";
import { exceedsJsonDepth, MAX_JSON_DEPTH } from "../src/fiber/limits.js";
import { FiberServer } from "../src/fiber/server.js";
import { serve, type RunningServer } from "../src/fiber/node/serve.js";
import { encryptRSA } from "../src/rsa/index.js";
import { identities, post, signedHeaders, type Identities } from "./helpers/fiber.js";
import { rawUpload } from "./helpers/raw-http.js";

const KIB = 1024;
let ids: Identities;
let server: FiberServer;
let running: RunningServer;

before(async () => {
  ids = await identities();
  server = await FiberServer.create({ keypair: ids.miner, authorize: allowlist([ids.validator.ss58Address]), maxBodyBytes: 64 * KIB, maxBufferedBytes: 100 * KIB, bodyTimeoutMs: 10_000 });
  server.route("/echo", { handler: (payload) => payload });
  running = await serve(server.fetch);
});
after(() => running.close());

/** Waits (bounded) until the server holds at least `bytes` of bodies. */
async function untilBuffered(bytes: number, target: FiberServer = server): Promise<void> {
  for (let i = 0; i < 500 && target.bufferedBytes < bytes; i++) await sleep(10);
  assert.ok(target.bufferedBytes >= bytes, `the server holds ${target.bufferedBytes} bytes, expected ${bytes}`);
}

async function exchangeWith(target: FiberServer, at: RunningServer): Promise<{ uuid: string; fernet: Fernet }> {
  const key = randomBytes(32);
  const headers = await signedHeaders(ids.validator, ids.miner.ss58Address);
  const body = JSON.stringify({ encrypted_symmetric_key: toBase64(await encryptRSA(target.publicKeyPem, key, { hash: "SHA-256" })) });
  assert.equal((await post(`${at.url}/exchange-symmetric-key`, { ...headers, "content-type": "application/json" }, body)).status, 200);
  return { uuid: headers["symmetric-key-uuid"]!, fernet: await Fernet.create(key) };
}
const exchange = () => exchangeWith(server, running);

describe("Fiber server: headers are checked before the body is read", { timeout: 20_000 }, () => {
  it("answers a request without Fiber headers (422) while its declared 4 MiB body has not been sent", async () => {
    for (const path of ["/echo", "/exchange-symmetric-key"]) {
      const upload = rawUpload(running.port, path, { "content-length": 4 * 1024 * KIB, "content-type": "application/json" });
      const answer = await upload.answer;
      assert.equal(answer.status, 422, path);
      assert.deepEqual(JSON.parse(answer.body).detail[0], { type: "missing", loc: ["header", "validator-hotkey"], msg: "Field required", input: null });
      upload.socket.destroy();
    }
    assert.equal(server.bufferedBytes, 0);
  });
  it("answers 403 (not allowed), 401 (nonce outside the window, another miner) and 400 (bad uuid) before the body", async () => {
    const cases: [Record<string, string>, number][] = [
      [await signedHeaders(ids.other, ids.miner.ss58Address), 403],
      [await signedHeaders(ids.validator, ids.miner.ss58Address, { nowMs: Date.now() - 600_000 }), 401],
      [await signedHeaders(ids.validator, ids.other.ss58Address), 401],
      [await signedHeaders(ids.validator, ids.miner.ss58Address, { uuid: "bad uuid!" }), 400],
    ];
    for (const [headers, status] of cases) {
      const upload = rawUpload(running.port, "/echo", { ...headers, "content-length": 4 * 1024 * KIB }, "x".repeat(1000));
      assert.equal((await upload.answer).status, status);
      upload.socket.destroy();
    }
  });
  it("an authorized request with a forged signature is still refused after its body (401), and frees what it held", async () => {
    const headers = { ...(await signedHeaders(ids.validator, ids.miner.ss58Address)), signature: "0x" + "00".repeat(64) };
    assert.deepEqual(await post(`${running.url}/echo`, headers, "x".repeat(10 * KIB)), { status: 401, json: { detail: DETAIL.invalidSignature } });
    assert.equal(server.bufferedBytes, 0);
  });
});

describe("Fiber server: bodies in flight share maxBufferedBytes; slow bodies time out", { timeout: 30_000 }, () => {
  it("503 (retry-after) for the body that would go over the budget; the others go on; the budget is given back", async () => {
    const { uuid, fernet } = await exchange();
    const token = new TextEncoder().encode(await fernet.encrypt(JSON.stringify({ pad: "p".repeat(40 * KIB) })));
    const first = rawUpload(running.port, "/echo", { ...(await signedHeaders(ids.validator, ids.miner.ss58Address, { uuid })), "content-length": token.length }, token.subarray(0, 50 * KIB));
    await untilBuffered(50 * KIB);
    const second = rawUpload(running.port, "/echo", { ...(await signedHeaders(ids.validator, ids.miner.ss58Address, { uuid })), "content-length": token.length }, token.subarray(0, 60 * KIB));
    const refused = await second.answer;
    assert.equal(refused.status, 503);
    assert.equal(refused.headers["retry-after"], "1");
    assert.deepEqual(JSON.parse(refused.body), { detail: BODIES_BUSY_DETAIL });
    first.socket.write(token.subarray(50 * KIB));
    const done = await first.answer;
    assert.equal(done.status, 200, done.body);
    assert.equal(JSON.parse(done.body).pad.length, 40 * KIB);
    second.socket.destroy();
    first.socket.destroy();
    for (let i = 0; i < 100 && server.bufferedBytes > 0; i++) await sleep(10);
    assert.equal(server.bufferedBytes, 0);
  });
  it("slow large uploads cannot take the last eighth of the budget: small requests still pass", async () => {
    const big = await FiberServer.create({ keypair: ids.miner, maxBodyBytes: 256 * KIB, maxBufferedBytes: 512 * KIB, bodyTimeoutMs: 10_000 });
    big.route("/echo", { handler: (payload) => payload });
    const bigRunning = await serve(big.fetch);
    const uploads: ReturnType<typeof rawUpload>[] = [];
    try {
      const upload = async (bytes: number) => rawUpload(bigRunning.port, "/echo", { ...(await signedHeaders(ids.validator, ids.miner.ss58Address)), "content-length": 256 * KIB }, "x".repeat(bytes));
      for (const held of [200 * KIB, 400 * KIB]) {
        uploads.push(await upload(200 * KIB));
        for (let i = 0; i < 500 && big.bufferedBytes < held; i++) await sleep(10);
      }
      // 400 + 110 KiB would fit in the 512 KiB budget; large bodies stop at 448 KiB.
      uploads.push(await upload(110 * KIB));
      assert.equal((await uploads[2]!.answer).status, 503, "the third large upload stops at 7/8 of the budget");
      const session = await exchangeWith(big, bigRunning);
      const headers = await signedHeaders(ids.validator, ids.miner.ss58Address, { uuid: session.uuid });
      assert.deepEqual(await post(`${bigRunning.url}/echo`, headers, await session.fernet.encrypt('{"small":1}')), { status: 200, json: { small: 1 } });
    } finally {
      for (const u of uploads) u.socket.destroy();
      await bigRunning.close();
    }
  });
  it("408 for a body that stalls past bodyTimeoutMs, and the bytes it held are given back", async () => {
    // A server of its own with a 2 s deadline: the other tests' server allows 10 s, so that a
    // slow machine never times out the uploads they expect to finish.
    const slow = await FiberServer.create({ keypair: ids.miner, authorize: allowlist([ids.validator.ss58Address]), maxBodyBytes: 64 * KIB, bodyTimeoutMs: 2000 });
    slow.route("/echo", { handler: (payload) => payload });
    const slowRunning = await serve(slow.fetch);
    try {
      const headers = await signedHeaders(ids.validator, ids.miner.ss58Address);
      const upload = rawUpload(slowRunning.port, "/echo", { ...headers, "content-length": 60 * KIB }, "x".repeat(10 * KIB));
      await untilBuffered(10 * KIB, slow);
      const answer = await upload.answer;
      assert.deepEqual({ status: answer.status, body: JSON.parse(answer.body) }, { status: 408, body: { detail: SLOW_BODY_DETAIL } });
      assert.equal(slow.bufferedBytes, 0);
      await upload.closed; // after a short linger the server closes the connection
    } finally {
      await slowRunning.close();
    }
  });
  it("a client that keeps sending a body far over maxBodyBytes reads the 413 (no EPIPE)", async () => {
    const headers = await signedHeaders(ids.validator, ids.miner.ss58Address);
    const big = new Uint8Array(8 * 1024 * KIB).fill(0x41);
    const stream = new ReadableStream({ start(c) { c.enqueue(big); c.close(); } });
    const r = await fetch(`${running.url}/echo`, { method: "POST", headers, body: stream, duplex: "half" } as RequestInit);
    assert.equal(r.status, 413);
    const declared = await fetch(`${running.url}/echo`, { method: "POST", headers: await signedHeaders(ids.validator, ids.miner.ss58Address), body: big });
    assert.equal(declared.status, 413);
  });
  it("refuses maxBufferedBytes below maxBodyBytes", async () => {
    await assert.rejects(FiberServer.create({ keypair: ids.miner, maxBodyBytes: 2048, maxBufferedBytes: 1024 }), /options\.maxBufferedBytes \(1024\) must be at least options\.maxBodyBytes \(2048\)/);
  });
});

describe("Fiber server: JSON nesting", () => {
  const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
  it(`422 (never 500) for an authenticated body nested deeper than ${MAX_JSON_DEPTH} levels; ${MAX_JSON_DEPTH} levels pass`, async () => {
    const { uuid, fernet } = await exchange();
    const send = async (text: string) => post(`${running.url}/echo`, await signedHeaders(ids.validator, ids.miner.ss58Address, { uuid }), await fernet.encrypt(text));
    const deep = await send(nested(10_000));
    assert.equal(deep.status, 422);
    assert.deepEqual(deep.json.detail, [{ type: "too_deep", loc: ["body"], msg: `JSON nested deeper than ${MAX_JSON_DEPTH} levels`, input: {} }]);
    assert.equal((await send(`{"a":${nested(MAX_JSON_DEPTH)}}`)).status, 422);
    const ok = await send(`{"a":${nested(MAX_JSON_DEPTH - 1)}}`);
    assert.equal(ok.status, 200);
  });
  it("the exchange body too", async () => {
    const r = await post(`${running.url}/exchange-symmetric-key`, { ...(await signedHeaders(ids.validator, ids.miner.ss58Address)), "content-type": "application/json" }, `{"x":${nested(5000)}}`);
    assert.equal(r.status, 422);
    assert.equal(r.json.detail[0].type, "too_deep");
  });
  it("exceedsJsonDepth counts brackets outside strings only", () => {
    assert.equal(exceedsJsonDepth(nested(3), 3), false);
    assert.equal(exceedsJsonDepth(nested(4), 3), true);
    assert.equal(exceedsJsonDepth(`["${"[".repeat(100)}", "\\"[[[[["]`, 1), false);
    assert.equal(exceedsJsonDepth(`{"a":{"b":[1]}}`, 2), true);
  });
});

describe("Fiber server: keep-alive connections", { timeout: 20_000 }, () => {
  it("answering many requests early on one connection leaves no listener behind on its socket", async () => {
    const { Agent, request } = await import("node:http");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const sockets = new Set<unknown>();
      for (let i = 0; i < 15; i++) {
        // No Fiber headers: 422 before the body is read, then the rest is drained.
        const status = await new Promise<number>((resolve, reject) => {
          const req = request(`${running.url}/echo`, { method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          });
          req.on("socket", (s) => sockets.add(s));
          req.on("error", reject);
          req.end(JSON.stringify({ i, pad: "x".repeat(1000) }));
        });
        assert.equal(status, 422);
      }
      assert.equal(sockets.size, 1, "one kept-alive connection served every request");
      await sleep(50); // warnings are emitted on the next tick
      assert.deepEqual(warnings.filter((w) => w.name === "MaxListenersExceededWarning").map((w) => w.message), []);
    } finally {
      process.off("warning", onWarning);
      agent.destroy();
    }
  });
});
