/** Fiber 2 signed requests: FiberServer.signedRoute and FiberClient's signed calls, every refusal in Python's order and texts. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { toHex } from "../src/common/bytes.js";
import { HttpStatusError, InvalidArgumentError } from "../src/common/errors.js";
import { allowlist, minStake } from "../src/fiber/authorize.js";
import { NOT_ALLOWED_DETAIL } from "../src/fiber/constants.js";
import { FiberClient } from "../src/fiber/client.js";
import { DETAIL } from "../src/fiber/constants.js";
import { generateNonce, MemoryNonceStore } from "../src/fiber/nonce.js";
import { FiberServer } from "../src/fiber/server.js";
import { bodyHash, jsonBody, signedRequestHeaders, signedRequestMessage } from "../src/fiber/signed.js";
import { WRONG_MINER_DETAIL } from "../src/fiber/constants.js";
import { Keypair } from "../src/fiber/keypair.js";
import { serve, type RunningServer } from "../src/fiber/node/serve.js";
import { identities, statusAndJson, type Identities } from "./helpers/fiber.js";

let ids: Identities;
let stranger: Keypair;
let server: FiberServer;
let running: RunningServer;
const clock = () => Date.now();
const seen: { validatorHotkey: string; body: unknown }[] = [];

/** Sends raw bytes with the given headers straight to the handler (no socket). */
async function call(path: string, headers: Record<string, string>, body: BodyInit | null, method = "POST"): Promise<{ status: number; json: any }> {
  return statusAndJson(await server.fetch(new Request(`http://127.0.0.1${path}`, { method, headers, body })));
}

/** A correctly signed request of `body` (bytes or text) from `signer`, unless overridden. */
async function signed(body: string | Uint8Array, signer = ids.validator, options: { nonce?: string; minerHotkey?: string; nowMs?: number } = {}) {
  return signedRequestHeaders(signer, options.minerHotkey ?? ids.miner.ss58Address, body, { nowMs: options.nowMs ?? clock(), ...(options.nonce !== undefined ? { nonce: options.nonce } : {}) });
}

const BODY = '{"hi": "miner"}';

before(async () => {
  ids = await identities();
  stranger = await Keypair.fromSeed(`0x${"33".repeat(32)}`);
  const metagraph = { [ids.validator.ss58Address]: 5000, [ids.other.ss58Address]: 999, [ids.miner.ss58Address]: 0.00001 };
  server = await FiberServer.create({ keypair: ids.miner, authorize: minStake(metagraph), clock, maxBodyBytes: 4096, protocol: "both", onWarning: () => {} });
  server.signedRoute("/echo-signed", {
    handler: (body, { validatorHotkey }) => {
      seen.push({ validatorHotkey, body });
      return body;
    },
  });
  server.signedRoute("/hi", {
    parse: (v) => {
      if (typeof (v as { hi?: unknown } | null)?.hi !== "string") throw new Error("hi must be a string");
      return v as { hi: string };
    },
    handler: ({ hi }) => ({ status: `hi ${hi}` }),
  });
  server.signedRoute("/lines", {
    handler: (body) => {
      const chunks = (body as { chunks: string[] }).chunks;
      const encoder = new TextEncoder();
      let i = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (i < chunks.length) controller.enqueue(encoder.encode(chunks[i++]));
          else controller.close();
        },
      });
      return new Response(stream, { headers: { "content-type": "text/plain; charset=utf-8" } });
    },
  });
  server.route("/echo", { handler: (p) => p });
  running = await serve(server.fetch, { host: "127.0.0.1", port: 0 });
});
after(() => running.close());

