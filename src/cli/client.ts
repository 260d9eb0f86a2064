/**
 * `pmh handshake` and `pmh send`: the validator side of Fiber from a terminal.
 *
 * @module
 */
import type { Command } from "commander";
import { fromBase64Any } from "../common/bytes.js";
import { FiberClient } from "../fiber/client.js";
import type { FiberSession } from "../fiber/client-config.js";
import { fingerprint } from "../common/fingerprint.js";
import { action, jsonOption, parseInteger, printJson, readStdin, UsageError } from "./common.js";
import { hotkeyOptions, loadHotkey, parseSs58, type HotkeyFlags } from "./hotkeys.js";

interface ClientFlags extends HotkeyFlags {
  minerHotkey: string;
  timeout: number;
  requireSignedKey?: boolean;
  json?: boolean;
}

interface SendFlags extends ClientFlags {
  signed?: boolean;
  stream?: boolean;
  get?: boolean;
}

interface HandshakeFlags extends ClientFlags {
  showKey?: boolean;
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`URL must be an http(s) URL such as http://127.0.0.1:7999, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UsageError(`URL must be http or https, got ${parsed.protocol}`);
  return url;
}

async function client(flags: ClientFlags): Promise<FiberClient> {
  const keypair = await loadHotkey(flags, "validator");
  return new FiberClient({ keypair, handshakeTimeoutMs: flags.timeout, timeoutMs: flags.timeout, requireSignedKey: flags.requireSignedKey ?? false });
}

/**
 * The `--json` shape `handshake` and `send` share: which miner, which key (uuid and
 * fingerprint, never the key itself) and how long it took; `send` adds `route` and `answer`.
 */
function sessionJson(url: string, minerHotkey: string, session: FiberSession, ms: number): Record<string, unknown> {
  return { url, minerHotkey, uuid: session.uuid, fingerprint: fingerprint(fromBase64Any(session.key, "key")), ms: Number(ms.toFixed(1)) };
}

/** Adds the options both client commands take. */
function clientOptions(command: Command): Command {
  return jsonOption(
    hotkeyOptions(command, "validator")
      .requiredOption("--miner-hotkey <ss58>", "the miner's ss58 address (its requests are signed for it)", parseSs58)
      .option("--timeout <ms>", "timeout of each HTTP request", parseInteger(1, 600_000), 10_000)
      .option("--require-signed-key", "refuse a miner whose public key answer is not signed by its hotkey"),
  );
}

/** Reads the JSON payload argument (`-` for standard input). */
async function payloadArgument(text: string): Promise<unknown> {
  if (text === "-") text = await readStdin();
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError("JSON must be valid JSON text (or - to read it from standard input)");
  }
}

/** Adds `handshake` and `send` to `program`. */
export function clientCommands(program: Command): void {
  clientOptions(
    program
      .command("handshake")
      .description("perform a Fiber key exchange with a miner; print the key uuid and the key's fingerprint")
      .argument("<url>", "the miner's root URL, e.g. http://127.0.0.1:7999"),
  )
    .option("--show-key", "also print the symmetric key itself (a secret)")
    .action(
      action("handshake", async (url: string, flags: HandshakeFlags) => {
        const fiber = await client(flags);
        const started = performance.now();
        const session = await fiber.handshake(checkUrl(url), flags.minerHotkey);
        const ms = performance.now() - started;
        const keyFingerprint = fingerprint(fromBase64Any(session.key, "key"));
        if (flags.json) printJson({ ...sessionJson(url, flags.minerHotkey, session, ms), ...(flags.showKey ? { key: session.key } : {}) });
        else console.log(`uuid ${session.uuid}\nkey fingerprint ${keyFingerprint}${flags.showKey ? `\nkey ${session.key}` : ""}\n(${ms.toFixed(1)} ms)`);
      }),
    );

  clientOptions(
    program
      .command("send")
      .description("send one JSON request to ROUTE and print the answer: Fernet-encrypted after a handshake, or signed plain JSON with --signed; with --get, a signed GET without a body (Fiber 2.4.0+) (--json: the handshake's fields, if any, plus route and answer)")
      .argument("<url>", "the miner's root URL, e.g. http://127.0.0.1:7999")
      .argument("<route>", "the route, e.g. /echo (encrypted) or /echo-signed (--signed)")
      .argument("[json]", "the JSON payload, or - for standard input (none with --get)"),
  )
    .option("--signed", "Fiber 2's default protocol: plain JSON, signed over its hash, no handshake")
    .option("--stream", "with --signed: print the answer's text lines as they arrive")
    .option("--get", "send a GET signed as Fiber 2.4.0+ does: over nonce:miner with --signed, else over nonce:miner:uuid after a handshake")
    .action(
      action("send", async (url: string, route: string, json: string | undefined, flags: SendFlags) => {
        if (!route.startsWith("/")) throw new UsageError(`ROUTE must start with '/', got ${JSON.stringify(route)}`);
        if (flags.stream && !flags.signed) throw new UsageError("--stream goes with --signed");
        if (flags.get && (flags.stream || json !== undefined)) throw new UsageError("--get sends no JSON payload and does not stream");
        if (!flags.get && json === undefined) throw new UsageError("JSON is required (the payload, or - for standard input), unless --get");
        const payload = flags.get ? undefined : await payloadArgument(json!);
        const fiber = await client(flags);
        if (flags.stream) {
          for await (const line of fiber.streamSigned(checkUrl(url), flags.minerHotkey, route, payload)) console.log(flags.json ? JSON.stringify(line) : line);
          return;
        }
        const started = performance.now();
        const answer = flags.get
          ? flags.signed
            ? await fiber.getSigned(checkUrl(url), flags.minerHotkey, route)
            : await fiber.getEncrypted(checkUrl(url), flags.minerHotkey, route)
          : flags.signed
            ? await fiber.postSigned(checkUrl(url), flags.minerHotkey, route, payload)
            : await fiber.post(checkUrl(url), flags.minerHotkey, route, payload);
        const ms = performance.now() - started;
        if (!flags.json) console.log(JSON.stringify(answer, null, 2));
        else if (flags.signed) printJson({ url, minerHotkey: flags.minerHotkey, ms: Number(ms.toFixed(1)), route, answer });
        // The key the answer came with (post may have re-handshaken once); cached, no request.
        else printJson({ ...sessionJson(url, flags.minerHotkey, await fiber.handshake(url, flags.minerHotkey), ms), route, answer });
      }),
    );
}
