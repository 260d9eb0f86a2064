/**
 * Fiber 2.4.0+'s signed GETs, both modes, between our FiberClient and our FiberServer:
 * what is sent, what is refused (an unsigned GET, a GET signed over a body hash, a foreign
 * miner, a replayed nonce), the route declarations, and the client's one retry on a
 * restarted miner's 503.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { HttpStatusError, InvalidArgumentError } from "../src/common/errors.js";
import { FiberClient } from "../src/fiber/client.js";
import { DETAIL, NONCE_UNVERIFIABLE_DETAIL, signedGetMessage, signingMessage } from "../src/fiber/constants.js";
import { Keypair } from "../src/fiber/keypair.js";
import { generateNonce, MemoryNonceStore, type NonceStore } from "../src/fiber/nonce.js";
import { FiberServer } from "../src/fiber/server.js";
import { bodyHash, signedGetHeaders } from "../src/fiber/signed.js";
import { identities, type Identities } from "./helpers/fiber.js";

const BASE = "http://miner.test";
const ANSWER = { status: "Example get request received" };
let ids: Identities;

before(async () => {
  ids = await identities();
});

async function miner(options: { nonceStore?: NonceStore } = {}): Promise<FiberServer> {
  // Both protocols on one server on purpose: these tests check each GET against the other.
  const server = await FiberServer.create({ keypair: ids.miner, protocol: "both", onWarning: () => {}, ...options });
  return server.signedRoute("/get", { method: "GET", handler: () => ANSWER }).route("/get-encrypted", { method: "GET", handler: (_p, ctx) => ({ ...ANSWER, who: ctx.validatorHotkey }) });
}

/** A fetch into `server`, recording each request's headers. */
function into(server: FiberServer, seen: Headers[] = []): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    seen.push(new Headers(request.headers));
    return server.fetch(request);
  }) as typeof fetch;
}

async function status(server: FiberServer, path: string, headers: Record<string, string>, method = "GET"): Promise<{ status: number; json: unknown }> {
  const response = await server.fetch(new Request(BASE + path, { method, headers }));
  return { status: response.status, json: await response.json() };
}