describe("signed requests: the message and headers", () => {
  it("signs nonce:miner:sha256hex(body) and sends Python's five headers", async () => {
    const nonce = "1700000000000000000_AbCdEfGh12";
    const headers = await signedRequestHeaders(ids.validator, ids.miner.ss58Address, BODY, { nonce });
    assert.deepEqual(Object.keys(headers), ["content-type", "validator-hotkey", "miner-hotkey", "nonce", "signature"]);
    assert.equal(headers["content-type"], "application/json");
    assert.equal(headers.nonce, nonce);
    // sha256 of the UTF-8 bytes, lowercase hex (Python's hashlib.sha256(body).hexdigest()).
    const hash = await bodyHash(BODY);
    assert.equal(hash, toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(BODY)))));
    assert.equal(await signedRequestMessage(nonce, ids.miner.ss58Address, BODY), `${nonce}:${ids.miner.ss58Address}:${hash}`);
    assert.match(headers.signature!, /^0x[0-9a-f]{128}$/);
    assert.equal(await Keypair.verify(`${nonce}:${ids.miner.ss58Address}:${hash}`, headers.signature!, ids.validator.ss58Address), true);
    assert.equal(await bodyHash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
  it("refuses bad arguments with errors naming them", async () => {
    await assert.rejects(signedRequestHeaders(ids.validator, "not-ss58", BODY), (e: unknown) => e instanceof InvalidArgumentError && /minerHotkey/.test(e.message));
    assert.throws(() => jsonBody(undefined), (e: unknown) => e instanceof InvalidArgumentError && /body/.test(e.message));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => jsonBody(cyclic), InvalidArgumentError);
    assert.throws(() => server.signedRoute("/echo", { handler: () => 1 }), /other protocol/);
    assert.throws(() => server.route("/echo-signed", { handler: () => 1 }), /other protocol/);
    assert.throws(() => server.signedRoute("/exchange-symmetric-key", { handler: () => 1 }), InvalidArgumentError);
    assert.throws(() => server.signedRoute("nope", { handler: () => 1 }), InvalidArgumentError);
  });
});

describe("signed requests: happy path over HTTP", () => {
  it("FiberClient.postSigned round-trips JSON and the handler sees the authenticated hotkey", async () => {
    const client = new FiberClient({ keypair: ids.validator, clock });
    for (const body of [{ hello: "miner", n: [1, 2] }, [1, "two"], "text", 42, null, { "é": "ü\u2028" }]) {
      assert.deepEqual(await client.postSigned(running.url, ids.miner.ss58Address, "/echo-signed", body), body);
    }
    assert.equal(seen.at(-1)?.validatorHotkey, ids.validator.ss58Address);
    assert.deepEqual(await client.postSigned(`${running.url}/`, ids.miner.ss58Address, "hi", { hi: "there" }), { status: "hi there" });
  });
  it("accepts the bytes Python's make_streamed_post sends (json.dumps with its separators, as signed)", async () => {
    const python = '{"hi": "miner", "n": [1, 2], "u": "\\u00e9"}';
    const r = await fetch(`${running.url}/hi`, { method: "POST", headers: await signed(python), body: python });
    assert.deepEqual([r.status, await r.json()], [200, { status: "hi miner" }]);
  });
  it("refuses a body re-encoded after signing (make_non_streamed_post with httpx >= 0.28)", async () => {
    const r = await fetch(`${running.url}/hi`, { method: "POST", headers: await signed('{"hi": "miner"}'), body: '{"hi":"miner"}' });
    assert.deepEqual([r.status, await r.json()], [401, { detail: DETAIL.invalidSignature }]);
  });
  it("FiberClient.streamSigned yields lines as httpx's aiter_lines: endings stripped, empty lines kept, split across chunks", async () => {
    const client = new FiberClient({ keypair: ids.validator, clock });
    const lines = async (chunks: string[]) => {
      const out: string[] = [];
      for await (const line of client.streamSigned(running.url, ids.miner.ss58Address, "/lines", { chunks })) out.push(line);
      return out;
    };
    assert.deepEqual(await lines(["a\n", "\n", "b c\n", "ü\n"]), ["a", "", "b c", "ü"]);
    assert.deepEqual(await lines(["x\r", "\ny\r\n\nz"]), ["x", "y", "", "z"], "\\r\\n split across chunks is one break; a last line without ending is kept");
    assert.deepEqual(await lines(["1\u20282\r3\x0c4\n"]), ["1", "2", "3", "4"], "str.splitlines breaks");
    assert.deepEqual(await lines([]), []);
    const early: string[] = [];
    for await (const line of client.streamSigned(running.url, ids.miner.ss58Address, "/lines", { chunks: ["first\n", "second\n", "third\n"] })) {
      early.push(line);
      break;
    }
    assert.deepEqual(early, ["first"], "leaving the loop early ends the stream");
  });
  it("streamSigned throws HttpStatusError before any line on an error status", async () => {
    const client = new FiberClient({ keypair: ids.other, clock });
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const line of client.streamSigned(running.url, ids.miner.ss58Address, "/lines", { chunks: ["a\n"] })) got.push(line);
      })(),
      (e: unknown) => e instanceof HttpStatusError && e.status === 403 && e.detail === "Insufficient stake of 999.0 ",
    );
    assert.deepEqual(got, []);
  });
  it("FiberClient.get sends only content-type and validator-hotkey, as make_non_streamed_get", async () => {
    let sent: Headers | undefined;
    const spy: typeof fetch = async (input, init) => {
      sent = new Headers(init?.headers);
      return fetch(input, init);
    };
    const client = new FiberClient({ keypair: ids.validator, fetch: spy });
    const answer = (await client.get(running.url, "/public-encryption-key")) as { public_key: string };
    assert.equal(answer.public_key, server.publicKeyPem);
    const names: string[] = [];
    sent!.forEach((_value, name) => names.push(name));
    assert.deepEqual(names.sort(), ["content-type", "validator-hotkey"]);
    assert.equal(sent!.get("validator-hotkey"), ids.validator.ss58Address);
    await assert.rejects(client.get(running.url, "/nothing-here"), (e: unknown) => e instanceof HttpStatusError && e.status === 404);
  });
});

