/**
 * The `node` entry of ./hivemind installs the `ws` WebSocket, the libsodium Noise backend and
 * libargon2 without loading them: `ws` is read on the first connect (or when a hub starts),
 * libsodium on the first handshake, libargon2 on the first PSK derivation, so importing the
 * entry stays cheap. Checked in a fresh process, where nothing else has loaded them.
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

/** Whether the optional addon `name` loads in a plain `node` here. */
function loads(name: string): boolean {
  try {
    execFileSync(process.execPath, ["-e", `require(${JSON.stringify(name)})`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("the optional packages of HiveMind's node entry", () => {
  it("ws, sodium-native and argon2 are not loaded by importing the entry; each is loaded when first needed", () => {
    const out = freshNode(`
      import { createRequire } from "node:module";
      const loaded = (name) => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes("/node_modules/" + name + "/"));
      const packages = () => ({ ws: loaded("ws"), sodium: loaded("sodium-native"), argon2: loaded("argon2") });
      const hivemind = await import("./src/hivemind/node/index.ts");
      const report = { afterImport: packages() };
      report.backend = (await import("./src/noise/index.ts")).noiseBackendInUse();
      report.afterBackendAsked = packages();
      hivemind.argon2idImplementationInUse();
      report.afterArgon2Asked = packages();
      const { serveHiveMind } = await import("./src/node/index.ts");
      const hub = await serveHiveMind({ host: "127.0.0.1", port: 0, clients: [] });
      report.afterHub = packages();
      await hub.close();
      console.log(JSON.stringify(report));
    `);
    type Loaded = { ws: boolean; sodium: boolean; argon2: boolean };
    const report = JSON.parse(out.trim().split("\n").at(-1)!) as { afterImport: Loaded; backend: string; afterBackendAsked: Loaded; afterArgon2Asked: Loaded; afterHub: Loaded };
    const sodium = report.backend === "libsodium";
    const argon2 = loads("argon2");
    assert.equal(sodium, loads("sodium-native"), report.backend);
    assert.deepEqual(report.afterImport, { ws: false, sodium: false, argon2: false });
    assert.deepEqual(report.afterBackendAsked, { ws: false, sodium, argon2: false });
    assert.deepEqual(report.afterArgon2Asked, { ws: false, sodium, argon2 });
    assert.deepEqual(report.afterHub, { ws: true, sodium, argon2 });
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
