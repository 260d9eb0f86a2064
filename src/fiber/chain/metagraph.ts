/**
 * A subnet's nodes kept in sync with the chain, as Fiber's `Metagraph`: keyed by hotkey,
 * synced on an interval (5 minutes by default), the last good state kept when the chain
 * cannot be read, and the stakes handed to the server's stake gate (`minStake`).
 *
 * @module
 */
import { ChainError, InvalidArgumentError } from "../../common/errors.js";
import type { Metagraph as Stakes } from "../authorize.js";
import type { Chain } from "./client.js";
import { fetchNodes, type Node } from "./nodes.js";

/** Fiber's sync interval: 5 minutes. */
export const DEFAULT_SYNC_INTERVAL_MS = 5 * 60_000;

/** Options of {@link Metagraph}. */
export interface MetagraphOptions {
  /** The subnet. */
  netuid: number;
  /** ms between syncs; 5 minutes by default (Fiber's). */
  intervalMs?: number | undefined;
  /** Told of each failed sync (the last good state stays in use). */
  onSyncError?: ((error: unknown) => void) | undefined;
  /** Nodes to start from (e.g. a `nodes.json` read at start, as Fiber's `load_old_nodes`). */
  nodes?: Readonly<Record<string, Node>> | undefined;
  /** The chain connection (or a function giving one, to reconnect); none for a file-only metagraph. */
  chain?: Chain | (() => Chain | Promise<Chain>) | undefined;
}

/** What {@link Metagraph.status} reports. */
export interface MetagraphStatus {
  /** Whether the nodes come from a sync (or a file) rather than nothing. */
  inSync: boolean;
  /** When the last sync succeeded (ms since the epoch), if ever. */
  lastSyncAt: number | undefined;
  /** The error of the last sync, when it failed: the nodes are then the last good ones. */
  lastError: unknown;
  /** How many nodes. */
  size: number;
}

/**
 * The nodes of a subnet, keyed by hotkey. `sync()` reads them once; `start()` syncs
 * now and then every `intervalMs`; a failed sync keeps the previous nodes and is reported
 * through `onSyncError` and {@link Metagraph.status}.
 *
 * Plug it into a server's stake gate with `minStake(metagraph.stakes, 1000)`.
 */
export class Metagraph {
  /** The subnet. */
  readonly netuid: number;
  #nodes: Readonly<Record<string, Node>>;
  #stakes: Stakes;
  readonly #intervalMs: number;
  readonly #onSyncError: ((error: unknown) => void) | undefined;
  readonly #chain: MetagraphOptions["chain"];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #syncing: Promise<void> | undefined;
  #lastSyncAt: number | undefined;
  #lastError: unknown;

  /** @param options - see {@link MetagraphOptions} */
  constructor(options: MetagraphOptions) {
    const { netuid } = options;
    if (!Number.isInteger(netuid) || netuid < 0 || netuid > 65535) throw new InvalidArgumentError("netuid must be an integer from 0 to 65535");
    const intervalMs = options.intervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new InvalidArgumentError("intervalMs must be a positive integer");
    this.netuid = netuid;
    this.#intervalMs = intervalMs;
    this.#onSyncError = options.onSyncError;
    this.#chain = options.chain;
    this.#nodes = Object.freeze({ ...(options.nodes ?? {}) });
    this.#stakes = stakesOf(this.#nodes);
  }

  /** The nodes, hotkey → Node (Fiber's `metagraph.nodes`). */
  get nodes(): Readonly<Record<string, Node>> {
    return this.#nodes;
  }

  /**
   * The current stakes, hotkey → TAO: pass this function to `minStake`, which calls
   * it for every request, so the gate always sees the latest sync.
   */
  readonly stakes = (): Stakes => this.#stakes;

  /** Whether the nodes are synced, when, and the last sync's error if it failed. */
  get status(): MetagraphStatus {
    return { inSync: this.#lastSyncAt !== undefined || Object.keys(this.#nodes).length > 0, lastSyncAt: this.#lastSyncAt, lastError: this.#lastError, size: Object.keys(this.#nodes).length };
  }

  /**
   * Replaces the nodes (e.g. with a `nodes.json` just read).
   * @param nodes - hotkey → Node
   */
  setNodes(nodes: Readonly<Record<string, Node>>): void {
    this.#nodes = Object.freeze({ ...nodes });
    this.#stakes = stakesOf(this.#nodes);
  }

  /**
   * Reads the nodes from the chain once. On failure the previous nodes stay, the error is
   * kept in {@link Metagraph.status} and thrown.
   * @throws ChainError when the chain cannot be read
   */
  sync(): Promise<void> {
    this.#syncing ??= (async () => {
      try {
        if (this.#chain === undefined) throw new ChainError("unreachable", "this metagraph has no chain connection");
        const chain = typeof this.#chain === "function" ? await this.#chain() : this.#chain;
        const list = await fetchNodes(chain, this.netuid);
        const nodes: Record<string, Node> = Object.create(null) as Record<string, Node>;
        for (const node of list) nodes[node.hotkey] = node;
        this.setNodes(nodes);
        this.#lastSyncAt = Date.now();
        this.#lastError = undefined;
      } catch (error) {
        this.#lastError = error;
        throw error;
      } finally {
        this.#syncing = undefined;
      }
    })();
    return this.#syncing;
  }

  /**
   * Syncs now (unless it has nodes already, as Fiber after loading a file) and then every
   * `intervalMs`, until {@link Metagraph.stop}. A failed sync is reported to `onSyncError`
   * and the loop goes on with the last good nodes. Resolves after the first sync attempt.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    if (Object.keys(this.#nodes).length === 0) await this.#tick();
    else this.#schedule();
  }

  async #tick(): Promise<void> {
    try {
      await this.sync();
    } catch (error) {
      this.#onSyncError?.(error);
    }
    this.#schedule();
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => void this.#tick(), this.#intervalMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Stops the interval (a sync under way finishes). */
  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function stakesOf(nodes: Readonly<Record<string, Node>>): Stakes {
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [hotkey, node] of Object.entries(nodes)) out[hotkey] = node.stake;
  return Object.freeze(out);
}

/**
 * Where a node answers, as Fiber's validator client builds it: `http://ip:port`, with
 * Fiber's local-dev IP `0.0.0.1` mapped back to `127.0.0.1` (an IP posted as an integer
 * in decimal, as Fiber 2.5 stores it, is read as such).
 * @param node - the node
 */
export function nodeAddress(node: Pick<Node, "ip" | "port">): string {
  let ip = node.ip;
  if (/^\d+$/.test(ip)) {
    const n = BigInt(ip);
    ip = n < 2n ** 32n ? [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".") : ip;
  }
  if (ip === "0.0.0.1") ip = "127.0.0.1";
  return ip.includes(":") ? `http://[${ip}]:${node.port}` : `http://${ip}:${node.port}`;
}
