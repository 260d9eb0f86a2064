/**
 * Load generator of the hub benchmark (bench/cases/hub.ts), run as a separate process so
 * that the hub's CPU is not shared with the nodes' work on the same event loop. Every
 * message is built before the clock starts; connections are opened before it too, except
 * in the `connect` job, which times them.
 *
 * Started with fork(); jobs arrive over the IPC channel and are answered `{ id, ...result }`.
 * A `stop` job ends a running `flood` early (the only job that runs beside another).
 */
import { WebSocket } from "ws";
import { HiveMindNode, type HiveMessage, protocolName } from "poorman-handshake/hivemind";

/** A client record's credentials. */
export interface Credentials {
  accessKey: string;
  password: string;
  /** X25519 static private key (hex), for a record that pins it (KKpsk0). */
  staticKey?: string;
}

/** A job from the bench process. */
export type HubLoadJob = { id: number } & (
  /**
   * `count` connects (connect, HELLO, close) at `concurrency`, after a warm-up of `warmup`;
   * `raw`: the transport alone instead (a raw socket's upgrade, two echoed frames, close).
   */
  | { kind: "connect"; url: string; credentials: Credentials; pinnedHubKey?: string; concurrency: number; count: number; warmup: number; raw?: boolean }
  /** Opens one link for `roundtrip` (a node, or a raw socket), kept until `drop`. */
  | { kind: "open-echo"; mode: "hub" | "raw"; url: string; credentials?: Credentials }
  /** `count` `bench.echo` messages of `bytes` bytes of data, `inFlight` at a time, over the link of `open-echo`. */
  | { kind: "roundtrip"; mode: "hub" | "raw"; count: number; inFlight: number; bytes: number }
  /** Opens `credentials.length` nodes (or as many raw sockets), `concurrency` at a time; the first sends broadcasts. */
  | { kind: "open-fan"; mode: "hub" | "raw"; url: string; credentials: Credentials[]; concurrency: number }
  /** `count` broadcasts from the first link of `open-fan`, at most `window` not yet delivered to every other link. */
  | { kind: "broadcast"; mode: "hub" | "raw"; count: number; window: number; bytes: number }
  /** Connects the node `flood` sends from. */
  | { kind: "open-flood"; url: string; credentials: Credentials }
  /**
   * PROPAGATE as fast as the socket of `open-flood` drains, until `stop`, `maxMs` or
   * `maxCount`; connected again whenever the hub closes it (an attacker with valid
   * credentials comes back).
   */
  | { kind: "flood"; maxMs: number; maxCount: number; bytes: number }
  | { kind: "stop" }
  /** Closes the link of `open-echo`. */
  | { kind: "drop-echo" }
  /** Closes every link this process holds. */
  | { kind: "drop" }
);

/** The answer to a timed job. */
export interface HubLoadResult {
  /** Wall milliseconds of the timed part. */
  ms: number;
  /** Operations that completed as expected (connects, replies with the right data, deliveries). */
  ok: number;
  /** Operations that did not (a wrong reply, a failed connect). */
  bad: number;
  /** Round-trip latencies, median and 99th percentile, in ms (`roundtrip`). */
  p50?: number;
  p99?: number;
  /** Noise protocol names the connects used (`connect`). */
  patterns?: string[];
  /** `flood`: PROPAGATEs sent, and refusals (`relay_rate_limited`) received. */
  sent?: number;
  denied?: number;
  /** `flood`: how many times the hub closed the flooding node. */
  closes?: number;
  /** `flood`: its connects the hub refused while the record was kept out for flooding (1013). */
  refusedReconnects?: number;
}

type Link = {
  send(prepared: Prepared): void;
  onReply(listener: (type: string, data: Record<string, unknown>) => void): void;
  close(): void;
};
/** A message built before the clock: a node's (sent through HiveMindNode) or a raw socket's JSON. */
type Prepared = { type: string; data: Record<string, unknown>; routed?: "broadcast"; text: string };

const pad = (bytes: number) => "x".repeat(bytes);
const session = { session_id: "bench", site_id: "unknown" };

function prepareEcho(id: number, bytes: number): Prepared {
  const data = { id, pad: pad(bytes) };
  return { type: "bench.echo", data, text: JSON.stringify({ msg_type: "bus", payload: { type: "bench.echo", data, context: { session } } }) };
}
function prepareFan(id: number, bytes: number): Prepared {
  const data = { id, pad: pad(bytes) };
  const inner = { msg_type: "bus", payload: { type: "bench.fan", data, context: { session } } };
  return { type: "bench.fan", data, routed: "broadcast", text: JSON.stringify({ msg_type: "broadcast", payload: inner }) };
}

