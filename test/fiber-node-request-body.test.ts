/**
 * readNodeBody (the body reader of serve's fast path) on a request whose client went away
 * before the body was asked for (e.g. while a shared nonce store answered): it fails at
 * once, as the fetch path's body stream does, instead of waiting for the body deadline.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { readNodeBody } from "../src/fiber/node/request-body.js";

describe("readNodeBody", () => {
  it("fails with the closed-connection error for a request whose client left before the read", async () => {
    let closedRequest!: (req: IncomingMessage) => void;
    const gone = new Promise<IncomingMessage>((resolve) => (closedRequest = resolve));
    const server = createServer((req) => req.once("close", () => closedRequest(req)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => undefined);
      socket.write("POST /echo HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 100\r\n\r\n0123456789", () => socket.destroy());
      const req = await gone;
      let reserved = 0;
      const outcome = await readNodeBody(req, {
        maxBytes: 1000,
        reserve: (bytes) => ((reserved += bytes), true),
        timeoutMs: 5000,
        onTooLarge: () => new Error("too large"),
        onTimeout: () => new Error("the body deadline passed"),
      }).then(
        () => "read",
        (error: Error) => error.message,
      );
      assert.equal(outcome, "the client closed the connection before the body ended");
      assert.equal(reserved, 0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