describe("signed GET: client and server", () => {
  it("getSigned sends 2.5.0's headers, signed over nonce:miner, and gets the answer", async () => {
    const seen: Headers[] = [];
    const client = new FiberClient({ keypair: ids.validator, fetch: into(await miner(), seen) });
    assert.deepEqual(await client.getSigned(BASE, ids.miner.ss58Address, "/get"), ANSWER);
    const h = seen[0]!;
    const names: string[] = [];
    h.forEach((_value, name) => names.push(name));
    assert.deepEqual(names.sort(), ["content-type", "miner-hotkey", "nonce", "signature", "validator-hotkey"]);
    assert.equal(h.get("content-type"), "application/json");
    assert.equal(await Keypair.verify(signedGetMessage(h.get("nonce")!, ids.miner.ss58Address), h.get("signature")!, ids.validator.ss58Address), true);
  });

  it("getEncrypted handshakes, sends the five headers with octet-stream, signed over nonce:miner:uuid", async () => {
    const seen: Headers[] = [];
    const client = new FiberClient({ keypair: ids.validator, fetch: into(await miner(), seen) });
    assert.deepEqual(await client.getEncrypted(BASE, ids.miner.ss58Address, "/get-encrypted"), { ...ANSWER, who: ids.validator.ss58Address });
    const h = seen.at(-1)!;
    const { uuid } = await client.handshake(BASE, ids.miner.ss58Address);
    assert.equal(h.get("symmetric-key-uuid"), uuid);
    assert.equal(h.get("content-type"), "application/octet-stream");
    assert.equal(await Keypair.verify(signingMessage(h.get("nonce")!, ids.miner.ss58Address, uuid), h.get("signature")!, ids.validator.ss58Address), true);
    // The key is reused: a second GET does not handshake again.
    const before = seen.length;
    await client.getEncrypted(BASE, ids.miner.ss58Address, "/get-encrypted");
    assert.equal(seen.length, before + 1);
  });

  it("an unsigned GET (2.1's get) gets FastAPI's 422, listing what verify_get_request lacks", async () => {
    const client = new FiberClient({ keypair: ids.validator, fetch: into(await miner()) });
    await assert.rejects(client.get(BASE, "/get"), (e: HttpStatusError) => e.status === 422 && JSON.parse(e.detail).map((i: { loc: string[] }) => i.loc[1]).join() === "signature,miner-hotkey,nonce");
    const none = await status(await miner(), "/get", {});
    assert.equal(none.status, 422);
    assert.deepEqual((none.json as { detail: { loc: string[] }[] }).detail.map((i) => i.loc[1]), ["validator-hotkey", "validator-hotkey", "signature", "miner-hotkey", "nonce"]);
    const encrypted = await status(await miner(), "/get-encrypted", {});
    assert.deepEqual((encrypted.json as { detail: { loc: string[] }[] }).detail.map((i) => i.loc[1]), ["validator-hotkey", "validator-hotkey", "signature", "miner-hotkey", "nonce", "symmetric-key-uuid"]);
  });

  it("a GET signed over a body hash (a POST's message) is 401 invalid signature, and its nonce stays unspent", async () => {
    const store = new MemoryNonceStore();
    const server = await miner({ nonceStore: store });
    const nonce = generateNonce();
    const signature = await ids.validator.signHex(signingMessage(nonce, ids.miner.ss58Address, await bodyHash("")));
    const headers = { "validator-hotkey": ids.validator.ss58Address, "miner-hotkey": ids.miner.ss58Address, nonce, signature };
    assert.deepEqual(await status(server, "/get", headers), { status: 401, json: { detail: DETAIL.invalidSignature } });
    assert.equal(await store.has(nonce), false);
  });

  it("a GET for another miner gets 2.5.0's 401 text in both modes, before its nonce is spent", async () => {
    const store = new MemoryNonceStore();
    const server = await miner({ nonceStore: store });
    const headers = await signedGetHeaders(ids.validator, ids.other.ss58Address);
    assert.deepEqual(await status(server, "/get", headers), { status: 401, json: { detail: DETAIL.invalidMinerHotkey } });
    assert.equal(await store.has(headers.nonce!), false);
    const client = new FiberClient({ keypair: ids.validator, fetch: into(server) });
    await assert.rejects(client.getSigned(BASE, ids.other.ss58Address, "/get"), (e: HttpStatusError) => e.status === 401 && e.detail === DETAIL.invalidMinerHotkey);
    // Encrypted mode: 2.5.0 has no such check; we keep ours. The handshake goes to the right miner.
    const misdirected = new FiberClient({ keypair: ids.validator, fetch: into(server) });
    const { uuid } = await misdirected.handshake(BASE, ids.miner.ss58Address);
    const nonce = generateNonce();
    const relayed = { "validator-hotkey": ids.validator.ss58Address, "miner-hotkey": ids.other.ss58Address, "symmetric-key-uuid": uuid, nonce, signature: await ids.validator.signHex(signingMessage(nonce, ids.other.ss58Address, uuid)) };
    assert.deepEqual(await status(server, "/get-encrypted", relayed), { status: 401, json: { detail: DETAIL.invalidMinerHotkey } });
  });

  it("a replayed GET nonce is 401, in both modes", async () => {
    const server = await miner();
    const headers = await signedGetHeaders(ids.validator, ids.miner.ss58Address);
    assert.deepEqual(await status(server, "/get", headers), { status: 200, json: ANSWER });
    assert.deepEqual(await status(server, "/get", headers), { status: 401, json: { detail: DETAIL.invalidNonce } });
    const nonce = generateNonce();
    const uuid = "f".repeat(64); // not looked up, as in 2.5.0: only signed
    const enc = { "validator-hotkey": ids.validator.ss58Address, "miner-hotkey": ids.miner.ss58Address, "symmetric-key-uuid": uuid, nonce, signature: await ids.validator.signHex(signingMessage(nonce, ids.miner.ss58Address, uuid)) };
    assert.equal((await status(server, "/get-encrypted", enc)).status, 200);
    assert.deepEqual(await status(server, "/get-encrypted", enc), { status: 401, json: { detail: DETAIL.invalidNonce } });
  });

  it("property: a signed GET verifies only over its own nonce and miner", async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[0-9]{1,19}_[A-Za-z0-9]{0,12}$/), fc.boolean(), async (nonce, otherMiner) => {
        const headers = await signedGetHeaders(ids.validator, ids.miner.ss58Address, { nonce });
        assert.equal(headers.nonce, nonce);
        const miner = otherMiner ? ids.other.ss58Address : ids.miner.ss58Address;
        assert.equal(await Keypair.verify(signedGetMessage(nonce, miner), headers.signature!, ids.validator.ss58Address), !otherMiner);
        assert.equal(await Keypair.verify(`${signedGetMessage(nonce, miner)}:`, headers.signature!, ids.validator.ss58Address), false);
      }),
      { numRuns: 25 },
    );
  });

  it("GET routes: other methods get 405, a POST route still refuses GET, and a GET route takes no parse", async () => {
    const server = (await miner()).signedRoute("/post", { handler: (b) => b });
    assert.equal((await status(server, "/get", {}, "POST")).status, 405);
    assert.equal((await status(server, "/get-encrypted", {}, "POST")).status, 405);
    assert.equal((await status(server, "/post", {}, "GET")).status, 405);
    assert.throws(() => server.signedRoute("/x", { method: "GET", parse: (v) => v, handler: () => 1 }), InvalidArgumentError);
    assert.throws(() => server.route("/y", { method: "PUT" as "GET", handler: () => 1 }), InvalidArgumentError);
  });
});

