/**
 * FiberClient against hostile miners on 127.0.0.1: answers of any size are cut off at the
 * limit (the download is aborted), deep JSON and unusable public keys are typed errors.
 */
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { before, describe, it } from "node:test";
import { HandshakeRejectedError, HttpStatusError, ResponseTooLargeError } from "../src/common/errors.js";
import { FiberClient } from "../src/fiber/client.js";
import { DEFAULT_MAX_RESPONSE_BYTES, MAX_HANDSHAKE_RESPONSE_BYTES } from "../src/fiber/client-config.js";
import { FiberServer } from "../src/fiber/server.js";
import { serve } from "../src/fiber/node/serve.js";
import { identities, type Identities } from "./helpers/fiber.js";
import { flood, FLOOD_CAP, hostileServer as hostile } from "./helpers/raw-http.js";

const MIB = 1024 * 1024;
let ids: Identities;

/** Passes a request to a fetch-style handler, buffered (handshake requests are small). */
async function forward(handler: (r: Request) => Promise<Response>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = req.method === "GET" ? undefined : Buffer.concat(chunks);
  const response = await handler(new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers: req.headers as Record<string, string>, body }));
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  res.writeHead(response.status, headers).end(Buffer.from(await response.arrayBuffer()));
}

before(async () => {
  ids = await identities();
});

describe("FiberClient: bounded answers", { timeout: 60_000 }, () => {
  it(`aborts a public key answer streamed without end at ${MAX_HANDSHAKE_RESPONSE_BYTES} bytes`, async () => {
    const sent = { bytes: 0 };
    const { url, server, stop } = await hostile((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).write('{"public_key": "');
      flood(res, sent);
    });
    const closed = new Promise<void>((resolve) => server.once("connection", (socket) => socket.once("close", () => resolve())));
    try {
      const client = new FiberClient({ keypair: ids.validator });
      await assert.rejects(client.handshake(url, ids.miner.ss58Address), (e: unknown) => e instanceof ResponseTooLargeError && e.limit === MAX_HANDSHAKE_RESPONSE_BYTES && /larger than 65536 bytes \(the handshake answer limit\)/.test(e.message));
      await closed;
      assert.ok(sent.bytes < FLOOD_CAP, `the client aborted the download (the miner wrote ${sent.bytes} bytes)`);
    } finally {
      await stop();
    }
  });
  it("refuses a declared content-length over the limit without reading the body", async () => {
    const { url, stop } = await hostile((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(600 * MIB) });
      res.write("{");
    });
    try {
      const client = new FiberClient({ keypair: ids.validator });
      await assert.rejects(client.handshake(url, ids.miner.ss58Address), ResponseTooLargeError);
    } finally {
      await stop();
    }
  });
  it(`aborts a route answer over maxResponseBytes (${DEFAULT_MAX_RESPONSE_BYTES / MIB} MiB by default)`, async () => {
    // A real miner for the handshake; its routes answer without end.
    const miner = await FiberServer.create({ keypair: ids.miner });
    const sent = { bytes: 0 };
    const { url, stop } = await hostile((req, res) => {
      if (req.url === "/public-encryption-key" || req.url === "/exchange-symmetric-key") return void forward(miner.fetch, req, res);
      req.resume();
      res.writeHead(200, { "content-type": "application/json" }).write('{"a": "');
      flood(res, sent);
    });
    try {
      const small = new FiberClient({ keypair: ids.validator, maxResponseBytes: MIB });
      await assert.rejects(small.post(url, ids.miner.ss58Address, "/flood", {}), (e: unknown) => e instanceof ResponseTooLargeError && e.limit === MIB && /POST .*\/flood: the answer is larger than 1048576 bytes \(maxResponseBytes\)/.test(e.message));
      sent.bytes = 0;
      const byDefault = new FiberClient({ keypair: ids.validator });
      await assert.rejects(byDefault.post(url, ids.miner.ss58Address, "/flood", {}), (e: unknown) => e instanceof ResponseTooLargeError && e.limit === DEFAULT_MAX_RESPONSE_BYTES);
      assert.ok(sent.bytes < FLOOD_CAP, `the client aborted the download (the miner wrote ${sent.bytes} bytes)`);
    } finally {
      await stop();
    }
  });
  it("refuses an answer nested deeper than 64 levels (HttpStatusError), accepts 64", async () => {
    const server = await FiberServer.create({ keypair: ids.miner });
    server.route("/deep", { handler: (p) => new Response(`{"a":${"[".repeat((p as { n: number }).n)}${"]".repeat((p as { n: number }).n)}}`, { headers: { "content-type": "application/json" } }) });
    const running = await serve(server.fetch);
    try {
      const client = new FiberClient({ keypair: ids.validator });
      await assert.rejects(client.post(running.url, ids.miner.ss58Address, "/deep", { n: 10_000 }), (e: unknown) => e instanceof HttpStatusError && /nested deeper than 64 levels/.test(e.message));
      const ok = (await client.post(running.url, ids.miner.ss58Address, "/deep", { n: 63 })) as { a: unknown[] };
      assert.ok(Array.isArray(ok.a));
    } finally {
      await running.close();
    }
  });
});

describe("FiberClient: deep error answers", () => {
  it("an error answer whose detail nests 100,000 deep is an HttpStatusError with the raw text, on every call", async () => {
    const server = await FiberServer.create({ keypair: ids.miner, protocol: "both", onWarning: () => {} });
    const deep = `{"detail":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const refuse = () => new Response(deep, { status: 400, headers: { "content-type": "application/json" } });
    server.route("/deep", { handler: refuse });
    server.signedRoute("/deep-signed", { handler: refuse });
    const running = await serve(server.fetch);
    try {
      const client = new FiberClient({ keypair: ids.validator, maxResponseBytes: 1024 * 1024 });
      const isRaw = (e: unknown) => e instanceof HttpStatusError && e.status === 400 && e.detail.startsWith('{"detail":[[[');
      await assert.rejects(client.post(running.url, ids.miner.ss58Address, "/deep", {}), isRaw);
      await assert.rejects(client.postSigned(running.url, ids.miner.ss58Address, "/deep-signed", {}), isRaw);
      await assert.rejects(async () => {
        for await (const line of client.streamSigned(running.url, ids.miner.ss58Address, "/deep-signed", {})) assert.fail(`no line expected, got ${line.slice(0, 20)}`);
      }, isRaw);
    } finally {
      await running.close();
    }
  });
});

describe("FiberClient: unusable public keys", () => {
  it("a malformed public key is a HandshakeRejectedError naming the miner and its URL", async () => {
    const { url, stop } = await hostile((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ public_key: "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n", timestamp: Date.now() / 1000 }));
    });
    try {
      const client = new FiberClient({ keypair: ids.validator });
      await assert.rejects(client.handshake(url, ids.miner.ss58Address), (e: unknown) => e instanceof HandshakeRejectedError && e.message.includes(ids.miner.ss58Address) && e.message.includes(`${url}/public-encryption-key`) && /served a public key we cannot use/.test(e.message));
    } finally {
      await stop();
    }
  });
});
