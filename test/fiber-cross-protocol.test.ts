/**
 * Issue 21, item 1: both Fiber protocols sign `nonce:miner_hotkey:X`, so a server that
 * speaks both lets held-back signed requests become a key exchange and an encrypted
 * request. A server speaks one protocol unless told `protocol: "both"`.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { HandshakeStateError, InvalidArgumentError } from "../src/common/errors.js";
import { createRSAKey } from "../src/rsa/node/keyfile.js";
import { signedRequestHeaders } from "../src/fiber/signed.js";
import type { PoormanWarning } from "../src/common/warnings.js";
import { FiberServer } from "../src/fiber/server.js";
import { BOTH_PROTOCOLS_WARNING, type FiberServerOptions } from "../src/fiber/server-config.js";
import { serve } from "../src/fiber/node/serve.js";
import { crossProtocolAttack, sendTo, type Send } from "./helpers/cross-protocol.js";
import { identities, type Identities } from "./helpers/fiber.js";

let ids: Identities;
before(async () => {
  ids = await identities();
});

/** A miner with the demo routes its protocol allows; `seen` gets who each encrypted request came from. */
async function miner(options: Partial<FiberServerOptions>, seen: string[] = []): Promise<FiberServer> {
  const server = await FiberServer.create({ keypair: ids.miner, onWarning: () => {}, ...options });
  const speaks = (p: "signed" | "encrypted") => options.protocol === undefined || options.protocol === "both" || options.protocol === p;
  if (speaks("encrypted") && options.protocol !== undefined) server.route("/echo", { handler: (payload, { validatorHotkey }) => (seen.push(validatorHotkey), payload) });
  if (speaks("signed")) server.signedRoute("/echo-signed", { handler: (payload) => payload });
  return server;
}

const direct = (server: FiberServer): Send => (path, init) => server.fetch(new Request(`http://127.0.0.1${path}`, init));

describe("one protocol per server", () => {
  it("the first route chooses the protocol; a route of the other one then throws", async () => {
    const encrypted = await FiberServer.create({ keypair: ids.miner });
    assert.equal(encrypted.protocol, undefined);
    encrypted.route("/echo", { handler: (p) => p });
    assert.equal(encrypted.protocol, "encrypted");
    assert.throws(() => encrypted.signedRoute("/echo-signed", { handler: (p) => p }), (e: unknown) => e instanceof InvalidArgumentError && /speaks the encrypted protocol only.*protocol: "both"/.test(e.message));
    const signed = await FiberServer.create({ keypair: ids.miner });
    signed.signedRoute("/echo-signed", { handler: (p) => p });
    assert.equal(signed.protocol, "signed");
    assert.throws(() => signed.route("/echo", { handler: (p) => p }), (e: unknown) => e instanceof InvalidArgumentError && /speaks the signed protocol only/.test(e.message));
  });

  it("an explicit protocol refuses the other one's routes, and a bad one is refused", async () => {
    const signed = await FiberServer.create({ keypair: ids.miner, protocol: "signed" });
    assert.throws(() => signed.route("/echo", { handler: (p) => p }), InvalidArgumentError);
    const encrypted = await FiberServer.create({ keypair: ids.miner, protocol: "encrypted" });
    assert.throws(() => encrypted.signedRoute("/echo-signed", { handler: (p) => p }), InvalidArgumentError);
    await assert.rejects(FiberServer.create({ keypair: ids.miner, protocol: "all" as never }), InvalidArgumentError);
  });

  it("a signed-only server answers 404 on the handshake paths", async () => {
    const server = await miner({ protocol: "signed" });
    for (const [path, method] of [["/public-encryption-key", "GET"], ["/exchange-symmetric-key", "POST"]] as const) {
      assert.equal((await direct(server)(path, { method, ...(method === "POST" ? { body: "{}" } : {}) })).status, 404);
    }
  });

  it("a signed-only server starts without an RSA key unless given one; its publicKeyPem then says why there is none", async () => {
    const keyless = await miner({ protocol: "signed" });
    assert.throws(() => keyless.publicKeyPem, (e: unknown) => e instanceof HandshakeStateError && /signed protocol only.*rsaPrivateKey/.test(e.message));
    const body = JSON.stringify({ a: 1 });
    const headers = await signedRequestHeaders(ids.validator, ids.miner.ss58Address, body);
    const answer = await direct(keyless)("/echo-signed", { method: "POST", body, headers: { ...headers, "content-type": "application/json" } });
    assert.equal(answer.status, 200);
    assert.deepEqual(await answer.json(), { a: 1 });
    const { privateKey, publicKey } = await createRSAKey();
    const kept = await miner({ protocol: "signed", rsaPrivateKey: privateKey });
    assert.equal(kept.publicKeyPem, `${publicKey}\n`);
    assert.equal((await direct(kept)("/public-encryption-key", { method: "GET" })).status, 404);
  });

  it('"both" gives a warning that explains the risk', async () => {
    const warnings: PoormanWarning[] = [];
    await FiberServer.create({ keypair: ids.miner, protocol: "both", onWarning: (w) => warnings.push(w) });
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.code, BOTH_PROTOCOLS_WARNING);
    assert.match(warnings[0]!.message, /held back|holds back/);
  });
});

describe("the cross-protocol attack", () => {
  it('works only against a server told to speak "both"', async () => {
    const seen: string[] = [];
    const result = await crossProtocolAttack(direct(await miner({ protocol: "both" }, seen)), ids.validator, ids.miner.ss58Address);
    assert.deepEqual({ exchange: result.exchange, encrypted: result.encrypted }, { exchange: 200, encrypted: 200 }, JSON.stringify(result));
    assert.deepEqual(result.answer, { forged: "by the man in the middle" });
    assert.deepEqual(seen, [ids.validator.ss58Address], "accepted as the validator");
  });

  it("fails against a signed server (the default choice of a server with signed routes), over HTTP too", async () => {
    for (const options of [{}, { protocol: "signed" as const }]) {
      const running = await serve(await miner(options));
      try {
        const result = await crossProtocolAttack(sendTo(running.url), ids.validator, ids.miner.ss58Address);
        assert.deepEqual({ exchange: result.exchange, encrypted: result.encrypted }, { exchange: 404, encrypted: 404 });
      } finally {
        await running.close();
      }
    }
  });
});
