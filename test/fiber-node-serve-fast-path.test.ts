/**
 * `serve(fiberServer)` answers through `FiberServer#handle` (no WHATWG Request/Response);
 * `serve((r) => fiberServer.fetch(r))` through the fetch path. The same requests, good
 * and hostile, sent byte for byte to both must get the same bytes back (status line,
 * headers in order, body), the `date` header aside. The fast path's server verifies
 * signatures on a worker thread (SignatureVerifyPool), the other on its own.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { randomBytes, toBase64 } from "../src/common/bytes.js";
import { FiberHttpError } from "../src/fiber/http.js";
import { Fernet } from "../src/fiber/fernet.js";
import { generateNonce } from "../src/fiber/nonce.js";
import { FiberServer } from "../src/fiber/server.js";
import { signedRequestHeaders } from "../src/fiber/signed.js";
import type { SignatureVerifier } from "../src/fiber/verify.js";
// The built pool: its worker thread cannot load TypeScript source on Node 20 (see test/fiber-node-verify-pool.test.ts).
import { SignatureVerifyPool } from "poorman-handshake/node";
import { serve, type RunningServer } from "../src/fiber/node/serve.js";
import { encryptRSA } from "../src/rsa/index.js";
import { keys } from "./helpers/rsa.js";
import { identities, signedHeaders, type Identities } from "./helpers/fiber.js";

let ids: Identities;
let fast: RunningServer;
let viaFetch: RunningServer;
let pool: SignatureVerifyPool;
const NOW = Date.now();
const clock = () => NOW;

/** Sends `request` (raw bytes; the connection is closed after one answer) and returns the answer's bytes without the `date` line. */
function exchangeRaw(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", () => undefined); // a reset after the answer (an unread body) is fine
    socket.once("close", () => resolve(Buffer.concat(chunks).toString("latin1").replace(/^date: .*\r\n/im, "")));
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error("no answer in 10 s"));
    });
    socket.write(request);
  });
}

/** A request head (connection: close) and body. */
function http(method: string, target: string, headers: Record<string, string | string[]>, body: string | Buffer = ""): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, "host: 127.0.0.1", "connection: close"];
  for (const [name, value] of Object.entries(headers)) for (const v of [value].flat()) lines.push(`${name}: ${v}`);
  if (body.length > 0 && !("transfer-encoding" in headers)) lines.push(`content-length: ${Buffer.byteLength(body)}`);
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), Buffer.from(body)]);
}

/** Sends `request` to both servers and asserts the same answer (a 4xx or less unless `fault` says a route fails); returns it. */
async function same(name: string, request: Buffer, fault = false): Promise<string> {
  const [a, b] = await Promise.all([exchangeRaw(fast.port, request), exchangeRaw(viaFetch.port, request)]);
  assert.equal(a, b, `${name}: the fast path and the fetch path answered differently`);
  assert.match(a, /^HTTP\/1\.1 \d{3} /, `${name}: no answer`);
  if (process.env.SHOW_ANSWERS) console.log(name, JSON.stringify(a.slice(0, 300)));
  if (!fault) assert.doesNotMatch(a, /^HTTP\/1\.1 5\d\d /, `${name}: a 5xx`);
  return a;
}

const status = (answer: string) => Number(answer.slice(9, 12));

async function minerServer(verifySignature?: SignatureVerifier): Promise<FiberServer> {
  const server = await FiberServer.create({ keypair: ids.miner, rsaPrivateKey: keys.alice.private_pem_pkcs1, clock, maxBodyBytes: 1024, bodyTimeoutMs: 2000, signPublicKey: false, protocol: "both", onWarning: () => {}, verifySignature });
  server.route("/echo", { handler: (payload) => payload });
  server.route("/context", { handler: (_payload, { validatorHotkey, request }) => ({ validatorHotkey, url: request.url, method: request.method, agent: request.headers.get("x-agent") }) });
  server.route("/refuse", {
    handler: () => {
      throw new FiberHttpError(418, "teapot");
    },
  });
  server.route("/stream", { handler: () => new Response("streamed text", { headers: { "content-type": "text/plain", "x-extra": "1" } }) });
  server.route("/unserialisable", { handler: () => ({ n: 1n }) });
  server.signedRoute("/echo-signed", { handler: (payload) => payload });
  return server;
}

before(async () => {
  ids = await identities();
  // The fast path's server also verifies signatures on a worker thread: the same answers too.
  pool = await SignatureVerifyPool.create();
  const a = await minerServer(pool.verify);
  const b = await minerServer();
  fast = await serve(a);
  viaFetch = await serve((request) => b.fetch(request));
});
after(async () => {
  await Promise.all([fast.close(), viaFetch.close(), pool.close()]);
});

