/**
 * A bounded attack run on how `pmh serve` combines Fiber's protocols and writes answers
 * (issue 21, items 1 and 2), 127.0.0.1 only:
 *
 * 1. Cross-protocol signature reuse: `--attempts` times, a man in the middle holds back two
 *    signed requests with the same body, replays the first one's headers to the key
 *    exchange (uuid = the body's hash, his own key) and the second one's to `POST /echo`
 *    with a body under his key; against `pmh serve` by default, `--protocol encrypted`
 *    and `--protocol both`.
 * 2. Unread streamed answers: `--readers` raw connections each POST a 3.75 MiB body of lines
 *    to `/stream-signed` and never read the answer, while honest validators keep sending
 *    `POST /echo-signed`; then the readers start reading, to see which connections the
 *    miner closed.
 *
 * `node --import tsx bench/attack-answers.ts [--attempts N] [--readers N] [--json]`
 */
import { connect, type Socket } from "node:net";
import { parseArgs } from "node:util";
import { FiberClient } from "../src/fiber/client.js";
import { Keypair } from "../src/fiber/keypair.js";
import { signedRequestHeaders } from "../src/fiber/signed.js";
import { startServe, stopChild } from "../test/helpers/cli.js";
import { crossProtocolAttack, sendTo } from "../test/helpers/cross-protocol.js";
import { MINER_SEED } from "../test/helpers/fiber.js";
import { quantile } from "./loadtest-lib.js";
import { residentBytes } from "./proc-cpu.js";

const { values: args } = parseArgs({ options: { attempts: { type: "string", default: "20" }, readers: { type: "string", default: "80" }, json: { type: "boolean", default: false } } });
const ATTEMPTS = Math.min(200, Math.max(1, Number(args.attempts)));
const READERS = Math.min(500, Math.max(1, Number(args.readers)));
const MIB = 1024 * 1024;
const LINE = 64 * 1024;
const HONEST_IN_FLIGHT = 2;
/** Longer than `pmh serve`'s default answer timeout (20 s). */
const ABUSE_MS = 25_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => {
  if (!args.json) console.log(line);
};
const round = (x: number) => Math.round(x * 10) / 10;

/** Resident set size of a process in MiB (Linux; NaN elsewhere). */
const rssMib = (pid: number): number => residentBytes(pid) / 2 ** 20;

async function crossProtocol(validator: Keypair, minerHotkey: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const protocol of ["(default)", "encrypted", "both"]) {
    const miner = await startServe(["--hotkey-seed", MINER_SEED, ...(protocol === "(default)" ? [] : ["--protocol", protocol])]);
    try {
      const statuses: Record<string, number> = {};
      let accepted = 0;
      for (let i = 0; i < ATTEMPTS; i++) {
        const r = await crossProtocolAttack(sendTo(miner.url), validator, minerHotkey);
        const key = `${r.exchange}/${r.encrypted}`;
        statuses[key] = (statuses[key] ?? 0) + 1;
        if (r.exchange === 200 && r.encrypted === 200) accepted++;
      }
      rows.push({ protocol, attempts: ATTEMPTS, forgedRequestsAccepted: accepted, statuses });
      log(`cross-protocol, --protocol ${protocol.padEnd(10)} ${ATTEMPTS} attempts, ${accepted} forged requests accepted   exchange/encrypted statuses ${JSON.stringify(statuses)}`);
    } finally {
      await stopChild(miner.child);
    }
  }
  return rows;
}

