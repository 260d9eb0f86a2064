/** End to end on 127.0.0.1: a real HTTP server (Node adapter) and real fetch, every error row of the spec. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { randomBytes, toBase64 } from "../src/common/bytes.js";
import { HttpStatusError, InvalidArgumentError, NetworkError, RequestTimeoutError } from "../src/common/errors.js";
import { minStake } from "../src/fiber/authorize.js";
import { FiberClient } from "../src/fiber/client.js";
import { DETAIL, NONCE_WINDOW_MS } from "../src/fiber/constants.js";
import { Fernet } from "../src/fiber/fernet.js";
import { MemoryNonceStore, generateNonce } from "../src/fiber/nonce.js";
import { verifyPublicKeyResponse } from "../src/fiber/pubkey.js";
import { FiberServer } from "../src/fiber/server.js";
import { DEFAULT_ENCRYPTED_BODY_TTL_S } from "../src/fiber/server-config.js";
import { BAD_BASE64_DETAIL, BAD_TOKEN_DETAIL, NONCE_UNVERIFIABLE_DETAIL } from "../src/fiber/constants.js";
import { WRONG_MINER_DETAIL } from "../src/fiber/constants.js";
import { serve, type RunningServer } from "../src/fiber/node/serve.js";
import { HandShake } from "../src/index.js";
import { encryptRSA } from "../src/rsa/index.js";
import { keys } from "./helpers/rsa.js";
import { identities, post, signedHeaders, type Identities } from "./helpers/fiber.js";

let ids: Identities;
let server: FiberServer;
let running: RunningServer;
let skewMs = 0;
const clock = () => Date.now() + skewMs;
const url = (path: string) => running.url + path;

/** Exchanges a key by hand and returns (uuid, Fernet) for raw encrypted requests. */
async function exchange(signer = ids.validator, target = server, baseUrl = running.url): Promise<{ uuid: string; fernet: Fernet }> {
  const key = randomBytes(32);
  const headers = await signedHeaders(signer, ids.miner.ss58Address, { nowMs: clock() });
  const body = JSON.stringify({ encrypted_symmetric_key: toBase64(await encryptRSA(target.publicKeyPem, key, { hash: "SHA-256" })) });
  const r = await post(`${baseUrl}/exchange-symmetric-key`, { ...headers, "content-type": "application/json" }, body);
  assert.deepEqual(r, { status: 200, json: { status: DETAIL.exchangeOk } });
  return { uuid: headers["symmetric-key-uuid"]!, fernet: await Fernet.create(key) };
}

async function exchangeWith(body: unknown, headers?: Record<string, string>, contentType = "application/json") {
  const h = headers ?? (await signedHeaders(ids.validator, ids.miner.ss58Address));
  return post(url("/exchange-symmetric-key"), { ...h, "content-type": contentType }, typeof body === "string" ? body : JSON.stringify(body));
}

async function encryptedKey(key: Uint8Array = randomBytes(32)) {
  return { encrypted_symmetric_key: toBase64(await encryptRSA(server.publicKeyPem, key, { hash: "SHA-256" })) };
}

before(async () => {
  ids = await identities();
  const metagraph = { [ids.validator.ss58Address]: 5000, [ids.other.ss58Address]: 999 };
  // No earlier run of this miner: nonces of validators whose clocks are behind pass (see the restart test).
  const nonceStore = new MemoryNonceStore({ clock, floorMs: clock() - NONCE_WINDOW_MS });
  server = await FiberServer.create({ keypair: ids.miner, authorize: minStake(metagraph), clock, maxBodyBytes: 64 * 1024, nonceStore });
  server.route("/echo", { handler: (payload) => payload });
  server.route("/typed", {
    parse: (v) => {
      if (typeof (v as { n?: unknown })?.n !== "number") throw new Error("n must be a number");
      return v as { n: number };
    },
    handler: ({ n }, { validatorHotkey }) => ({ double: n * 2, validatorHotkey }),
  });
  running = await serve(server.fetch, { host: "127.0.0.1", port: 0 });
});
after(() => running.close());

