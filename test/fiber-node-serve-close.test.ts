/**
 * `serve(...).close()`: at once by default, or after the requests in flight are answered
 * (`graceMs`), and the `requests` count a drained cluster worker reports.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { describe, it } from "node:test";
import { InvalidArgumentError } from "../src/common/errors.js";
import { serve } from "../src/fiber/node/serve.js";

/** A handler that answers once `release` is called, so a request can be held in flight. */
function heldHandler() {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let arrived: () => void = () => {};
  const arrival = new Promise<void>((resolve) => (arrived = resolve));
  const fetch = async (req: Request) => {
    if (new URL(req.url).pathname === "/slow") {
      arrived();
      await released;
    }
    return Response.json({ ok: true });
  };
  return { fetch, release, arrival };
}

/** GET `url`: the status, or the error's code when the connection is cut. */
function get(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode ?? 0));
      res.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    });
    req.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    req.end();
  });
}

describe("serve close", () => {
  it("with graceMs, a request in flight is answered before the server closes; new connections are refused", async () => {
    const held = heldHandler();
    const running = await serve(held.fetch);
    assert.equal(await get(`${running.url}/fast`), 200);
    const slow = get(`${running.url}/slow`);
    await held.arrival;
    const closing = running.close({ graceMs: 10_000 });
    assert.equal(await get(`${running.url}/fast`), "ECONNREFUSED");
    held.release();
    assert.equal(await slow, 200);
    await closing;
    assert.equal(running.requests, 2);
  });

  it("without graceMs, a request in flight is cut and close resolves at once", async () => {
    const held = heldHandler();
    const running = await serve(held.fetch);
    const slow = get(`${running.url}/slow`);
    await held.arrival;
    await running.close();
    assert.equal(await slow, "ECONNRESET");
    held.release();
  });

  it("with graceMs, a request that outlives it is cut when the grace ends", async () => {
    const held = heldHandler();
    const running = await serve(held.fetch);
    const slow = get(`${running.url}/slow`);
    await held.arrival;
    await running.close({ graceMs: 50 });
    assert.equal(await slow, "ECONNRESET");
    held.release();
  });

  it("refuses a graceMs that is not a whole number of milliseconds, naming it", async () => {
    const running = await serve(heldHandler().fetch);
    assert.throws(() => running.close({ graceMs: -1 }), (error: unknown) => error instanceof InvalidArgumentError && /options\.graceMs/.test(error.message));
    await running.close();
  });
});
