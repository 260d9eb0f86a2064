/**
 * The `node` entry of ./hivemind installs the `ws` WebSocket without loading the package:
 * it is read on the first connect (or when a hub starts), and libargon2 on the first PSK
 * derivation, so importing the entry stays cheap. Checked in a fresh process, where nothing
 * else has loaded them.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import WebSocket, { WebSocketServer } from "ws";
import { webSocketImplementation } from "../src/hivemind/websocket.js";
import { NODE_WEB_SOCKET } from "../src/hivemind/node/ws.js";
import "../src/hivemind/node/install.js";

/** Runs `code` (an ES module body) in a fresh `node` with tsx, from the repository root; answers its stdout. */
function freshNode(code: string): string {
  return execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { cwd: new URL("..", import.meta.url), encoding: "utf8" });
}

describe("the ws package on Node", () => {
  it("is not loaded by importing the entry (nor is argon2); starting a hub loads ws, asking for the argon2id implementation loads argon2", () => {
    const out = freshNode(`
      import { createRequire } from "node:module";
      const loaded = (name) => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes("/node_modules/" + name + "/"));
      const hivemind = await import("./src/hivemind/node/index.ts");
      const { serveHiveMind } = await import("./src/node/index.ts");
      const report = { afterImport: { ws: loaded("ws"), argon2: loaded("argon2") } };
      const hub = await serveHiveMind({ host: "127.0.0.1", port: 0, clients: [] });
      report.afterHub = loaded("ws");
      await hub.close();
      hivemind.argon2idImplementationInUse();
      report.afterArgon2Asked = loaded("argon2");
      console.log(JSON.stringify(report));
    `);
    const report = JSON.parse(out.trim().split("\n").at(-1)!) as { afterImport: { ws: boolean; argon2: boolean }; afterHub: boolean; afterArgon2Asked: boolean };
    assert.deepEqual(report.afterImport, { ws: false, argon2: false });
    assert.equal(report.afterHub, true);
    let addon = true;
    try {
      execFileSync(process.execPath, ["-e", "require('argon2')"], { stdio: "ignore" });
    } catch {
      addon = false; // the optional addon is not installed or does not load: nothing to load then
    }
    assert.equal(report.afterArgon2Asked, addon);
  });

  it("the installed constructor answers a ws WebSocket that connects", async () => {
    assert.equal(webSocketImplementation(), NODE_WEB_SOCKET);
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as { port: number };
    try {
      const socket = new NODE_WEB_SOCKET(`ws://127.0.0.1:${port}`);
      assert.ok(socket instanceof WebSocket);
      await new Promise<void>((resolve, reject) => {
        socket.addEventListener("open", () => resolve());
        socket.addEventListener("error", (event: never) => reject(new Error(String(event))));
      });
      socket.close();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