describe("serve: the fast path answers as the fetch path", () => {
  it("routing: public key, 404, 405, odd methods and request targets", async () => {
    assert.equal(status(await same("public key", http("GET", "/public-encryption-key", {}))), 200);
    assert.equal(status(await same("404", http("GET", "/nowhere", {}))), 404);
    assert.equal(status(await same("404 POST", http("POST", "/nowhere", { "content-type": "application/json" }, "{}"))), 404);
    assert.equal(status(await same("405", http("GET", "/echo", {}))), 405);
    await same("HEAD", http("HEAD", "/public-encryption-key", {}));
    await same("OPTIONS", http("OPTIONS", "/echo", {}));
    assert.equal(status(await same("TRACE (Request refuses it)", http("TRACE", "/echo", {}))), 400);
    await same("PROPFIND", http("PROPFIND", "/echo", {}));
    for (const target of ["//public-encryption-key", "/x/../public-encryption-key", "/%70ublic-encryption-key", "/public-encryption-key?x=1", "/public-encryption-key#x", "/./public-encryption-key", "*"]) {
      await same(`target ${target}`, http("GET", target, {}));
    }
    await same("absolute form", http("GET", "http://elsewhere.example/public-encryption-key", {}));
    assert.equal(status(await same("absolute form with credentials", http("GET", "http://user:pw@elsewhere.example/public-encryption-key", {}))), 400);
  });

  it("the key exchange and encrypted routes, good and hostile", async () => {
    const key = randomBytes(32);
    const exchangeHeaders = await signedHeaders(ids.validator, ids.miner.ss58Address, { nowMs: NOW });
    const encrypted = JSON.stringify({ encrypted_symmetric_key: toBase64(await encryptRSA(keys.alice.public_pem_spki, key, { hash: "SHA-256" })) });
    const json = { "content-type": "application/json" };
    assert.equal(status(await same("no headers", http("POST", "/exchange-symmetric-key", json, encrypted))), 422);
    assert.equal(status(await same("exchange", http("POST", "/exchange-symmetric-key", { ...exchangeHeaders, ...json }, encrypted))), 200);
    assert.equal(status(await same("replayed exchange", http("POST", "/exchange-symmetric-key", { ...exchangeHeaders, ...json }, encrypted))), 401);
    const fresh = () => signedHeaders(ids.validator, ids.miner.ss58Address, { nowMs: NOW });
    await same("bad base64", http("POST", "/exchange-symmetric-key", { ...(await fresh()), ...json }, JSON.stringify({ encrypted_symmetric_key: "***" })));
    await same("not JSON", http("POST", "/exchange-symmetric-key", { ...(await fresh()), ...json }, "{nope"));
    await same("too deep", http("POST", "/exchange-symmetric-key", { ...(await fresh()), ...json }, "[".repeat(70) + "]".repeat(70)));
    await same("wrong content type", http("POST", "/exchange-symmetric-key", { ...(await fresh()), "content-type": "text/plain" }, encrypted));
    await same("two content types", http("POST", "/exchange-symmetric-key", { ...(await fresh()), "content-type": ["application/json", "text/plain"] }, encrypted));
    assert.equal(status(await same("declared too large", http("POST", "/exchange-symmetric-key", { ...(await fresh()), ...json }, "x".repeat(2000)))), 413);
    const chunked = Buffer.from(`400\r\n${"x".repeat(0x400)}\r\n400\r\n${"x".repeat(0x400)}\r\n0\r\n\r\n`);
    assert.equal(status(await same("chunked too large", http("POST", "/exchange-symmetric-key", { ...(await fresh()), ...json, "transfer-encoding": "chunked" }, chunked))), 413);

    const uuid = exchangeHeaders["symmetric-key-uuid"]!;
    const fernet = await Fernet.create(key);
    const octets = { "content-type": "application/octet-stream" };
    const encryptedRequest = async (path: string, options: { miner?: string; headers?: Record<string, string | string[]>; body?: string } = {}) => {
      const nonce = generateNonce(NOW);
      const headers = await signedHeaders(ids.validator, ids.miner.ss58Address, { nowMs: NOW, uuid, nonce, ...(options.miner === undefined ? {} : { minerHotkey: options.miner }) });
      const body = options.body ?? (await fernet.encrypt(JSON.stringify({ hello: "miner", nonce })));
      return http("POST", path, { ...headers, ...octets, ...options.headers }, body);
    };
    const echo = await encryptedRequest("/echo");
    assert.equal(status(await same("echo", echo)), 200);
    assert.equal(status(await same("replayed echo", echo)), 401);
    assert.equal(status(await same("context", await encryptedRequest("/context", { headers: { "x-agent": ["a", " b\t"] } }))), 200);
    assert.equal(status(await same("route refuses", await encryptedRequest("/refuse"))), 418);
    assert.equal(status(await same("route returns a Response", await encryptedRequest("/stream"))), 200);
    assert.equal(status(await same("a route's answer that is not JSON-serialisable (a fault of the route)", await encryptedRequest("/unserialisable"), true)), 500);
    assert.equal(status(await same("wrong miner", await encryptedRequest("/echo", { miner: ids.other.ss58Address }))), 401);
    assert.equal(status(await same("bad token", await encryptedRequest("/echo", { body: "not a token" }))), 400);
    await same("duplicate nonce headers", await encryptedRequest("/echo", { headers: { nonce: [generateNonce(NOW), generateNonce(NOW)] } }));
    await same("unknown key uuid", http("POST", "/echo", { ...(await signedHeaders(ids.validator, ids.miner.ss58Address, { nowMs: NOW })), ...octets }, "x"));
    await same("bad uuid", http("POST", "/echo", { ...(await signedHeaders(ids.validator, ids.miner.ss58Address, { nowMs: NOW, uuid: "no spaces" })), ...octets }, "x"));
    await same("bad signature", http("POST", "/echo", { ...(await signedHeaders(ids.validator, ids.miner.ss58Address, { nowMs: NOW, uuid, signMessage: "other" })), ...octets }, "x"));
    await same("stale nonce", http("POST", "/echo", { ...(await signedHeaders(ids.validator, ids.miner.ss58Address, { nowMs: NOW - 3_600_000, uuid })), ...octets }, "x"));
    await same("obs-text in a Fiber header", http("POST", "/echo", { ...(await signedHeaders(ids.validator, ids.miner.ss58Address, { nowMs: NOW, uuid })), nonce: "1_x\xe9", ...octets }, "x"));
    const padded = generateNonce(NOW);
    const paddedHeaders = await signedHeaders(ids.validator, ids.miner.ss58Address, { nowMs: NOW, uuid, nonce: padded });
    const paddedBody = await fernet.encrypt(JSON.stringify({ padded: true, nonce: padded }));
    assert.equal(status(await same("whitespace around a header value (trimmed, as Headers does)", http("POST", "/echo", { ...paddedHeaders, nonce: ` \t${padded}\t `, ...octets }, paddedBody))), 200);
    const slow = http("POST", "/echo", { ...(await signedHeaders(ids.validator, ids.miner.ss58Address, { nowMs: NOW, uuid })), ...octets, "content-length": "100" });
    assert.equal(status(await same("a body that stops coming", Buffer.concat([slow, Buffer.from("0123456789")]))), 408);
  });

  it("signed routes", async () => {
    const body = JSON.stringify({ hello: "signed" });
    const headers = await signedRequestHeaders(ids.validator, ids.miner.ss58Address, body, { nowMs: NOW });
    assert.equal(status(await same("signed", http("POST", "/echo-signed", { ...headers, "content-type": "application/json" }, body))), 200);
    await same("signed, replayed", http("POST", "/echo-signed", { ...headers, "content-type": "application/json" }, body));
    await same("signed, other body", http("POST", "/echo-signed", { ...headers, "content-type": "application/json" }, JSON.stringify({ other: 1 })));
    await same("signed, not UTF-8", http("POST", "/echo-signed", { ...headers, "content-type": "application/json" }, Buffer.from([0x7b, 0xff, 0x7d])));
    await same("signed, no headers", http("POST", "/echo-signed", { "content-type": "text/plain" }, "text"));
    await same("signed, empty", http("POST", "/echo-signed", {}, ""));
    await same("signed, GET", http("GET", "/echo-signed", {}));
  });

  it("`serve(server)` and `serve(server.fetch)` take the fast path; a plain handler does not", async () => {
    // Observable only here: a route's context.request has no body on the fast path (it is
    // built from the head when asked), and the consumed original body on the fetch path.
    const server = await minerServer();
    server.signedRoute("/body-used", { handler: (_payload, { request }) => ({ bodyUsed: request.bodyUsed }) });
    const byServer = await serve(server);
    const byFetch = await serve(server.fetch);
    const plain = await serve((request) => server.fetch(request));
    try {
      const answers: string[] = [];
      for (const running of [byServer, byFetch, plain]) {
        const body = JSON.stringify({ n: answers.length });
        const headers = await signedRequestHeaders(ids.validator, ids.miner.ss58Address, body, { nowMs: NOW });
        const answer = await exchangeRaw(running.port, http("POST", "/body-used", { ...headers, "content-type": "application/json" }, body));
        answers.push(answer.slice(answer.indexOf("\r\n\r\n") + 4));
      }
      assert.deepEqual(answers, ['{"bodyUsed":false}', '{"bodyUsed":false}', '{"bodyUsed":true}']);
    } finally {
      await Promise.all([byServer.close(), byFetch.close(), plain.close()]);
    }
  });
});