describe("Fiber server: happy path", () => {
  it("serves its public key, signed by its hotkey", async () => {
    const body = await (await fetch(url("/public-encryption-key"))).json();
    assert.equal(body.public_key, server.publicKeyPem);
    assert.match(body.public_key, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(typeof body.timestamp, "number");
    assert.equal(await verifyPublicKeyResponse(body, ids.miner.ss58Address, Date.now()), true);
    assert.equal(await verifyPublicKeyResponse(body, ids.other.ss58Address, Date.now()), false);
    assert.equal(await verifyPublicKeyResponse({ ...body, public_key: body.public_key.replace("A", "B") }, ids.miner.ss58Address, Date.now()), false);
  });
  it("serves the PEM byte-identical to Python Fiber (cryptography's PEM ends with one newline; the poorman PEM does not)", async () => {
    const own = await FiberServer.create({ keypair: ids.miner, rsaPrivateKey: keys.alice.private_pem_pkcs1 });
    const body = (await (await own.fetch(new Request("http://127.0.0.1/public-encryption-key"))).json()) as { public_key: string };
    // Checked against cryptography 48: public_bytes(PEM, SubjectPublicKeyInfo).decode() of this key.
    assert.equal(body.public_key, `${keys.alice.public_pem_spki}\n`);
    assert.equal(own.publicKeyPem, body.public_key);
    assert.equal((await HandShake.create({ privateKey: keys.alice.private_pem_pkcs1 })).pubkey, keys.alice.public_pem_spki, "poorman's PEM is unchanged");
  });

  it("FiberClient accepts a public key PEM with or without the trailing newline", async () => {
    for (const strip of [false, true]) {
      // A Python-like miner without our signature extension, serving either PEM form.
      const unsigned: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        if (!String(input).endsWith("/public-encryption-key")) return response;
        const { public_key, timestamp } = (await response.json()) as { public_key: string; timestamp: number };
        assert.ok(public_key.endsWith("-----\n"));
        return Response.json({ public_key: strip ? public_key.trimEnd() : public_key, timestamp });
      };
      const client = new FiberClient({ keypair: ids.validator, clock, fetch: unsigned });
      const answer = (await client.post(running.url, ids.miner.ss58Address, "/echo", { strip })) as Record<string, unknown>;
      assert.equal(answer.strip, strip);
    }
  });

  it("FiberClient handshakes once and makes many encrypted round trips", async () => {
    const client = new FiberClient({ keypair: ids.validator, requireSignedKey: true });
    const session = await client.handshake(running.url, ids.miner.ss58Address);
    assert.match(session.uuid, /^[0-9a-f]{64}$/);
    for (let i = 0; i < 30; i++) {
      const answer = (await client.post(running.url, ids.miner.ss58Address, "/echo", { i, text: "héllo" })) as Record<string, unknown>;
      assert.equal(answer.i, i);
      assert.equal(answer.text, "héllo");
      assert.equal(answer.nonce, undefined, "the server removes the nonce the client added");
    }
    assert.deepEqual(await client.handshake(running.url, ids.miner.ss58Address), session, "the key is cached");
    assert.deepEqual(await client.post(running.url, ids.miner.ss58Address, "/typed", { n: 21 }), { double: 42, validatorHotkey: ids.validator.ss58Address });
  });
  it("a raw exchange + Fernet body works as Python's client sends it", async () => {
    const { uuid, fernet } = await exchange();
    const headers = await signedHeaders(ids.validator, ids.miner.ss58Address, { uuid });
    const r = await post(url("/echo"), { ...headers, "content-type": "application/octet-stream" }, await fernet.encrypt(JSON.stringify({ a: [1, 2] })));
    assert.deepEqual(r, { status: 200, json: { a: [1, 2] } });
  });
  it("accepts a signature over the <Bytes>-wrapped message, as Python", async () => {
    const nonce = generateNonce();
    const uuid = "ab".repeat(32);
    const message = `<Bytes>${nonce}:${ids.miner.ss58Address}:${uuid}</Bytes>`;
    const headers = await signedHeaders(ids.validator, ids.miner.ss58Address, { nonce, uuid, signMessage: message });
    assert.equal((await exchangeWith(await encryptedKey(), headers)).status, 200);
  });
  it("refuses an expired key at once (5 h) and the client re-handshakes once by itself", async () => {
    const client = new FiberClient({ keypair: ids.validator, clock });
    const first = await client.handshake(running.url, ids.miner.ss58Address);
    const raw = await exchange();
    skewMs += 5 * 3600_000;
    try {
      const headers = await signedHeaders(ids.validator, ids.miner.ss58Address, { uuid: raw.uuid, nowMs: clock() });
      const r = await post(url("/echo"), headers, await raw.fernet.encrypt("{}"));
      assert.deepEqual(r, { status: 400, json: { detail: DETAIL.noSymmetricKey } });
      const answer = (await client.post(running.url, ids.miner.ss58Address, "/echo", { x: 1 })) as Record<string, unknown>;
      assert.equal(answer.x, 1);
      const second = await client.handshake(running.url, ids.miner.ss58Address);
      assert.notEqual(second.uuid, first.uuid, "a new key was exchanged after the 400");
    } finally {
      skewMs = 0;
    }
  });
});

