/**
 * The connection to a Bittensor chain (subtensor), through `polkadot-api`, an optional
 * peer dependency loaded on the first {@link connectChain}. Every answer is decoded from
 * the runtime's own metadata (polkadot-api's metadata-driven API), so one code path reads
 * old and new runtimes.
 *
 * @module
 */
import { ChainError, InvalidArgumentError } from "../../common/errors.js";
import { importOptional } from "../../common/optional-dependency.js";

/**
 * The networks as Fiber names them (`fiber/constants.py`: `finney`, `test`), plus `local`,
 * Bittensor's name for a node on this machine.
 */
export const CHAIN_NETWORKS: Readonly<Record<"finney" | "test" | "local", string>> = Object.freeze({
  finney: "wss://entrypoint-finney.opentensor.ai:443",
  test: "wss://test.finney.opentensor.ai:443/",
  local: "ws://127.0.0.1:9944",
});

/**
 * The WebSocket endpoint of a network name (`finney`, `test`, `local`) or of a URL.
 * @param network - a name of {@link CHAIN_NETWORKS}, or a `ws://` / `wss://` URL
 * @throws InvalidArgumentError for anything else
 */
export function chainEndpoint(network: string): string {
  if (typeof network !== "string") throw new InvalidArgumentError("network must be a string");
  if (Object.hasOwn(CHAIN_NETWORKS, network)) return CHAIN_NETWORKS[network as keyof typeof CHAIN_NETWORKS];
  let url: URL;
  try {
    url = new URL(network);
  } catch {
    throw new InvalidArgumentError(`network must be finney, test, local or a ws:// or wss:// URL, got ${JSON.stringify(network)}`);
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new InvalidArgumentError(`the chain's URL must be ws:// or wss://, got ${JSON.stringify(network)}`);
  }
  return network;
}

/** A WebSocket class as the WHATWG one (the browser's, Node 22's, or the `ws` package's). */
export type WebSocketClass = new (url: string, protocols?: string | string[]) => unknown;

/** Options of {@link connectChain}. */
export interface ConnectChainOptions {
  /** The WebSocket class; `globalThis.WebSocket` by default (on Node 20 the `./fiber/chain` node entry passes `ws`). */
  webSocket?: WebSocketClass | undefined;
  /** How long to wait for the first block, in ms; 30 000 by default. */
  timeoutMs?: number | undefined;
}

/* The parts of polkadot-api this module uses, typed loosely: its types stay out of our public declarations, so a user without it still type-checks. */
/** @internal */
export interface UnsafeApi {
  query: Record<string, Record<string, { getValue(...args: unknown[]): Promise<unknown>; getEntries?(...args: unknown[]): Promise<unknown> }>>;
  apis: Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>>;
  tx: Record<string, Record<string, (args: Record<string, unknown>) => UnsafeTx>>;
  constants: Record<string, Record<string, () => Promise<unknown>>>;
}
/** @internal */
export interface UnsafeTx {
  signSubmitAndWatch(signer: unknown, options?: Record<string, unknown>): { subscribe(observer: { next(event: TxEvent): void; error(error: unknown): void }): { unsubscribe(): void } };
}
/** @internal */
export interface TxEvent {
  type: string;
  found?: boolean;
  ok?: boolean;
  dispatchError?: { type: string; value: unknown };
  block?: { hash: string; number: number };
  txHash?: string;
}
interface PapiClient {
  getUnsafeApi(): UnsafeApi;
  getFinalizedBlock(): Promise<{ hash: string; number: number }>;
  getBestBlocks(): Promise<Array<{ hash: string; number: number }>>;
  _request<T = unknown>(method: string, params: unknown[]): Promise<T>;
  destroy(): void;
}
interface PapiModule {
  createClient(provider: unknown): PapiClient;
}
interface PapiWsModule {
  getWsProvider(endpoint: string, config?: { websocketClass?: unknown }): unknown;
}
interface PapiSignerModule {
  getPolkadotSigner(publicKey: Uint8Array, type: "Sr25519", sign: (payload: Uint8Array) => Promise<Uint8Array>): unknown;
}

/** @internal the polkadot-api modules, loaded once */
export interface PolkadotApiModules {
  core: PapiModule;
  ws: PapiWsModule;
  signer: PapiSignerModule;
}

let loaded: Promise<PolkadotApiModules> | undefined;

