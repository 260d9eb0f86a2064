/**
 * The real subtensor runtime for the tests: chopsticks runs the raw chain spec of
 * `../shared/chain/subtensor-raonet.json` (seen from the repository's root: runtime spec
 * 218, with its WebAssembly) from genesis, with no upstream, serving JSON-RPC on a free
 * 127.0.0.1 port and building a block about 100 ms after a transaction arrives (Batch mode).
 * Tests that need it skip, saying why, where the spec is absent; it is never copied here.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { connectChain, type Chain } from "../../src/fiber/chain/client.js";
import { Keypair } from "../../src/fiber/keypair.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));

/** The chain spec, outside the repository. */
export const CHAIN_SPEC = join(repo, "..", "shared", "chain", "subtensor-raonet.json");

/** chopsticks' command line, as npm installs it (its package exports no package.json to resolve). */
const chopsticksCli: string | undefined = join(repo, "node_modules", "@acala-network", "chopsticks", "chopsticks.cjs");

/** Why the chain tests skip here, or undefined when they can run. */
export const CHAIN_SKIP: string | undefined = !existsSync(CHAIN_SPEC)
  ? "../shared/chain/subtensor-raonet.json (subtensor's raw chain spec) is absent: the chain tests need it beside the repository"
  : chopsticksCli === undefined || !existsSync(chopsticksCli)
    ? "@acala-network/chopsticks is not installed (npm ci installs it)"
    : undefined;

/** A running local chain (chopsticks on 127.0.0.1). */
export class LocalChain {
  private constructor(
    readonly child: ChildProcess,
    /** `ws://127.0.0.1:port`. */
    readonly url: string,
  ) {}

  /** Starts chopsticks on a random free 127.0.0.1 port; resolves once it serves JSON-RPC. */
  static async start(timeoutMs = 120_000): Promise<LocalChain> {
    if (CHAIN_SKIP !== undefined) throw new Error(CHAIN_SKIP);
    const child = spawn(process.execPath, [chopsticksCli!, "--genesis", CHAIN_SPEC, "--host", "127.0.0.1", "--port", "0", "--build-block-mode", "Batch"], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`chopsticks did not start within ${timeoutMs} ms:\n${output.slice(-2000)}`));
      }, timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /RPC listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (match !== null) {
          clearTimeout(timer);
          resolve(`ws://127.0.0.1:${match[1]}`);
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`chopsticks exited (${code}) before serving:\n${output.slice(-2000)}`));
      });
    });
    // Never outlive the test process, even when it ends without running its `after` hooks.
    process.once("exit", () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    // Keep draining its log so it never blocks on a full pipe.
    child.stdout!.removeAllListeners("data");
    child.stderr!.removeAllListeners("data");
    child.stdout!.resume();
    child.stderr!.resume();
    // One block before any client follows the chain: a client that starts following while
    // chopsticks still settles its genesis can read a header that does not hash to the block
    // polkadot-api was told of, and then refuses every transaction ("Unsupported hasher").
    await rawRequest(url, "dev_newBlock", [{ count: 1 }]);
    return new LocalChain(child, url);
  }

  /** A client connection (ws on Node 20). */
  connect(): Promise<Chain> {
    return connectChain(this.url, { webSocket: WebSocket as never, timeoutMs: 60_000 });
  }

  /** Stops chopsticks by its pid. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    process.kill(child.pid!, "SIGTERM");
    const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, "SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** One JSON-RPC call over a WebSocket of its own (no polkadot-api client). */
function rawRequest(url: string, method: string, params: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const timer = setTimeout(() => (socket.terminate(), reject(new Error(`${method}: no answer within 60 s`))), 60_000);
    socket.once("open", () => socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params })));
    socket.once("message", (data) => {
      clearTimeout(timer);
      socket.close();
      const answer = JSON.parse(String(data)) as { result?: unknown; error?: { message?: string } };
      if (answer.error !== undefined) reject(new Error(`${method}: ${answer.error.message ?? "error"}`));
      else resolve(answer.result);
    });
    socket.once("error", (error) => (clearTimeout(timer), reject(error)));
  });
}

/** Chopsticks' `dev_setStorage` (pallet → storage → [[keys], value]). */
export function setStorage(chain: Chain, storage: Record<string, Record<string, unknown>>): Promise<unknown> {
  return chain.request("dev_setStorage", [storage]);
}

/** Builds `count` blocks now (chopsticks' `dev_newBlock`). */
export function newBlocks(chain: Chain, count = 1): Promise<unknown> {
  return chain.request("dev_newBlock", [{ count }]);
}

/** Gives accounts free balance (1e6 TAO each). */
export function fund(chain: Chain, ...addresses: string[]): Promise<unknown> {
  return setStorage(chain, { System: { Account: addresses.map((a) => [[a], { providers: 1, data: { free: "1000000000000000" } }]) } });
}

/** A random hotkey or coldkey. */
export function randomKey(): Promise<Keypair> {
  return Keypair.generate();
}

/**
 * Registers `hotkey` in `netuid`, paid by `coldkey` (`burned_register`), waiting for
 * inclusion. Returns the block it landed in.
 */
export async function register(chain: Chain, coldkey: Keypair, hotkey: Keypair, netuid = 1): Promise<number> {
  const { submitAndWait } = await import("../../src/fiber/chain/extrinsics.js");
  const tx = chain.api.tx["SubtensorModule"]!["burned_register"]!({ netuid, hotkey: hotkey.ss58Address });
  const included = await submitAndWait(chain, coldkey, tx, "burned_register");
  return included.blockNumber;
}

/** Sets a hotkey's stake from a coldkey (`SubtensorModule.Stake(hotkey, coldkey)`, what spec 218's neuron stake reads), in rao. */
export function setStake(chain: Chain, hotkey: string, coldkey: string, rao: bigint): Promise<unknown> {
  return setStorage(chain, { SubtensorModule: { Stake: [[[hotkey, coldkey], rao.toString()]] } });
}

/** Rao per TAO. */
export const TAO = 10n ** 9n;

/**
 * A fresh local chain where `coldkey` (funded) registered each hotkey (funded) in subnet 1
 * and gave it its stake in TAO (0: none). Stops the chain again when any step fails.
 */
export async function startSubnet(coldkey: Keypair, hotkeys: readonly (readonly [Keypair, bigint])[]): Promise<{ local: LocalChain; chain: Chain }> {
  const local = await LocalChain.start();
  let chain: Chain | undefined;
  try {
    chain = await local.connect();
    await fund(chain, coldkey.ss58Address, ...hotkeys.map(([hotkey]) => hotkey.ss58Address));
    await newBlocks(chain);
    for (const [hotkey] of hotkeys) await register(chain, coldkey, hotkey);
    for (const [hotkey, tao] of hotkeys) if (tao > 0n) await setStake(chain, hotkey.ss58Address, coldkey.ss58Address, tao * TAO);
    await newBlocks(chain);
    return { local, chain };
  } catch (error) {
    chain?.close();
    await local.stop();
    throw error;
  }
}