describe("Fiber server: every error row", () => {
  const miner = () => ids.miner.ss58Address;
  it("422 for each missing header, listing it as FastAPI does", async () => {
    for (const name of ["validator-hotkey", "miner-hotkey", "symmetric-key-uuid", "nonce", "signature"]) {
      const headers = await signedHeaders(ids.validator, miner());
      delete headers[name];
      for (const path of ["/exchange-symmetric-key", "/echo"]) {
        const r = await post(url(path), { ...headers, "content-type": "application/json" }, JSON.stringify(await encryptedKey()));
        assert.equal(r.status, 422, `${path} without ${name}`);
        assert.deepEqual(r.json.detail, [{ type: "missing", loc: ["header", name], msg: "Field required", input: null }]);
      }
    }
  });
  it("422 for a missing, non-JSON or wrongly typed exchange body", async () => {
    const cases: [unknown, string, unknown[]][] = [
      ["", "application/json", ["body"]],
      [JSON.stringify(await encryptedKey()), "text/plain", ["body"]],
      ["{not json", "application/json", ["body"]],
      [{}, "application/json", ["body", "encrypted_symmetric_key"]],
      [{ encrypted_symmetric_key: 5 }, "application/json", ["body", "encrypted_symmetric_key"]],
      [[1], "application/json", ["body"]],
    ];
    for (const [body, type, loc] of cases) {
      const r = await exchangeWith(body, undefined, type);
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.deepEqual(r.json.detail[0].loc, loc);
    }
  });
  it("403 for a hotkey not in the metagraph, and for insufficient stake (Python's texts)", async () => {
    const stranger = await signedHeaders(await (await import("../src/fiber/keypair.js")).Keypair.generate(), miner());
    assert.deepEqual(await exchangeWith(await encryptedKey(), stranger), { status: 403, json: { detail: "Hotkey not found in metagraph" } });
    const low = await signedHeaders(ids.other, miner());
    assert.deepEqual(await exchangeWith(await encryptedKey(), low), { status: 403, json: { detail: "Insufficient stake of 999.0 " } });
    assert.equal((await post(url("/echo"), low, "x")).status, 403);
  });
  it("401 for a request signed for another miner (relay), on both endpoints", async () => {
    const relayed = await signedHeaders(ids.validator, ids.other.ss58Address);
    assert.deepEqual(await exchangeWith(await encryptedKey(), relayed), { status: 401, json: { detail: WRONG_MINER_DETAIL } });
    assert.deepEqual(await post(url("/echo"), relayed, "x"), { status: 401, json: { detail: WRONG_MINER_DETAIL } });
  });
  it("401 for replayed, past, future and unparsable nonces", async () => {
    const headers = await signedHeaders(ids.validator, miner());
    assert.equal((await exchangeWith(await encryptedKey(), headers)).status, 200);
    const nonceError = { status: 401, json: { detail: DETAIL.invalidNonce } };
    assert.deepEqual(await exchangeWith(await encryptedKey(), headers), nonceError, "replay");
    // 10 s beyond the 120 s window each way: a margin for a slow machine between minting and checking.
    for (const nowMs of [clock() - 130_000, clock() + 130_000]) {
      assert.deepEqual(await exchangeWith(await encryptedKey(), await signedHeaders(ids.validator, miner(), { nowMs })), nonceError);
    }
    for (const nonce of ["abc_123", "", "12.5_x", "1".repeat(30)]) {
      assert.deepEqual(await exchangeWith(await encryptedKey(), await signedHeaders(ids.validator, miner(), { nonce })), nonceError, nonce);
    }
    const { uuid, fernet } = await exchange();
    const routeHeaders = await signedHeaders(ids.validator, miner(), { uuid });
    const token = await fernet.encrypt("{}");
    assert.equal((await post(url("/echo"), routeHeaders, token)).status, 200);
    assert.deepEqual(await post(url("/echo"), routeHeaders, token), nonceError, "replayed encrypted request");
  });
  it("a nonce near the window's edges is accepted once, and remembered", async () => {
    for (const nowMs of [clock() - 110_000, clock() + 110_000]) {
      const headers = await signedHeaders(ids.validator, miner(), { nowMs });
      assert.equal((await exchangeWith(await encryptedKey(), headers)).status, 200);
      assert.equal((await exchangeWith(await encryptedKey(), headers)).status, 401);
    }
  });
  it("a restarted miner (same RSA key) answers 503, not 200, to a key exchange captured before it started; a fresh one passes", async () => {
    const rsaPrivateKey = (await import("../src/rsa/node/keyfile.js").then((m) => m.createRSAKey())).privateKey;
    const first = await FiberServer.create({ keypair: ids.miner, rsaPrivateKey });
    const body = JSON.stringify({ encrypted_symmetric_key: toBase64(await encryptRSA(first.publicKeyPem, randomBytes(32), { hash: "SHA-256" })) });
    const captured = { ...(await signedHeaders(ids.validator, miner())), "content-type": "application/json" };
    const send = (s: FiberServer, headers: Record<string, string>) => s.fetch(new Request("http://127.0.0.1/exchange-symmetric-key", { method: "POST", headers, body }));
    assert.equal((await send(first, captured)).status, 200);
    assert.equal((await send(first, captured)).status, 401, "a replay to the same process");
    await new Promise((resolve) => setTimeout(resolve, 2)); // the restart happens after the capture
    const restarted = await FiberServer.create({ keypair: ids.miner, rsaPrivateKey });
    const replay = await send(restarted, captured);
    assert.equal(replay.status, 503, "the replay after a restart is refused");
    assert.deepEqual(await replay.json(), { detail: NONCE_UNVERIFIABLE_DETAIL });
    assert.equal(replay.headers.get("retry-after"), "1");
    const fresh = { ...(await signedHeaders(ids.validator, miner())), "content-type": "application/json" };
    assert.equal((await send(restarted, fresh)).status, 200, "a validator that retries with a fresh nonce passes");
  });
  it("401 for bad signatures, including one without 0x (a 500 in Python)", async () => {
    const sigError = { status: 401, json: { detail: DETAIL.invalidSignature } };
    const good = await signedHeaders(ids.validator, miner());
    const cases = [
      await signedHeaders(ids.validator, miner(), { signMessage: "something else" }),
      { ...good, signature: good.signature!.slice(2) },
      { ...good, signature: "0x" + "zz".repeat(64) },
      { ...good, signature: "0x1234" },
      { ...(await signedHeaders(ids.other, miner())), "validator-hotkey": ids.validator.ss58Address },
    ];
    for (const headers of cases) assert.deepEqual(await exchangeWith(await encryptedKey(), headers), sigError);
  });
  it("a bad signature does not burn the nonce (it is stored only after the signature verifies)", async () => {
    const good = await signedHeaders(ids.validator, miner());
    assert.equal((await exchangeWith(await encryptedKey(), { ...good, signature: "0x" + "00".repeat(64) })).status, 401);
    assert.equal((await exchangeWith(await encryptedKey(), good)).status, 200);
  });
  it("401 when the RSA decryption fails or the key is not 32 bytes; 400 for bad base64", async () => {
    const keyError = { status: 401, json: { detail: DETAIL.cannotDecryptKey } };
    assert.deepEqual(await exchangeWith({ encrypted_symmetric_key: toBase64(randomBytes(256)) }), keyError);
    assert.deepEqual(await exchangeWith(await encryptedKey(randomBytes(16))), keyError);
    const sha1 = toBase64(await encryptRSA(server.publicKeyPem, randomBytes(32)));
    assert.deepEqual(await exchangeWith({ encrypted_symmetric_key: sha1 }), keyError, "OAEP-SHA1 is not Fiber's padding");
    assert.deepEqual(await exchangeWith({ encrypted_symmetric_key: "not base64!" }), { status: 400, json: { detail: BAD_BASE64_DETAIL } });
  });
  it("400 when no key is stored for (hotkey, uuid)", async () => {
    const headers = await signedHeaders(ids.validator, miner());
    assert.deepEqual(await post(url("/echo"), headers, "x"), { status: 400, json: { detail: DETAIL.noSymmetricKey } });
  });
  it("400 for a bad Fernet token, 422 for a payload that is not JSON or fails the schema", async () => {
    const { uuid, fernet } = await exchange();
    const send = async (path: string, body: string) => post(url(path), await signedHeaders(ids.validator, miner(), { uuid }), body);
    assert.deepEqual(await send("/echo", "garbage"), { status: 400, json: { detail: BAD_TOKEN_DETAIL } });
    assert.deepEqual(await send("/echo", ""), { status: 400, json: { detail: BAD_TOKEN_DETAIL } });
    const other = await Fernet.create(Fernet.generateKey());
    assert.deepEqual(await send("/echo", await other.encrypt("{}")), { status: 400, json: { detail: BAD_TOKEN_DETAIL } });
    const future = await fernet.encrypt("{}", { time: Math.floor(Date.now() / 1000) + 3600 });
    assert.deepEqual(await send("/echo", future), { status: 400, json: { detail: BAD_TOKEN_DETAIL } }, "far-future token");
    const notJson = await send("/echo", await fernet.encrypt("{nope"));
    assert.equal(notJson.status, 422);
    assert.equal(notJson.json.detail[0].type, "json_invalid");
    const badSchema = await send("/typed", await fernet.encrypt(JSON.stringify({ n: "x" })));
    assert.equal(badSchema.status, 422);
    assert.equal(badSchema.json.detail[0].msg, "n must be a number");
  });
  it("400 for an old encrypted body under fresh headers (Fernet TTL: nonce window + margin), while a validator at the window's edge passes", async () => {
    const { uuid, fernet } = await exchange();
    const send = async (body: string, nowMs = clock()) => post(url("/echo"), await signedHeaders(ids.validator, miner(), { uuid, nowMs }), body);
    const nowS = Math.floor(clock() / 1000);
    const old = await fernet.encrypt('{"old":1}', { time: nowS - 600 });
    assert.deepEqual(await send(old), { status: 400, json: { detail: BAD_TOKEN_DETAIL } }, "a body recorded 10 min ago");
    const justOutside = await fernet.encrypt('{"old":1}', { time: nowS - DEFAULT_ENCRYPTED_BODY_TTL_S - 2 });
    assert.deepEqual(await send(justOutside), { status: 400, json: { detail: BAD_TOKEN_DETAIL } }, "just beyond the TTL");
    // A validator whose clock is 115 s behind (5 s inside the window, a margin for a slow
    // machine) makes its nonce and its token at the same moment.
    const behindMs = clock() - 115_000;
    const edge = await fernet.encrypt('{"edge":1}', { time: Math.floor(behindMs / 1000) });
    assert.deepEqual(await send(edge, behindMs), { status: 200, json: { edge: 1 } });
  });

  it("413 for a body over the limit, with or without content-length", async () => {
    const headers = await signedHeaders(ids.validator, miner());
    const big = "x".repeat(70 * 1024);
    assert.equal((await post(url("/echo"), headers, big)).status, 413);
    const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(big)); c.close(); } });
    const r = await fetch(url("/echo"), { method: "POST", headers, body: stream, duplex: "half" } as RequestInit);
    assert.equal(r.status, 413);
  });
  it("404 for unknown paths and 405 for wrong methods", async () => {
    assert.equal((await fetch(url("/nope"))).status, 404);
    assert.equal((await fetch(url("/public-encryption-key"), { method: "POST" })).status, 405);
    assert.equal((await fetch(url("/exchange-symmetric-key"))).status, 405);
    assert.equal((await fetch(url("/echo"))).status, 405);
  });
  it("the client raises typed errors with the status and detail", async () => {
    const stranger = new FiberClient({ keypair: ids.other });
    await assert.rejects(stranger.post(running.url, miner(), "/echo", {}), (e: unknown) => e instanceof HttpStatusError && e.status === 403 && e.detail === "Insufficient stake of 999.0 ");
    const wrongMiner = new FiberClient({ keypair: ids.validator });
    await assert.rejects(wrongMiner.handshake(running.url, ids.other.ss58Address), (e: unknown) => e instanceof Error && /not signed by miner/.test(e.message));
  });
});