describe("one retry on a restarted miner's 503", () => {
  it("a nonce minted before the miner's store began gets 503; the client retries once with a fresh nonce, for posts and GETs", async () => {
    for (const call of ["getSigned", "getEncrypted", "postSigned", "post", "streamSigned"] as const) {
      const server = await miner();
      server.signedRoute("/echo-signed", { handler: (b) => b }).signedRoute("/stream", { handler: () => new Response("a\nb\n") }).route("/echo", { handler: (b) => b });
      let refusals = 1;
      const nonces: string[] = [];
      const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init);
        const nonce = request.headers.get("nonce");
        if (nonce !== null && !request.url.endsWith("/exchange-symmetric-key")) nonces.push(nonce);
        if (nonce !== null && !request.url.endsWith("/exchange-symmetric-key") && refusals-- > 0) {
          return Response.json({ detail: NONCE_UNVERIFIABLE_DETAIL }, { status: 503, headers: { "retry-after": "1" } });
        }
        return server.fetch(request);
      }) as typeof globalThis.fetch;
      const client = new FiberClient({ keypair: ids.validator, fetch, nonceRetryDelayMs: 0 });
      const m = ids.miner.ss58Address;
      const answer =
        call === "getSigned" ? await client.getSigned(BASE, m, "/get")
        : call === "getEncrypted" ? await client.getEncrypted(BASE, m, "/get-encrypted")
        : call === "postSigned" ? await client.postSigned(BASE, m, "/echo-signed", { a: 1 })
        : call === "post" ? await client.post(BASE, m, "/echo", { a: 1 })
        : await (async () => { const out: string[] = []; for await (const l of client.streamSigned(BASE, m, "/stream", {})) out.push(l); return out; })();
      assert.ok(answer !== undefined, call);
      assert.equal(nonces.length, 2, call);
      assert.notEqual(nonces[0], nonces[1], `${call}: a fresh nonce`);
    }
  });

  it("the retry is bounded: a second 503 is thrown; another 503 is not retried", async () => {
    let calls = 0;
    const fetch = (async () => {
      calls++;
      return Response.json({ detail: NONCE_UNVERIFIABLE_DETAIL }, { status: 503 });
    }) as unknown as typeof globalThis.fetch;
    const client = new FiberClient({ keypair: ids.validator, fetch, nonceRetryDelayMs: 0 });
    await assert.rejects(client.getSigned(BASE, ids.miner.ss58Address, "/get"), (e: HttpStatusError) => e.status === 503);
    assert.equal(calls, 2);
    calls = 0;
    const busy = (async () => {
      calls++;
      return Response.json({ detail: "Service Unavailable: something else" }, { status: 503 });
    }) as unknown as typeof globalThis.fetch;
    await assert.rejects(new FiberClient({ keypair: ids.validator, fetch: busy, nonceRetryDelayMs: 0 }).postSigned(BASE, ids.miner.ss58Address, "/x", {}), (e: HttpStatusError) => e.status === 503);
    assert.equal(calls, 1);
  });

  it("against a real restart: a miner whose store begins after the validator's clock answers after one wait", async () => {
    // The store's floor is set once the server exists, so a slow key generation cannot
    // carry the first nonce past it: the first nonce predates the floor by construction
    // (minted within FLOOR_AHEAD_MS), and the retry waits longer than that.
    const FLOOR_AHEAD_MS = 1_000;
    let store: MemoryNonceStore | undefined;
    const restarted: NonceStore = { has: (n) => store!.has(n), add: (n, ttl) => store!.add(n, ttl) };
    const server = await miner({ nonceStore: restarted });
    const statuses: number[] = [];
    const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const answer = await server.fetch(new Request(input, init));
      statuses.push(answer.status);
      return answer;
    }) as typeof globalThis.fetch;
    const client = new FiberClient({ keypair: ids.validator, fetch, nonceRetryDelayMs: FLOOR_AHEAD_MS + 100 });
    store = new MemoryNonceStore({ floorMs: Date.now() + FLOOR_AHEAD_MS });
    assert.deepEqual(await client.getSigned(BASE, ids.miner.ss58Address, "/get"), ANSWER);
    assert.deepEqual(statuses, [503, 200]);
  });
});