/** A raw connection that POSTs `body` and reads nothing until `resume`; then its status and whether the miner closed it. */
function unreadAnswer(port: number, headers: Record<string, string>, body: string): { socket: Socket; outcome: () => Promise<{ status: string; closed: boolean }> } {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => undefined);
  socket.pause();
  socket.write([`POST /stream-signed HTTP/1.1`, "host: 127.0.0.1", `content-length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), "", ""].join("\r\n") + body);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return {
    socket,
    outcome: async () => {
      let head = "";
      socket.on("data", (chunk: Buffer) => {
        if (head.length < 12) head += chunk.toString("latin1", 0, 12);
      });
      socket.resume();
      const ended = await Promise.race([closed.then(() => true), sleep(5000).then(() => false)]);
      socket.destroy();
      return { status: head.slice(9, 12) || "none", closed: ended };
    },
  };
}

async function unreadStreams(validators: Keypair[], minerHotkey: string): Promise<Record<string, unknown>> {
  const miner = await startServe(["--hotkey-seed", MINER_SEED]);
  try {
    const pid = miner.child.pid!;
    const port = Number(new URL(miner.url).port);
    const clients = validators.map((keypair) => new FiberClient({ keypair }));
    const rssBefore = rssMib(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMib(pid))), 100);
    let running = true;
    const latencies: number[] = [];
    const honest: Record<string, number> = {};
    let n = 0;
    const worker = async () => {
      while (running) {
        const i = n++;
        const started = performance.now();
        let outcome = "ok";
        try {
          await clients[i % clients.length]!.postSigned(miner.url, minerHotkey, "/echo-signed", { i });
        } catch (error) {
          outcome = (error as Error).name;
        }
        latencies.push(performance.now() - started);
        honest[outcome] = (honest[outcome] ?? 0) + 1;
      }
    };
    const workers = Array.from({ length: HONEST_IN_FLIGHT }, worker);
    const body = JSON.stringify({ lines: Array.from({ length: 60 }, () => "z".repeat(LINE)) });
    const attacker = await Keypair.generate();
    const readers = [];
    for (let r = 0; r < READERS; r++) readers.push(unreadAnswer(port, await signedRequestHeaders(attacker, minerHotkey, body), body));
    await sleep(ABUSE_MS);
    running = false;
    await Promise.all(workers);
    const rssAbuse = rssPeak;
    const outcomes = await Promise.all(readers.map((r) => r.outcome()));
    clearInterval(sampler);
    await sleep(500);
    const statuses: Record<string, number> = {};
    for (const o of outcomes) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
    const sorted = latencies.sort((a, b) => a - b);
    const figures = {
      readers: READERS,
      bodyMib: round(Buffer.byteLength(body) / MIB),
      closedByMiner: outcomes.filter((o) => o.closed).length,
      statuses,
      rssBeforeMib: round(rssBefore),
      rssPeakMib: round(rssAbuse),
      rssAfterMib: round(rssMib(pid)),
      honestTried: sorted.length,
      honestOk: honest.ok ?? 0,
      successRate: round((100 * (honest.ok ?? 0)) / Math.max(1, sorted.length)),
      p50Ms: round(quantile(sorted, 0.5)),
      p99Ms: round(quantile(sorted, 0.99)),
      honest,
    };
    log(`${READERS} unread 3.75 MiB streams      closed by the miner ${figures.closedByMiner}/${READERS} ${JSON.stringify(statuses)}   RSS ${figures.rssBeforeMib} -> peak ${figures.rssPeakMib} -> ${figures.rssAfterMib} MiB   honest ${figures.honestOk}/${figures.honestTried} ok (${figures.successRate} %)   p50 ${figures.p50Ms} p99 ${figures.p99Ms} ms`);
    return figures;
  } finally {
    await stopChild(miner.child);
  }
}

const validators = await Promise.all(Array.from({ length: 8 }, () => Keypair.generate()));
const minerHotkey = (await Keypair.fromSeed(MINER_SEED)).ss58Address;
log(`attack-answers: ${ATTEMPTS} cross-protocol attempts per mode, ${READERS} unread streams, Node ${process.version}`);
const crossProtocolRows = await crossProtocol(validators[0]!, minerHotkey);
const streams = await unreadStreams(validators, minerHotkey);
if (args.json) console.log(JSON.stringify({ crossProtocol: crossProtocolRows, streams }));
