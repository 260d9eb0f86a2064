/**
 * The hub process of the hub benchmark (bench/cases/hub.ts): `serveHiveMind` hubs and a
 * raw `ws` server (the bound: the same JSON frames, no crypto, no checks), on 127.0.0.1,
 * driven over the IPC channel. Plain JavaScript run by plain `node --expose-gc`, importing
 * the built package, so that the RSS it reports is a hub's, not a TypeScript loader's.
 *
 * Jobs (each answered with one message, `{ id, ...result }`):
 * - `hub`: starts a hub with the given client records and `maxRelaysPerSecond`; its
 *   `onMessage` answers every `bench.echo` bus message with a `bench.reply` carrying the
 *   same data. Answers `{ url, publicKey }` (hex).
 * - `raw`: starts the raw `ws` server: a `bus` message is answered the same way, a
 *   `broadcast` has its inner message sent to every other socket. Answers `{ url }`.
 * - `stats`: `{ rss, heapUsed, clients, connects, routed }` after a garbage collection.
 * - `close`: closes everything; the process then exits.
 */
import { WebSocketServer } from "ws";
import { serveHiveMind } from "poorman-handshake/node";

/** @type {Map<string, import("poorman-handshake/node").HiveMindHubServer>} */
const hubs = new Map();
/** @type {WebSocketServer | undefined} */
let raw;
let connects = 0, routed = 0;

/** @param {Record<string, unknown>} job */
async function handle(job) {
  switch (job.kind) {
    case "hub": {
      const hub = await serveHiveMind({
        host: "127.0.0.1",
        nodeId: "bench-hub",
        staticKey: /** @type {string} */ (job.staticKey),
        clients: /** @type {import("poorman-handshake/node").HiveMindClientRecord[]} */ (job.records),
        maxRelaysPerSecond: /** @type {number | undefined} */ (job.maxRelaysPerSecond),
        rateLimit: { perKey: 1e6, perAddress: 1e6, maxPendingPerAddress: 64 },
        onConnect: () => void connects++,
        onRoute: () => void routed++,
        onMessage: (client, message) => {
          const bus = /** @type {{ type?: string, data?: Record<string, unknown> }} */ (message.payload);
          if (bus.type === "bench.echo") void client.sendBus("bench.reply", bus.data ?? {}).catch(() => undefined);
        },
      });
      hubs.set(/** @type {string} */ (job.name), hub);
      return { url: hub.url, publicKey: Buffer.from(hub.publicKey).toString("hex") };
    }
    case "raw": {
      const server = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: 256 * 1024 });
      await new Promise((resolve) => server.once("listening", resolve));
      server.on("connection", (socket) => {
        socket.on("error", () => undefined);
        socket.on("message", (data) => {
          const message = JSON.parse(data.toString());
          if (message.msg_type === "bus") {
            socket.send(JSON.stringify({ msg_type: "bus", payload: { type: "bench.reply", data: message.payload.data, context: {} } }));
          } else if (message.msg_type === "broadcast") {
            const inner = JSON.stringify(message.payload);
            for (const other of server.clients) if (other !== socket) other.send(inner);
          }
        });
      });
      raw = server;
      const address = /** @type {import("node:net").AddressInfo} */ (server.address());
      return { url: `ws://127.0.0.1:${address.port}` };
    }
    case "stats": {
      globalThis.gc?.();
      globalThis.gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      return { rss, heapUsed, clients: [...hubs.values()].reduce((n, h) => n + h.clients.size, 0), connects, routed };
    }
    case "close": {
      await Promise.all([...hubs.values()].map((h) => h.close()));
      if (raw !== undefined) {
        for (const socket of raw.clients) socket.terminate();
        await new Promise((resolve) => raw?.close(resolve));
      }
      return {};
    }
    default:
      throw new Error(`unknown job ${String(job.kind)}`);
  }
}

process.on("message", (/** @type {Record<string, unknown>} */ job) => {
  handle(job).then(
    (result) => {
      process.send?.({ id: job.id, ...result });
      // Exit once the answer is out, so that a --cpu-prof profile is written.
      if (job.kind === "close") process.channel?.unref();
    },
    (error) => process.send?.({ id: job.id, error: String(error?.stack ?? error) }),
  );
});
process.send?.("ready");
