/**
 * `pmh hub`: a HiveMind v3 hub on a WebSocket that answers every
 * `recognizer_loop:utterance` with a `speak` echoing it.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { toHex } from "../common/bytes.js";
// The hub's own modules, not the `./node` barrel: a hub process then loads neither the
// Fiber nor the Redis sides, nor libsodium before its first handshake (its idle RSS).
import { serveHiveMind } from "../hivemind/node/server.js";
import { DEFAULT_FLOOD_COOLDOWN_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_REASSEMBLY_BYTES } from "../hivemind/node/server-config.js";
import type { HiveMindClientRecord } from "../hivemind/node/clients.js";
import { loadOrCreateX25519KeyFile, X25519PinStore } from "../noise/node/x25519-key-files.js";
import { loadOrCreateRSAKey } from "../rsa/node/keyfile.js";
import { MAX_MESSAGE_BYTES } from "../hivemind/constants.js";
import { closeOnSignals, UsageError, action, messageOf, parseInteger } from "./common.js";

interface HubFlags {
  host: string;
  port: number;
  clients: string;
  nodeId?: string;
  key?: string;
  pins?: string;
  maxMessageBytes: number;
  maxReassemblyBytes: number;
  handshakeTimeout: number;
  upgradeTimeout: number;
  maxFailuresPerKey: number;
  maxFailuresPerAddress: number;
  maxConnections: number;
  siteId?: string;
  rsaKey?: string;
  upstream?: string;
  upstreamAccessKey?: string;
  upstreamKey?: string;
  upstreamPin?: string;
  maxRelaysPerSecond: number;
  floodCooldown: number;
}

/** Environment variable holding the upstream hub's password (not visible with `ps`). */
const UPSTREAM_PASSWORD_ENV = "PMH_HIVEMIND_UPSTREAM_PASSWORD";

async function readClients(path: string): Promise<HiveMindClientRecord[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    if (error instanceof SyntaxError) throw new UsageError(`${path}: not JSON (${error.message})`);
    throw error;
  }
  if (!Array.isArray(parsed)) throw new UsageError(`${path}: must be a JSON array of {accessKey, password, name, allowedTypes?, pinnedKey?, isAdmin?, canPropagate?, canEscalate?, rsaPublicKey?}`);
  return parsed as HiveMindClientRecord[];
}

/** The hub's demo behaviour: `speak` back every utterance. */
function utteranceOf(payload: unknown): string | undefined {
  const { type, data } = (payload ?? {}) as { type?: unknown; data?: { utterances?: unknown } };
  const utterances = data?.utterances;
  return type === "recognizer_loop:utterance" && Array.isArray(utterances) && typeof utterances[0] === "string" ? utterances[0] : undefined;
}

async function run(flags: HubFlags): Promise<void> {
  const log = (line: string) => console.log(`pmh: ${line}`);
  const clients = await readClients(flags.clients);
  const key = flags.key === undefined ? undefined : await loadOrCreateX25519KeyFile(flags.key);
  if (key?.created) log(`created the hub key ${flags.key}`);
  const rsaKey = flags.rsaKey === undefined ? undefined : await loadOrCreateRSAKey(flags.rsaKey);
  let upstream;
  if (flags.upstream !== undefined) {
    const password = process.env[UPSTREAM_PASSWORD_ENV];
    if (flags.upstreamAccessKey === undefined || password === undefined) throw new UsageError(`--upstream needs --upstream-access-key and $${UPSTREAM_PASSWORD_ENV}`);
    const staticKey = flags.upstreamKey === undefined ? undefined : (await loadOrCreateX25519KeyFile(flags.upstreamKey)).privateKey;
    upstream = { url: flags.upstream, accessKey: flags.upstreamAccessKey, password, staticKey, pinnedHubKey: flags.upstreamPin, siteId: flags.siteId };
  }
  const hub = await serveHiveMind({
    host: flags.host, port: flags.port, nodeId: flags.nodeId, staticKey: key?.privateKey, clients,
    pinStore: flags.pins === undefined ? undefined : new X25519PinStore(flags.pins),
    maxMessageBytes: flags.maxMessageBytes, maxReassemblyBytes: flags.maxReassemblyBytes, maxConnections: flags.maxConnections,
    handshakeTimeoutMs: flags.handshakeTimeout, upgradeTimeoutMs: flags.upgradeTimeout,
    rateLimit: { perKey: flags.maxFailuresPerKey, perAddress: flags.maxFailuresPerAddress },
    siteId: flags.siteId, rsaKey, upstream, maxRelaysPerSecond: flags.maxRelaysPerSecond, floodCooldownMs: flags.floodCooldown,
    onUpstream: (e) => log(`upstream ${flags.upstream}: ${e.state}${e.reason ? ` (${e.reason})` : ""}${e.retryInMs === undefined ? "" : `; next try in ${e.retryInMs} ms`}`),
    onRoute: (c, m) => log(`${m.msg_type} from ${c.peer} routed`),
    onConnect: (c) => log(`${c.name} connected as ${c.peer} from ${c.address}`),
    onDisconnect: (c, e) => log(`${c.name} (${c.peer}) left (${e.code}${e.reason ? ` ${e.reason}` : ""})`),
    onRefused: (r) => log(`refused ${r.address}${r.accessKey === undefined ? "" : ` (${r.accessKey.length}-character access key)`}: ${r.reason}`),
    onMessage: (client, message) => {
      const utterance = utteranceOf(message.payload);
      if (utterance === undefined) return;
      client.sendBus("speak", { utterance }, { destination: [client.peer], source: "pmh-hub" }).catch((error: unknown) => log(`could not answer ${client.peer}: ${messageOf(error)}`));
    },
  });
  log(`HiveMind hub ${toHex(hub.publicKey)} listening on ${hub.url} (${clients.length} client${clients.length === 1 ? "" : "s"}; answers recognizer_loop:utterance with speak)`);
  closeOnSignals("hub", log, "closing", () => hub.close());
}

