/**
 * FiberClient's rough edges: Fiber's payload `nonce` (added by the client on the wire,
 * removed by the server before `parse`, refused in a user payload), typed answers with
 * `parse`, and the errors of an invalid URL and of a refused connection.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { InvalidArgumentError, NetworkError } from "../src/common/errors.js";
import { FiberClient } from "../src/fiber/client.js";
import { Fernet } from "../src/fiber/fernet.js";
import { FiberServer } from "../src/fiber/server.js";
import { serve, type RunningServer } from "../src/fiber/node/serve.js";
import { identities, type Identities } from "./helpers/fiber.js";

let ids: Identities;
let running: RunningServer;
const seenByParse: unknown[] = [];

before(async () => {
  ids = await identities();
  const server = await FiberServer.create({ keypair: ids.miner });
  server.route("/strict", {
    // A strict schema: exactly the fields the validator's code sent.
    parse: (value) => {
      seenByParse.push(value);
      const keys = Object.keys(value as object).sort();
      if (keys.join() !== "a,b") throw new Error(`unexpected fields ${keys.join()}`);
      return value as { a: number; b: string };
    },
    handler: ({ a, b }) => ({ sum: a + b.length }),
  });
  server.route("/raw", { handler: (payload) => payload });
  running = await serve(server.fetch, { host: "127.0.0.1", port: 0 });
});
after(() => running.close());

describe("FiberClient and Fiber's payload nonce", () => {
  it("the wire carries a nonce field; the server removes it before parse and the handler", async () => {
    const bodies: Uint8Array[] = [];
    const spy: typeof fetch = async (input, init) => {
      if (String(input).endsWith("/strict") && init?.body instanceof Uint8Array) bodies.push(init.body);
      else if (String(input).endsWith("/strict") && typeof init?.body === "string") bodies.push(new TextEncoder().encode(init.body));
      return fetch(input, init);
    };
    const client = new FiberClient({ keypair: ids.validator, fetch: spy });
    assert.deepEqual(await client.post(running.url, ids.miner.ss58Address, "/strict", { a: 1, b: "xy" }), { sum: 3 });
    assert.deepEqual(seenByParse.at(-1), { a: 1, b: "xy" }, "parse saw no nonce");
    const { key } = await client.handshake(running.url, ids.miner.ss58Address);
    const fernet = await Fernet.create(Buffer.from(key, "base64url"));
    assert.equal(bodies.length, 1);
    const sent = JSON.parse(new TextDecoder().decode(await fernet.decrypt(bodies[0]!))) as Record<string, unknown>;
    assert.deepEqual(Object.keys(sent).sort(), ["a", "b", "nonce"]);
    assert.match(String(sent.nonce), /^\d+_[A-Za-z0-9]{10}$/, "Fiber's nonce format");
  });

  it("refuses a payload that has its own nonce (it would be overwritten) and sends non-objects as they are", async () => {
    const client = new FiberClient({ keypair: ids.validator });
    await assert.rejects(client.post(running.url, ids.miner.ss58Address, "/raw", { nonce: "mine", x: 1 }), (e: unknown) => e instanceof InvalidArgumentError && /payload must not have a "nonce" field/.test(e.message));
    assert.deepEqual(await client.post(running.url, ids.miner.ss58Address, "/raw", [1, { nonce: "inside an array is data" }]), [1, { nonce: "inside an array is data" }]);
    assert.equal(await client.post(running.url, ids.miner.ss58Address, "/raw", "text"), "text");
  });

  it("post<T> with parse returns the typed answer, and what parse throws, post throws", async () => {
    const client = new FiberClient({ keypair: ids.validator });
    const parse = (v: unknown): { sum: number } => {
      if (typeof (v as { sum?: unknown }).sum !== "number") throw new TypeError("sum must be a number");
      return v as { sum: number };
    };
    const answer = await client.post(running.url, ids.miner.ss58Address, "/strict", { a: 2, b: "abc" }, { parse });
    const sum: number = answer.sum; // typed: no cast
    assert.equal(sum, 5);
    await assert.rejects(client.post(running.url, ids.miner.ss58Address, "/raw", { a: 1 }, { parse }), TypeError);
    const untyped = await client.post(running.url, ids.miner.ss58Address, "/strict", { a: 1, b: "" });
    // @ts-expect-error without parse the answer is unknown: no unchecked cast through a type argument
    const unchecked: { sum: number } = untyped;
    assert.deepEqual(unchecked, { sum: 1 });
  });
});

describe("FiberClient errors", () => {
  it("a base URL that is not an http(s) URL is an InvalidArgumentError naming baseUrl", async () => {
    const client = new FiberClient({ keypair: ids.validator });
    for (const bad of ["not a url", "127.0.0.1:7999", "ftp://127.0.0.1/"]) {
      await assert.rejects(client.handshake(bad, ids.miner.ss58Address), (e: unknown) => e instanceof InvalidArgumentError && /^baseUrl must be/.test(e.message), bad);
      await assert.rejects(client.post(bad, ids.miner.ss58Address, "/raw", {}), InvalidArgumentError, bad);
    }
  });

  it("a refused connection is a NetworkError whose message and cause name ECONNREFUSED", async () => {
    const closed = await serve(async () => new Response("unused"), { host: "127.0.0.1", port: 0 });
    await closed.close();
    const client = new FiberClient({ keypair: ids.validator });
    const error = await client.handshake(closed.url, ids.miner.ss58Address).then(
      () => assert.fail("connected to a closed port"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof NetworkError);
    assert.match(error.message, new RegExp(`^GET ${closed.url}/public-encryption-key failed: .*ECONNREFUSED`));
    assert.equal((error.cause as { code?: unknown }).code, "ECONNREFUSED");
  });
});