describe("Fiber server and client: options and failures", () => {
  it("a given RSA private key (PEM) is served and used", async () => {
    const { createRSAKey } = await import("../src/rsa/node/keyfile.js");
    const pem = await createRSAKey();
    const own = await FiberServer.create({ keypair: ids.miner, rsaPrivateKey: pem.privateKey });
    assert.equal(own.publicKeyPem, `${pem.publicKey}\n`, "served as Python Fiber does, with one trailing newline");
    own.route("/echo", { handler: (p) => p });
    const ownRunning = await serve(own.fetch);
    try {
      const client = new FiberClient({ keypair: ids.validator });
      assert.equal(((await client.post(ownRunning.url, ids.miner.ss58Address, "/echo", { k: 1 })) as { k: number }).k, 1);
    } finally {
      await ownRunning.close();
    }
  });
  it("encryptedBodyTtlSeconds widens or narrows the encrypted body's TTL; a bad value is an InvalidArgumentError", async () => {
    await assert.rejects(FiberServer.create({ keypair: ids.miner, encryptedBodyTtlSeconds: 0 }), /options\.encryptedBodyTtlSeconds/);
    await assert.rejects(FiberServer.create({ keypair: ids.miner, encryptedBodyTtlSeconds: "1" as unknown as number }), InvalidArgumentError);
    const lenient = await FiberServer.create({ keypair: ids.miner, clock, encryptedBodyTtlSeconds: 900 });
    lenient.route("/echo", { handler: (p) => p });
    const lenientRunning = await serve(lenient.fetch, { host: "127.0.0.1", port: 0 });
    try {
      const { uuid, fernet } = await exchange(ids.validator, lenient, lenientRunning.url);
      const old = await fernet.encrypt('{"old":1}', { time: Math.floor(clock() / 1000) - 600 });
      const r = await post(`${lenientRunning.url}/echo`, await signedHeaders(ids.validator, ids.miner.ss58Address, { uuid, nowMs: clock() }), old);
      assert.deepEqual(r, { status: 200, json: { old: 1 } });
    } finally {
      await lenientRunning.close();
    }
  });

  it("the client times out (RequestTimeoutError) and reports refused connections (NetworkError)", async () => {
    const { createServer } = await import("node:http");
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const client = new FiberClient({ keypair: ids.validator, handshakeTimeoutMs: 200 });
      await assert.rejects(client.handshake(`http://127.0.0.1:${port}`, ids.miner.ss58Address), (e: unknown) => e instanceof RequestTimeoutError && /200 ms/.test(e.message));
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
    const client = new FiberClient({ keypair: ids.validator });
    await assert.rejects(client.handshake(`http://127.0.0.1:${port}`, ids.miner.ss58Address), NetworkError);
  });
  it("the client refuses a miner hotkey that is not an ss58 address", async () => {
    const client = new FiberClient({ keypair: ids.validator });
    await assert.rejects(client.handshake(running.url, "nope"), InvalidArgumentError);
  });
});