/** Adds the `hub` subcommand to `program`. */
export function hubCommand(program: Command): void {
  program
    .command("hub")
    .description("run a HiveMind v3 hub (WebSocket) that answers each recognizer_loop:utterance with a speak")
    .requiredOption("--clients <file>", "JSON array of client records {accessKey, password, name, allowedTypes?, pinnedKey?, isAdmin?, canPropagate?, canEscalate?, rsaPublicKey?}")
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 = any free port)", parseInteger(0, 65535), 5678)
    .option("--node-id <id>", "the hub's node id (salts the PSK)")
    .option("--key <file>", "the hub's X25519 key file (hex; created when missing)")
    .option("--pins <file>", "keep client key pins here (KKpsk0 on later connections)")
    .option("--max-message-bytes <n>", "largest message a client may send, reassembled (over it: close 1009)", parseInteger(1, MAX_MESSAGE_BYTES), MAX_MESSAGE_BYTES)
    .option("--max-reassembly-bytes <n>", "most bytes held across all clients for messages being reassembled (past it: close 1013)", parseInteger(1, 999_999_999), DEFAULT_MAX_REASSEMBLY_BYTES)
    .option("--handshake-timeout <ms>", "time a client has from its upgrade to its HELLO", parseInteger(1, 3_600_000), 10_000)
    .option("--upgrade-timeout <ms>", "time a connection has to send its WebSocket upgrade", parseInteger(1, 3_600_000), 10_000)
    .option("--max-failures-per-key <n>", "failed handshakes per access key and minute before the key gets 1013", parseInteger(1, 1_000_000), 10)
    .option("--max-failures-per-address <n>", "failed handshakes per address and minute before the address gets 1013", parseInteger(1, 1_000_000), 50)
    .option("--max-connections <n>", "most TCP connections at once, upgraded or not", parseInteger(1, 1_000_000), DEFAULT_MAX_CONNECTIONS)
    .option("--site-id <id>", "the hub's site: a broadcast/propagate/escalate targeting it is also answered here")
    .option("--rsa-key <file>", "the hub's RSA key file (PEM; created when missing): HELLO pubkey, INTERCOMs sealed for the hub")
    .option("--max-relays-per-second <n>", "routed messages one client may send per second", parseInteger(1, 1_000_000), 100)
    .option("--flood-cooldown <ms>", "how long a client closed for flooding is refused (1013) when it connects again; 0: not at all", parseInteger(0, 86_400_000), DEFAULT_FLOOD_COOLDOWN_MS)
    .option("--upstream <url>", `be a node of this upstream hub (reconnects with backoff); password in $${UPSTREAM_PASSWORD_ENV}`)
    .option("--upstream-access-key <key>", "this hub's access key on the upstream hub")
    .option("--upstream-key <file>", "this hub's X25519 key file for the upstream hub (hex; created when missing)")
    .option("--upstream-pin <hex>", "the upstream hub's pinned X25519 key")
    .action(action("hub", run));
}