/** @internal Loads polkadot-api (or says which package to install). */
export function loadPolkadotApi(): Promise<PolkadotApiModules> {
  loaded ??= (async () => {
    const neededBy = "poorman-handshake/fiber/chain";
    const [core, ws, signer] = await Promise.all([
      importOptional("polkadot-api", neededBy, () => import("polkadot-api") as Promise<unknown>),
      importOptional("polkadot-api", neededBy, () => import("polkadot-api/ws") as Promise<unknown>),
      importOptional("polkadot-api", neededBy, () => import("polkadot-api/signer") as Promise<unknown>),
    ]);
    return { core: core as PapiModule, ws: ws as PapiWsModule, signer: signer as PapiSignerModule };
  })();
  loaded.catch(() => (loaded = undefined));
  return loaded;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Rejects with a {@link ChainError} of reason `timeout` after `ms`, unless `promise` settles first. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ChainError("timeout", `${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A connection to a subtensor node. Made by {@link connectChain}; {@link Chain.close}
 * it when done.
 */
export class Chain {
  /** The WebSocket endpoint. */
  readonly endpoint: string;
  readonly #client: PapiClient;
  readonly #modules: PolkadotApiModules;
  #closed = false;

  /**
   * @internal use {@link connectChain}
   * @param endpoint - the WebSocket endpoint
   * @param client - polkadot-api's client
   * @param modules - polkadot-api's modules
   */
  constructor(endpoint: string, client: PapiClient, modules: PolkadotApiModules) {
    this.endpoint = endpoint;
    this.#client = client;
    this.#modules = modules;
  }

  /** @internal polkadot-api's metadata-driven API */
  get api(): UnsafeApi {
    if (this.#closed) throw new ChainError("unreachable", "the chain connection is closed");
    return this.#client.getUnsafeApi();
  }

  /** @internal polkadot-api's modules */
  get modules(): PolkadotApiModules {
    return this.#modules;
  }

  /**
   * Sends a raw JSON-RPC request (e.g. chopsticks' `dev_newBlock` in tests).
   * @param method - the JSON-RPC method
   * @param params - its parameters
   */
  request<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    if (this.#closed) return Promise.reject(new ChainError("unreachable", "the chain connection is closed"));
    return this.#client._request<T>(method, params);
  }

  /** The number and hash of the best block. */
  async bestBlock(): Promise<{ number: number; hash: string }> {
    const blocks = await this.#client.getBestBlocks();
    const best = blocks[0];
    if (best === undefined) throw new ChainError("unexpected", "the chain reported no best block");
    return { number: best.number, hash: best.hash };
  }

  /**
   * The hash of block `number` (of the canonical chain), for reading state at that block.
   * @throws ChainError (`unexpected`) when the node does not know that block
   */
  async blockHash(number: number): Promise<string> {
    if (!Number.isSafeInteger(number) || number < 0) throw new InvalidArgumentError("block must be a non-negative integer");
    const hash = await this.request<string | null>("chain_getBlockHash", [number]);
    if (typeof hash !== "string") throw new ChainError("unexpected", `the chain does not know block ${number}`);
    return hash;
  }

  /** Closes the connection (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.destroy();
  }
}

/**
 * Connects to a subtensor node and waits for its first finalized block.
 * @param network - `finney`, `test`, `local` or a `ws://` / `wss://` URL (see {@link chainEndpoint})
 * @param options - see {@link ConnectChainOptions}
 * @throws MissingDependencyError when `polkadot-api` is not installed
 * @throws ChainError (`timeout`) when the node does not answer within `timeoutMs`
 */
export async function connectChain(network: string, options: ConnectChainOptions = {}): Promise<Chain> {
  const endpoint = chainEndpoint(network);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new InvalidArgumentError("timeoutMs must be a positive integer");
  const webSocket = options.webSocket ?? (globalThis as { WebSocket?: WebSocketClass }).WebSocket;
  if (webSocket === undefined) {
    throw new InvalidArgumentError("no WebSocket class in this runtime: pass options.webSocket (on Node 20, import poorman-handshake/fiber/chain, whose node entry uses ws)");
  }
  const modules = await loadPolkadotApi();
  const client = modules.core.createClient(modules.ws.getWsProvider(endpoint, { websocketClass: webSocket }));
  try {
    await withTimeout(client.getFinalizedBlock(), timeoutMs, `connecting to ${endpoint}`);
  } catch (error) {
    client.destroy();
    throw error instanceof ChainError ? new ChainError("unreachable", `${endpoint} did not answer within ${timeoutMs} ms`, { cause: error }) : error;
  }
  return new Chain(endpoint, client, modules);
}