describe("signed requests: refusals (Python's statuses and texts, in its order)", () => {
  it("a replay is refused: 401 Oi, that nonce is not valid!", async () => {
    const headers = await signed(BODY);
    assert.equal((await call("/hi", headers, BODY)).status, 200);
    assert.deepEqual(await call("/hi", headers, BODY), { status: 401, json: { detail: DETAIL.invalidNonce } });
  });
  it("nonces outside the ±120 s window are refused; exactly 120 s passes", async () => {
    const now = Date.now();
    {
      const at = (offsetMs: number) => `${BigInt(now + offsetMs) * 1_000_000n}_abcdefghij`;
      // The server's clock is frozen at `now` for these checks; its nonce records begin
      // before the window (a fresh store refuses nonces minted before it started: 503).
      const nonceStore = new MemoryNonceStore({ clock: () => now, floorMs: now - 120_001 });
      const frozen = await FiberServer.create({ keypair: ids.miner, clock: () => now, nonceStore });
      frozen.signedRoute("/e", { handler: (b) => b });
      const send = async (nonce: string) => (await frozen.fetch(new Request("http://127.0.0.1/e", { method: "POST", headers: await signed(BODY, ids.validator, { nonce }), body: BODY }))).status;
      assert.equal(await send(at(-120_001)), 401, "too old");
      assert.equal(await send(at(120_001)), 401, "too far ahead");
      assert.equal(await send(at(-120_000)), 200, "exactly the window's edge");
      assert.equal(await send(at(120_000)), 200);
      for (const bad of ["", "abc_def", "12x_a", `${"9".repeat(21)}_a`, "+1_a", " 1_a"]) assert.equal(await send(bad), 401, JSON.stringify(bad));
    }
  });
  it("a wrong signer is refused: 401 Oi, invalid signature…", async () => {
    const headers = { ...(await signed(BODY, ids.other)), "validator-hotkey": ids.validator.ss58Address };
    assert.deepEqual(await call("/hi", headers, BODY), { status: 401, json: { detail: DETAIL.invalidSignature } });
    const tampered = await signed(BODY);
    assert.deepEqual(await call("/hi", tampered, '{"hi": "minor"}'), { status: 401, json: { detail: DETAIL.invalidSignature } }, "a changed body");
    for (const signature of ["", "0x", tampered.signature!.slice(2), `${tampered.signature!}00`, "0xzz"]) {
      const headers = { ...(await signed(BODY)), signature };
      assert.deepEqual(await call("/hi", headers, BODY), { status: 401, json: { detail: DETAIL.invalidSignature } }, `signature ${JSON.stringify(signature)} (Python: a 500 without 0x)`);
    }
  });
  it("a request signed for another miner is refused (401; Python accepts it)", async () => {
    const headers = await signed(BODY, ids.validator, { minerHotkey: ids.other.ss58Address });
    assert.deepEqual(await call("/hi", headers, BODY), { status: 401, json: { detail: WRONG_MINER_DETAIL } });
  });
  it("the stake gate: 403 Hotkey not found in metagraph / Insufficient stake of {float} ", async () => {
    assert.deepEqual(await call("/hi", await signed(BODY, stranger), BODY), { status: 403, json: { detail: DETAIL.hotkeyNotInMetagraph } });
    assert.deepEqual(await call("/hi", await signed(BODY, ids.other), BODY), { status: 403, json: { detail: "Insufficient stake of 999.0 " } });
    assert.deepEqual(await call("/hi", await signed(BODY, ids.miner), BODY), { status: 403, json: { detail: "Insufficient stake of 1e-05 " } });
  });
  it("a validator outside an allowlist gets the allowlist's 403, as on the encrypted routes", async () => {
    const only = await FiberServer.create({ keypair: ids.miner, authorize: allowlist([ids.validator.ss58Address]) });
    only.signedRoute("/e", { handler: (b) => b });
    const send = async (signer: Keypair) => {
      const r = await only.fetch(new Request("http://127.0.0.1/e", { method: "POST", headers: await signed(BODY, signer), body: BODY }));
      return [r.status, ((await r.json()) as { detail?: string }).detail];
    };
    assert.deepEqual(await send(ids.other), [403, NOT_ALLOWED_DETAIL]);
    assert.deepEqual(await send(ids.validator), [200, undefined]);
  });
  it("the gate runs before the other headers: a low stake without a nonce is 403; no validator-hotkey is 422", async () => {
    const { nonce: _n, ...noNonce } = await signed(BODY, ids.other);
    assert.deepEqual(await call("/hi", noNonce, BODY), { status: 403, json: { detail: "Insufficient stake of 999.0 " } });
    const { nonce: _m, ...fine } = await signed(BODY);
    const r = await call("/hi", fine, BODY);
    assert.equal(r.status, 422);
    assert.deepEqual(r.json.detail, [{ type: "missing", loc: ["header", "nonce"], msg: "Field required", input: null }]);
    const none = await call("/hi", { "content-type": "application/json" }, "");
    assert.equal(none.status, 422);
    assert.deepEqual(
      none.json.detail.map((d: { loc: string[] }) => d.loc.join(".")),
      ["header.validator-hotkey", "header.validator-hotkey", "header.signature", "header.miner-hotkey", "header.nonce", "body"],
      "FastAPI's list: the gate's header, verify_request's headers, then the body (measured on Fiber 2.1.0)",
    );
  });
  it("body decoding comes first: not JSON is 422 and not UTF-8 is 400, even from an unknown hotkey", async () => {
    const bad = "{not json";
    const r = await call("/hi", await signed(bad, stranger), bad);
    assert.equal(r.status, 422);
    assert.equal(r.json.detail[0].type, "json_invalid");
    const latin1 = new Uint8Array([0x7b, 0x22, 0xe9, 0x22, 0x7d]);
    assert.deepEqual(await call("/hi", await signed(latin1, stranger), latin1), { status: 400, json: { detail: DETAIL.bodyParseError } });
    // Valid JSON as text/plain is not decoded: refused after authentication, as FastAPI's body model does.
    const plain = { ...(await signed(BODY)), "content-type": "text/plain" };
    assert.equal((await call("/hi", plain, BODY)).status, 422);
    assert.equal((await call("/hi", plain, BODY)).json.detail, DETAIL.invalidNonce, "the nonce was recorded before the 422");
    // A JSON content type with parameters or +json is decoded.
    const vendor = { ...(await signed(BODY)), "content-type": "application/vnd.x+json; charset=utf-8" };
    assert.equal((await call("/hi", vendor, BODY)).status, 200);
  });
  it("an empty body or a body the route's parse refuses is 422 after the nonce is recorded (so its replay is 401)", async () => {
    for (const body of ["", '["hi"]', '{"hi": 1}']) {
      const headers = await signed(body);
      const first = await call("/hi", headers, body);
      assert.equal(first.status, 422, body);
      assert.deepEqual(await call("/hi", headers, body), { status: 401, json: { detail: DETAIL.invalidNonce } });
    }
  });
  it("a nonce is recorded only after its signature verifies (Python records it first)", async () => {
    const nonce = generateNonce(clock());
    const forged = { ...(await signed(BODY, ids.other, { nonce })), "validator-hotkey": ids.validator.ss58Address };
    assert.equal((await call("/hi", forged, BODY)).status, 401);
    assert.equal((await call("/hi", await signed(BODY, ids.validator, { nonce }), BODY)).status, 200, "the forger did not burn the nonce");
  });
  it("other refusals: 405 for GET, 413 past the body limit, 429 when the nonce store is full, never a 5xx", async () => {
    assert.equal((await call("/hi", {}, null, "GET")).status, 405);
    const big = JSON.stringify({ hi: "x".repeat(5000) });
    assert.equal((await call("/hi", await signed(big), big)).status, 413);
    const full = await FiberServer.create({ keypair: ids.miner, nonceStore: new MemoryNonceStore({ maxEntries: 1 }) });
    full.signedRoute("/e", { handler: (b) => b });
    const send = async () => (await full.fetch(new Request("http://127.0.0.1/e", { method: "POST", headers: await signed(BODY), body: BODY }))).status;
    assert.deepEqual([await send(), await send()], [200, 429]);
  });
  it("property: a signed body is accepted once; any change to it, or to the nonce, is refused; never a 5xx", async () => {
    const open = await FiberServer.create({ keypair: ids.miner });
    open.signedRoute("/e", { handler: (b) => b });
    const send = async (headers: Record<string, string>, body: string) => (await open.fetch(new Request("http://127.0.0.1/e", { method: "POST", headers, body }))).status;
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), fc.nat({ max: 1000 }), async (value, at) => {
        const body = JSON.stringify(value);
        const headers = await signed(body);
        const changed = body.length > 0 ? body.slice(0, at % body.length) + (body[at % body.length] === " " ? "\t" : " ") + body.slice((at % body.length) + 1) : " ";
        const statusChanged = await send(headers, changed);
        assert.ok(statusChanged === 401 || statusChanged === 422, `changed body: ${statusChanged}`);
        assert.equal(await send(headers, body), 200);
        assert.equal(await send(headers, body), 401);
        assert.equal(await send({ ...headers, nonce: generateNonce() }, body), 401);
      }),
      { numRuns: 25 },
    );
  });
  it("property: random headers and bodies never get a 5xx", async () => {
    const names = ["validator-hotkey", "miner-hotkey", "nonce", "signature", "content-type"] as const;
    const junk = fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, ""));
    await fc.assert(
      fc.asyncProperty(fc.subarray([...names]), fc.dictionary(fc.constantFrom(...names), junk, { maxKeys: 3 }), fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v)))), async (drop, replace, body) => {
        const headers: Record<string, string> = await signed(body);
        for (const name of drop) delete headers[name];
        Object.assign(headers, replace);
        const r = await call("/hi", headers, body);
        assert.ok(r.status < 500, `status ${r.status}`);
      }),
      { numRuns: 60 },
    );
  });
});
