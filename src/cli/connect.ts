/**
 * `pmh connect`: a HiveMind node that connects to a hub, sends one utterance and prints
 * what it receives.
 *
 * @module
 */
import type { Command } from "commander";
import { toHex } from "../common/bytes.js";
import { busMessage, HiveMindNode, type HiveMindRouteType } from "../hivemind/node/index.js";
import { loadOrCreateX25519KeyFile } from "../noise/node/x25519-key-files.js";
import { EXIT, UsageError, action, parseInteger, printJson } from "./common.js";

/** Environment variable holding the password (not visible with `ps`, unlike arguments). */
const PASSWORD_ENV = "PMH_HIVEMIND_PASSWORD";

interface ConnectFlags {
  accessKey: string;
  password?: string;
  utterance?: string;
  count?: number;
  json?: boolean;
  key?: string;
  pin?: string;
  timeout: number;
  route?: string;
  targetSite?: string;
}

async function run(url: string, flags: ConnectFlags): Promise<number> {
  if (flags.route !== undefined && !["broadcast", "propagate", "escalate"].includes(flags.route)) throw new UsageError("--route must be broadcast, propagate or escalate");
  if (flags.route !== undefined && flags.utterance === undefined) throw new UsageError("--route wraps the --utterance: give one");
  const password = flags.password ?? process.env[PASSWORD_ENV];
  if (password === undefined) throw new UsageError(`--password or $${PASSWORD_ENV} is required`);
  const staticKey = flags.key === undefined ? undefined : (await loadOrCreateX25519KeyFile(flags.key)).privateKey;
  const node = await HiveMindNode.connect(url, { accessKey: flags.accessKey, password, staticKey, pinnedHubKey: flags.pin, timeoutMs: flags.timeout });
  const info = { event: "connected", url, pattern: node.protocol.pattern, suite: node.protocol.suite, hubKey: toHex(node.remoteStaticKey), sessionId: node.sessionId, stalePin: node.stalePin };
  if (flags.json) printJson(info);
  else console.log(`pmh: connected to ${url} (${info.pattern}, ${info.suite}; hub key ${info.hubKey}${node.stalePin ? "; the pinned hub key was stale" : ""})`);
  return new Promise<number>((resolve) => {
    let received = 0;
    node.on("message", (message) => {
      received++;
      if (flags.json) printJson(message);
      else {
        const { type, data } = (message.payload ?? {}) as { type?: string; data?: unknown };
        console.log(type === undefined ? `${message.msg_type}: ${JSON.stringify(message.payload)}` : `${message.msg_type} ${type}: ${JSON.stringify(data)}`);
      }
      if (flags.count !== undefined && received >= flags.count) node.close(1000, "done");
    });
    node.on("close", ({ code, reason }) => {
      const normal = code === 1000 || code === 1001;
      if (flags.json) printJson({ event: "closed", code, reason });
      else console.log(`pmh: closed (${code}${reason ? ` ${reason}` : ""})`);
      resolve(normal || (flags.count !== undefined && received >= flags.count) ? EXIT.ok : EXIT.refused);
    });
    process.once("SIGINT", () => node.close(1000, "interrupted"));
    process.once("SIGTERM", () => node.close(1000, "terminated"));
    if (flags.utterance !== undefined) {
      const data = { utterances: [flags.utterance], lang: "en-US" };
      if (flags.route === undefined) void node.sendBus("recognizer_loop:utterance", data);
      else void node.sendRouted(flags.route as HiveMindRouteType, busMessage("recognizer_loop:utterance", data, { session: { session_id: node.sessionId, site_id: node.siteId } }), { targetSiteId: flags.targetSite });
    }
  });
}

/** Adds the `connect` subcommand to `program`. */
export function connectCommand(program: Command): void {
  program
    .command("connect")
    .description("connect to a HiveMind hub as a node, send an utterance, print what arrives")
    .argument("<url>", "the hub, ws://host:port")
    .requiredOption("--access-key <key>", "this node's access key")
    .option("--password <password>", `the HiveMind password (or $${PASSWORD_ENV})`)
    .option("--utterance <text>", "send this as recognizer_loop:utterance")
    .option("--route <kind>", "send the utterance in a broadcast (admins only), propagate or escalate for the hub to relay")
    .option("--target-site <id>", "with --route: the site whose hub also answers it")
    .option("--count <n>", "exit after n messages", parseInteger(1, 1_000_000))
    .option("--key <file>", "this node's X25519 key file (hex; created when missing): keep it to stay pinned")
    .option("--pin <hex>", "the hub's pinned X25519 key (KKpsk0; falls back to XXpsk2 if stale)")
    .option("--timeout <ms>", "connect deadline", parseInteger(1, 600_000), 10_000)
    .option("--json", "print one JSON line per message")
    .action(action("connect", run));
}