function nodeLink(node: HiveMindNode): Link {
  return {
    send: (p) => void (p.routed === undefined ? node.sendBus(p.type, p.data) : node.sendRouted(p.routed, { msg_type: "bus", payload: { type: p.type, data: p.data, context: { session } } })).catch(() => undefined),
    onReply: (listener) => void node.on("message", (m) => {
      const bus = m.payload as { type?: string; data?: Record<string, unknown> };
      if (typeof bus.type === "string") listener(bus.type, bus.data ?? {});
    }),
    close: () => node.close(),
  };
}

async function rawLink(url: string): Promise<Link> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  return {
    send: (p) => socket.send(p.text),
    onReply: (listener) => void socket.on("message", (data) => {
      const message = JSON.parse(data.toString()) as { payload: { type: string; data: Record<string, unknown> } };
      listener(message.payload.type, message.payload.data);
    }),
    close: () => socket.close(),
  };
}

const connectNode = (url: string, c: Credentials, pinnedHubKey?: string) =>
  HiveMindNode.connect(url, { accessKey: c.accessKey, password: c.password, staticKey: c.staticKey, pinnedHubKey, timeoutMs: 30_000 });

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;

let echoLink: { link: Link; waiters: Map<number, (data: Record<string, unknown>) => void> } | undefined;
let fan: { links: Link[]; delivered: number; wrong: number; wake: (() => void) | undefined } | undefined;
let flooding = false;
let flooder: { node: HiveMindNode; denied: number; url: string; credentials: Credentials } | undefined;

async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await task(i);
    }
  }));
  return out;
}

