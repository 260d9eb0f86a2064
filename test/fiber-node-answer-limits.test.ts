/**
 * Issue 21, item 2: answers a client never reads. `serve` writes an answer only as fast
 * as its reader takes it (backpressure), counts what is queued against a budget shared by
 * all connections, and destroys the connection of a reader that takes nothing within
 * `answerTimeoutMs`. Asserted through counters, never through timing.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { FiberServer } from "../src/fiber/server.js";
import { serve, type RunningServer } from "../src/fiber/node/serve.js";
import { signedRequestHeaders } from "../src/fiber/signed.js";
import { identities, type Identities } from "./helpers/fiber.js";

const CHUNK = 256 * 1024;
const CHUNKS = 64; // 16 MiB per streamed answer: more than the kernel buffers on loopback
const BUDGET = 1024 * 1024;
const READERS = 8;

let ids: Identities;
let miner: FiberServer;
let running: RunningServer;
let pulled = 0;
let cancelled = 0;

before(async () => {
  ids = await identities();
  const server = await FiberServer.create({ keypair: ids.miner, maxBodyBytes: 2 * 1024 * 1024 });
  server.signedRoute("/stream-signed", {
    handler: () => {
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled++;
          if (sent++ < CHUNKS) controller.enqueue(new Uint8Array(CHUNK).fill(0x61));
          else controller.close();
        },
        cancel() {
          cancelled++;
        },
      }, { highWaterMark: 0 });
      return new Response(stream, { headers: { "content-type": "text/plain" } });
    },
  });
  server.signedRoute("/echo-signed", { handler: (body) => body });
  miner = server;
  running = await serve(server, { answerTimeoutMs: 500, maxQueuedAnswerBytes: BUDGET });
});

after(() => running.close());

/** A raw connection that sends one signed POST and never reads a byte of the answer. */
async function neverReads(path: string, body: string, port = running.port): Promise<{ socket: Socket; closed: Promise<void> }> {
  const headers = await signedRequestHeaders(ids.validator, ids.miner.ss58Address, body);
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => undefined);
  socket.pause();
  const head = [`POST ${path} HTTP/1.1`, "host: 127.0.0.1", `content-length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), "", ""].join("\r\n");
  socket.write(head + body);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return { socket, closed };
}

/** Waits until `done()` holds, checking every 50 ms, at most `tries` times. */
async function until(done: () => boolean, what: string, tries = 600): Promise<void> {
  for (let i = 0; i < tries && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(done(), `never: ${what}`);
}

describe("serve: answers a client never reads", () => {
  it("closes streamed answers' connections and keeps what is queued within the budget", async () => {
    const readers = await Promise.all(Array.from({ length: READERS }, () => neverReads("/stream-signed", "{}")));
    await until(() => running.stalledAnswers + running.refusedAnswers >= READERS, "every reader that stopped was dropped");
    assert.ok(running.peakQueuedAnswerBytes > 0 && running.peakQueuedAnswerBytes <= BUDGET, `peak ${running.peakQueuedAnswerBytes} within ${BUDGET}`);
    await until(() => cancelled >= READERS, "every stream cancelled");
    assert.ok(pulled < READERS * (CHUNKS + 1), `the routes stopped being pulled (${pulled} pulls)`);
    assert.equal(running.queuedAnswerBytes, 0, "everything given back");
    assert.equal(miner.bufferedBytes, 0, "the request bodies too");
    // The server closed them: a reader that now reads gets the end of the connection.
    for (const { socket, closed } of readers) {
      socket.resume();
      await closed;
    }
  });

  it("closes the connection of a whole answer that is never read", async () => {
    // Answers larger than the kernel buffers of a loopback connection, within a larger budget.
    const server = await FiberServer.create({ keypair: ids.miner, maxBodyBytes: 8 * 1024 * 1024 });
    server.signedRoute("/echo-signed", { handler: (body) => body });
    const budget = 16 * 1024 * 1024;
    const own = await serve(server, { answerTimeoutMs: 500, maxQueuedAnswerBytes: budget });
    try {
      const big = JSON.stringify({ pad: "x".repeat(6_000_000) });
      const readers = await Promise.all(Array.from({ length: 4 }, () => neverReads("/echo-signed", big, own.port)));
      await until(() => own.stalledAnswers + own.refusedAnswers >= 4, "every reader dropped or refused");
      assert.ok(own.stalledAnswers >= 1, `stalled ${own.stalledAnswers}, refused ${own.refusedAnswers}`);
      assert.ok(own.peakQueuedAnswerBytes <= budget, `peak ${own.peakQueuedAnswerBytes} within ${budget}`);
      await until(() => own.queuedAnswerBytes === 0, "everything given back");
      for (const { socket, closed } of readers) {
        socket.resume();
        await closed;
      }
    } finally {
      await own.close();
    }
  });

  it("a streamed answer keeps its request body counted in maxBufferedBytes until it ends", async () => {
    const body = JSON.stringify({ pad: "y".repeat(998) });
    const headers = await signedRequestHeaders(ids.validator, ids.miner.ss58Address, body);
    const answer = await miner.fetch(new Request("http://127.0.0.1/stream-signed", { method: "POST", headers, body }));
    assert.equal(answer.status, 200);
    assert.equal(miner.bufferedBytes, Buffer.byteLength(body), "held while the answer is unread");
    await answer.body!.cancel();
    assert.equal(miner.bufferedBytes, 0, "given back when it is cancelled");
    const read = await miner.fetch(new Request("http://127.0.0.1/stream-signed", { method: "POST", headers: await signedRequestHeaders(ids.validator, ids.miner.ss58Address, body), body }));
    assert.equal((await read.arrayBuffer()).byteLength, CHUNK * CHUNKS);
    assert.equal(miner.bufferedBytes, 0, "given back when it ends");
  });

  it("a client that reads still gets its whole streamed answer", async () => {
    // Its own adapter with a long answer timeout: this client reads, and a slow machine must
    // not cut it off for a pause of the event loop.
    const reading = await serve(miner, { answerTimeoutMs: 10_000, maxQueuedAnswerBytes: BUDGET });
    try {
      const headers = await signedRequestHeaders(ids.validator, ids.miner.ss58Address, "{}");
      const answer = await fetch(`${reading.url}/stream-signed`, { method: "POST", headers, body: "{}" });
      assert.equal(answer.status, 200);
      assert.equal((await answer.arrayBuffer()).byteLength, CHUNK * CHUNKS);
      await until(() => reading.queuedAnswerBytes === 0, "everything given back");
    } finally {
      await reading.close();
    }
  });
});
