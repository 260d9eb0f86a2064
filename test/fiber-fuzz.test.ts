/** Fuzzing and load on a real HTTP server on 127.0.0.1: never a 5xx, no lost keys. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { randomBytes, toBase64 } from "../src/common/bytes.js";
import { FiberClient } from "../src/fiber/client.js";
import { Fernet } from "../src/fiber/fernet.js";
import { FiberServer } from "../src/fiber/server.js";
import { serve, type RunningServer } from "../src/fiber/node/serve.js";
import { encryptRSA } from "../src/rsa/index.js";
import { identities, post, signedHeaders, type Identities } from "./helpers/fiber.js";

let ids: Identities;
let server: FiberServer;
let running: RunningServer;
let session: { uuid: string; fernet: Fernet };

const printable = fc.string({ unit: fc.constantFrom(..."abcXYZ019_-:./+= <>\"'{}[]x0\\".split("")), maxLength: 80 });
const HEADER_NAMES = ["validator-hotkey", "miner-hotkey", "symmetric-key-uuid", "nonce", "signature", "content-type", "content-length"] as const;

/** Real headers with some replaced by junk or removed. */
const fuzzHeaders = (base: () => Promise<Record<string, string>>) =>
  fc.record({ drop: fc.subarray([...HEADER_NAMES]), replace: fc.dictionary(fc.constantFrom(...HEADER_NAMES), printable, { maxKeys: 3 }) }).map(({ drop, replace }) => async () => {
    const headers: Record<string, string> = { ...(await base()), "content-type": "application/json" };
    for (const name of drop) delete headers[name];
    for (const [name, value] of Object.entries(replace)) if (name !== "content-length") headers[name] = value;
    return headers;
  });

const fuzzBody = fc.oneof(
  printable,
  fc.uint8Array({ maxLength: 300 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.record({ encrypted_symmetric_key: fc.oneof(printable, fc.base64String(), fc.constant(toBase64(randomBytes(256)))) }).map((v) => JSON.stringify(v)),
);

before(async () => {
  ids = await identities();
  server = await FiberServer.create({ keypair: ids.miner, maxBodyBytes: 4096 });
  server.route("/echo", { handler: (payload) => payload });
  running = await serve(server.fetch, { host: "127.0.0.1", port: 0 });
  const key = randomBytes(32);
  const headers = await signedHeaders(ids.validator, ids.miner.ss58Address);
  const body = JSON.stringify({ encrypted_symmetric_key: toBase64(await encryptRSA(server.publicKeyPem, key, { hash: "SHA-256" })) });
  assert.equal((await post(`${running.url}/exchange-symmetric-key`, { ...headers, "content-type": "application/json" }, body)).status, 200);
  session = { uuid: headers["symmetric-key-uuid"]!, fernet: await Fernet.create(key) };
});
after(() => running.close());

describe("fuzzing (fast-check): never a 5xx, the server keeps answering", () => {
  const stillAnswers = async () => assert.equal((await fetch(`${running.url}/public-encryption-key`)).status, 200);
  for (const path of ["/exchange-symmetric-key", "/echo"]) {
    it(`${path}: random headers and bodies`, async () => {
      const base = () => signedHeaders(ids.validator, ids.miner.ss58Address, { uuid: session.uuid });
      await fc.assert(
        fc.asyncProperty(fuzzHeaders(base), fuzzBody, async (makeHeaders, body) => {
          const r = await fetch(running.url + path, { method: "POST", headers: await makeHeaders(), body });
          await r.arrayBuffer();
          assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
        }),
        { numRuns: 120 },
      );
      await stillAnswers();
    });
  }
  it("/echo: correctly signed requests with random (encrypted or not) bodies", async () => {
    let echoed = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fuzzBody, fc.jsonValue().map((v) => ({ encrypt: JSON.stringify(v) })), printable.map((t) => ({ encrypt: t }))), async (body) => {
        const headers = await signedHeaders(ids.validator, ids.miner.ss58Address, { uuid: session.uuid });
        const payload = typeof body === "object" && "encrypt" in body ? await session.fernet.encrypt(body.encrypt) : body;
        const r = await post(`${running.url}/echo`, headers, payload as BodyInit);
        assert.ok(r.status < 500, `status ${r.status}`);
        if (r.status === 200) {
          assert.ok(typeof body === "object" && "encrypt" in body, "only encrypted bodies are accepted");
          assert.deepEqual(r.json, JSON.parse(body.encrypt));
          echoed++;
        }
      }),
      { numRuns: 120 },
    );
    assert.ok(echoed > 10, `only ${echoed} encrypted JSON bodies were echoed`);
    await stillAnswers();
  });
  it("GET /public-encryption-key with random query strings and headers", async () => {
    await fc.assert(
      fc.asyncProperty(printable, printable, async (query, value) => {
        const r = await fetch(`${running.url}/public-encryption-key?${encodeURIComponent(query)}`, { headers: { nonce: value } });
        assert.equal(r.status, 200);
        assert.equal((await r.json()).public_key, server.publicKeyPem);
      }),
      { numRuns: 40 },
    );
  });
});

describe("concurrency", () => {
  it("300 concurrent handshakes lose no key: every client then round-trips", async () => {
    const clients = Array.from({ length: 300 }, () => new FiberClient({ keypair: ids.validator, handshakeTimeoutMs: 30_000 }));
    const sessions = await Promise.all(clients.map((c) => c.handshake(running.url, ids.miner.ss58Address)));
    assert.equal(new Set(sessions.map((s) => s.uuid)).size, 300);
    const answers = await Promise.all(clients.map((c, i) => c.post(running.url, ids.miner.ss58Address, "/echo", { i })));
    answers.forEach((a, i) => assert.equal((a as { i: number }).i, i));
  });
  it("concurrent calls of one client share one handshake", async () => {
    const client = new FiberClient({ keypair: ids.validator });
    const sessions = await Promise.all(Array.from({ length: 20 }, () => client.handshake(running.url, ids.miner.ss58Address)));
    assert.equal(new Set(sessions.map((s) => s.uuid)).size, 1);
  });
});