async function handle(job: HubLoadJob): Promise<HubLoadResult | Record<string, never>> {
  switch (job.kind) {
    case "connect": {
      const patterns = new Set<string>();
      let ok = 0, bad = 0;
      const echoTwice = async () => {
        const link = await rawLink(job.url);
        let answered = () => undefined as void;
        link.onReply(() => answered());
        for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => ((answered = resolve), link.send(prepareEcho(i, 10))));
        link.close();
      };
      const once = async () => {
        try {
          if (job.raw === true) return void (await echoTwice(), ok++);
          const node = await connectNode(job.url, job.credentials, job.pinnedHubKey);
          patterns.add(protocolName(node.protocol.pattern, node.protocol.suite));
          node.close();
          ok++;
        } catch {
          bad++;
        }
      };
      await pool(job.warmup, job.concurrency, once);
      ok = 0;
      const t = performance.now();
      await pool(job.count, job.concurrency, once);
      return { ms: performance.now() - t, ok, bad, patterns: [...patterns] };
    }
    case "open-echo": {
      const link = job.mode === "hub" ? nodeLink(await connectNode(job.url, job.credentials!)) : await rawLink(job.url);
      const waiters = new Map<number, (data: Record<string, unknown>) => void>();
      link.onReply((type, data) => {
        if (type !== "bench.reply") return; // e.g. PROPAGATEs relayed from a flooding node
        const waiter = waiters.get(data.id as number);
        waiters.delete(data.id as number);
        waiter?.(data);
      });
      echoLink = { link, waiters };
      return {};
    }
    case "roundtrip": {
      const { link, waiters } = echoLink!;
      const prepared = Array.from({ length: job.count }, (_, i) => prepareEcho(i, job.bytes));
      const latencies: number[] = [];
      let next = 0, ok = 0, bad = 0;
      const worker = async () => {
        while (next < prepared.length) {
          const p = prepared[next++]!;
          const sent = performance.now();
          const data = await new Promise<Record<string, unknown>>((resolve) => (waiters.set(p.data.id as number, resolve), link.send(p)));
          latencies.push(performance.now() - sent);
          if (data.pad === p.data.pad) ok++;
          else bad++;
        }
      };
      const t = performance.now();
      await Promise.all(Array.from({ length: job.inFlight }, worker));
      const ms = performance.now() - t;
      latencies.sort((a, b) => a - b);
      return { ms, ok, bad, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
    }
    case "open-fan": {
      const links = await pool(job.credentials.length, job.concurrency, async (i) => (job.mode === "hub" ? nodeLink(await connectNode(job.url, job.credentials[i]!)) : rawLink(job.url)));
      const state: NonNullable<typeof fan> = { links, delivered: 0, wrong: 0, wake: undefined };
      for (const link of links.slice(1)) {
        link.onReply((type) => {
          if (type === "bench.fan") state.delivered++;
          else state.wrong++;
          state.wake?.();
        });
      }
      fan = state;
      return {};
    }
    case "broadcast": {
      const state = fan!;
      const receivers = state.links.length - 1;
      const prepared = Array.from({ length: job.count }, (_, i) => prepareFan(i, job.bytes));
      state.delivered = 0;
      state.wrong = 0;
      const t = performance.now();
      for (let sent = 0; sent < prepared.length; sent++) {
        // At most `window` broadcasts not yet delivered to every other link.
        while (state.delivered < (sent - job.window + 1) * receivers) await new Promise<void>((resolve) => (state.wake = resolve));
        state.links[0]!.send(prepared[sent]!);
      }
      const deadline = performance.now() + 60_000;
      while (state.delivered < prepared.length * receivers && performance.now() < deadline) {
        await new Promise<void>((resolve) => {
          state.wake = resolve;
          setTimeout(resolve, 1000);
        });
      }
      const ms = performance.now() - t;
      state.wake = undefined;
      return { ms, ok: state.delivered, bad: state.wrong };
    }
    case "open-flood": {
      // The record may still be kept out after the last round's flood (floodCooldownMs): retry, bounded.
      let node: HiveMindNode | undefined;
      for (const deadline = performance.now() + 30_000; node === undefined; ) {
        node = await connectNode(job.url, job.credentials).catch((error: unknown) => {
          if (performance.now() > deadline) throw error;
          return undefined;
        });
        if (node === undefined) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      flooder = { node, denied: 0, url: job.url, credentials: job.credentials };
      return {};
    }
    case "flood": {
      const state = flooder!;
      state.denied = 0;
      const countDenials = (node: HiveMindNode) => node.on("message", (m) => {
        if (m.msg_type === "bus" && JSON.stringify(m.payload).includes("relay_rate_limited")) state.denied++;
      });
      countDenials(state.node);
      const inner: HiveMessage = { msg_type: "bus", payload: { type: "bench.flood", data: { pad: pad(job.bytes) }, context: { session } } };
      flooding = true;
      let sent = 0, closes = 0, refusedReconnects = 0, wasOpen = true;
      const t = performance.now();
      while (flooding && sent < job.maxCount && performance.now() - t < job.maxMs) {
        if (!state.node.open) {
          // Closed by the hub (past twice its relay allowance): connect again and go on, as a
          // flooder would; while the hub keeps the record out (1013), try again every 100 ms.
          if (wasOpen) closes++;
          const node = await connectNode(state.url, state.credentials).catch(() => undefined);
          wasOpen = node !== undefined;
          if (node === undefined) {
            refusedReconnects++;
            await new Promise((resolve) => setTimeout(resolve, 100));
            continue;
          }
          state.node = node;
          countDenials(state.node);
        }
        // As fast as the socket drains: keep at most 256 KiB queued.
        if (state.node.bufferedAmount > 256 * 1024) await new Promise((resolve) => setTimeout(resolve, 1));
        else {
          // A send refused because the hub has just closed the node: the loop connects again.
          if (await state.node.sendRouted("propagate", inner).then(() => true, () => false)) sent++;
          if (sent % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      }
      const ms = performance.now() - t;
      await new Promise((resolve) => setTimeout(resolve, 200)); // the last refusals
      return { ms, ok: sent, bad: 0, sent, denied: state.denied, closes, refusedReconnects };
    }
    case "stop":
      flooding = false;
      return {};
    case "drop-echo":
      echoLink?.link.close();
      echoLink = undefined;
      return {};
    case "drop": {
      echoLink?.link.close();
      for (const link of fan?.links ?? []) link.close();
      flooder?.node.close();
      echoLink = undefined;
      fan = undefined;
      flooder = undefined;
      return {};
    }
  }
}

process.on("message", (job: HubLoadJob) => {
  handle(job).then(
    (result) => process.send!({ id: job.id, ...result }),
    (error: unknown) => process.send!({ id: job.id, error: String((error as Error)?.stack ?? error) }),
  );
});
process.send!("ready");
