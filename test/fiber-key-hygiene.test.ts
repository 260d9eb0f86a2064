/** Key hygiene of the Fiber miner: imported keys follow the key store, key bytes are wiped after import. */
import assert from "node:assert/strict";
import { afterEach, before, describe, it, mock } from "node:test";
import { randomBytes, toBase64, toBase64Url } from "../src/common/bytes.js";
import { DETAIL, SYMMETRIC_KEY_TTL_MS } from "../src/fiber/constants.js";
import { Fernet } from "../src/fiber/fernet.js";
import { FiberServer } from "../src/fiber/server.js";
import { SessionFernets } from "../src/fiber/session-fernets.js";
import { encryptRSA } from "../src/rsa/index.js";
import { identities, signedHeaders, type Identities } from "./helpers/fiber.js";

const subtle = globalThis.crypto.subtle;

/** Counts Web Crypto raw imports (HMAC and AES halves of Fernet keys) and keeps the bytes passed. */
function spyRawImports(): { calls: () => number; seen: Uint8Array[] } {
  const seen: Uint8Array[] = [];
  const original = subtle.importKey.bind(subtle) as (...args: unknown[]) => Promise<CryptoKey>;
  const spy = mock.method(subtle, "importKey", (...args: unknown[]) => {
    if (args[0] === "raw" && args[1] instanceof Uint8Array) seen.push(args[1]);
    return original(...args);
  });
  return { calls: () => spy.mock.calls.filter((c) => c.arguments[0] === "raw").length, seen };
}

afterEach(() => mock.restoreAll());

describe("Fernet.create wipes the key copies it imported", () => {
  it("the slices handed to Web Crypto are zero afterwards; a caller's Uint8Array or Buffer is left as is", async () => {
    // A Node Buffer's slice() is a view: wiping such a "copy" would zero the caller's key.
    for (const input of [randomBytes(32), Buffer.from(randomBytes(32)), toBase64Url(randomBytes(32))]) {
      const copy = typeof input === "string" ? input : Uint8Array.from(input);
      const spy = spyRawImports();
      const fernet = await Fernet.create(input);
      mock.restoreAll();
      assert.equal(spy.seen.length, 2, "HMAC half and AES half");
      for (const half of spy.seen) assert.ok(half.every((b) => b === 0), "imported key bytes are wiped");
      assert.deepEqual(typeof input === "string" ? input : Uint8Array.from(input), copy, "the caller's key is untouched");
      const token = await fernet.encrypt("still works");
      assert.equal(new TextDecoder().decode(await (await Fernet.create(copy)).decrypt(token)), "still works");
    }
  });
});

describe("SessionFernets", () => {
  it("reuses an import only for the same key of the same (hotkey, uuid), and forgets dropped, expired and evicted ones", async () => {
    let now = 1_000_000;
    const cache = new SessionFernets({ maxEntries: 2, ttlMs: 1000, clock: () => now });
    const [k1, k2] = [randomBytes(32), randomBytes(32)];
    const a = cache.fernet("v", "u1", k1);
    assert.equal(cache.fernet("v", "u1", k1), a, "same key, same import");
    assert.notEqual(cache.fernet("w", "u1", k1), a, "another hotkey is another entry, even with the same key");
    const replaced = cache.fernet("v", "u1", k2);
    assert.notEqual(replaced, a, "a replaced key is imported again");
    assert.equal(cache.size, 2);
    cache.drop("v", "u1");
    assert.equal(cache.size, 1);
    cache.fernet("v", "u2", k1);
    cache.fernet("v", "u3", k1); // evicts the least recently used
    assert.equal(cache.size, 2);
    now += 1000;
    const again = cache.fernet("v", "u3", k1);
    assert.equal(cache.size, 1, "expired entries are swept on the next import");
    assert.ok((await again) instanceof Fernet);
  });
});

describe("Fiber server: imported keys follow the key store", () => {
  let ids: Identities;
  before(async () => {
    ids = await identities();
  });

  it("a key the store reports expired is imported again when re-exchanged (no import outlives its key)", async () => {
    let now = Date.now();
    const clock = () => now;
    const server = await FiberServer.create({ keypair: ids.miner, clock });
    server.route("/echo", { handler: (payload) => payload });
    const key = randomBytes(32);
    const uuid = "ab".repeat(32);
    const request = async (path: string, body: string, contentType?: string) => {
      const headers = await signedHeaders(ids.validator, ids.miner.ss58Address, { uuid, nowMs: now });
      const response = await server.fetch(new Request(`http://127.0.0.1${path}`, { method: "POST", headers: { ...headers, ...(contentType ? { "content-type": contentType } : {}) }, body }));
      return { status: response.status, json: (await response.json()) as unknown };
    };
    const exchange = async () => {
      const encrypted = toBase64(await encryptRSA(server.publicKeyPem, key, { hash: "SHA-256" }));
      assert.equal((await request("/exchange-symmetric-key", JSON.stringify({ encrypted_symmetric_key: encrypted }), "application/json")).status, 200);
    };
    const fernet = await Fernet.create(key, { clock });
    const echo = async () => request("/echo", await fernet.encrypt('{"n":1}'));

    await exchange();
    let spy = spyRawImports();
    assert.deepEqual(await echo(), { status: 200, json: { n: 1 } });
    assert.deepEqual(await echo(), { status: 200, json: { n: 1 } });
    assert.equal(spy.calls(), 2, "imported once (two halves) for two requests");
    mock.restoreAll();

    now += SYMMETRIC_KEY_TTL_MS;
    assert.deepEqual(await echo(), { status: 400, json: { detail: DETAIL.noSymmetricKey } });
    await exchange(); // the same key bytes under the same (hotkey, uuid)
    spy = spyRawImports();
    assert.deepEqual(await echo(), { status: 200, json: { n: 1 } });
    assert.equal(spy.calls(), 2, "the expired key's import was dropped, so the re-exchanged key is imported afresh");
  });
});
