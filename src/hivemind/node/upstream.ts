/**
 * The hub's link to an upstream hub: a `HiveMindNode` that reconnects with bounded
 * exponential backoff, so that a hub is itself a node of another hub (hivemind-core's
 * `bind_upstream`).
 *
 * @module
 */
import { aint } from "../../common/bytes.js";
import { InvalidArgumentError } from "../../common/errors.js";
import type { HiveMessage } from "../message.js";
import { HiveMindNode, type HiveMindNodeOptions } from "../satellite.js";

/** Where and how a hub connects upstream (`serveHiveMind`'s `upstream` option). */
export interface HiveMindUpstreamOptions extends HiveMindNodeOptions {
  /** The upstream hub, `ws://host:port` or `wss://...`. */
  url: string;
  /** First delay before reconnecting, in milliseconds (default 500); doubled after each failure. */
  initialBackoffMs?: number | undefined;
  /** Longest delay between attempts, in milliseconds (default 30 000). */
  maxBackoffMs?: number | undefined;
}

/** A change of the upstream link, for logs. */
export interface HiveMindUpstreamEvent {
  /** `connected`, `disconnected` (then a reconnect is scheduled) or `failed` (an attempt failed). */
  readonly state: "connected" | "disconnected" | "failed";
  /** Why, for `disconnected` and `failed`. */
  readonly reason?: string | undefined;
  /** Delay before the next attempt, for `disconnected` and `failed`. */
  readonly retryInMs?: number | undefined;
}

/** The hub's link upstream, as `HiveMindHubServer.upstream` shows it. */
export interface HiveMindUpstreamLink {
  /** True while a session with the upstream hub is open. */
  readonly connected: boolean;
  /** The node of the open session, if any. */
  readonly node: HiveMindNode | undefined;
  /**
   * Sends a message upstream; false when there is no open session or the link is too far
   * behind (more than `maxUnreadBytes` queued), and the message was dropped.
   */
  send(message: HiveMessage): boolean;
}

/** The upstream link's machinery (internal to the hub). */
export class UpstreamLink implements HiveMindUpstreamLink {
  node: HiveMindNode | undefined;
  readonly #options: HiveMindUpstreamOptions;
  readonly #initial: number;
  readonly #max: number;
  readonly #maxQueued: number;
  readonly #onMessage: (message: Required<HiveMessage>) => void;
  readonly #onEvent: (event: HiveMindUpstreamEvent) => void;
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(options: HiveMindUpstreamOptions, maxQueued: number, onMessage: (message: Required<HiveMessage>) => void, onEvent: (event: HiveMindUpstreamEvent) => void) {
    if (options === null || typeof options !== "object" || typeof options.url !== "string") throw new InvalidArgumentError("upstream must be an object with a url and the node's credentials");
    this.#options = options;
    this.#initial = aint(options.initialBackoffMs ?? 500, "upstream.initialBackoffMs", 1);
    this.#max = aint(options.maxBackoffMs ?? 30_000, "upstream.maxBackoffMs", this.#initial);
    this.#maxQueued = maxQueued;
    this.#onMessage = onMessage;
    this.#onEvent = onEvent;
  }

  get connected(): boolean {
    return this.node?.open === true;
  }

  /** Starts connecting (and reconnecting until {@link stop}). */
  start(): void {
    void this.#attempt();
  }

  send(message: HiveMessage): boolean {
    const node = this.node;
    if (node === undefined || !node.open || node.bufferedAmount > this.#maxQueued) return false;
    node.send(message).catch(() => undefined);
    return true;
  }

  /** Stops reconnecting and closes the session. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.node?.close(1001, "hub shutting down");
  }

  /** The delay before the next attempt: doubled per failure since the last success, at most the maximum. */
  #delay(): number {
    const delay = Math.min(this.#max, this.#initial * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    return delay;
  }

  #retry(state: "disconnected" | "failed", reason: string): void {
    if (this.#stopped) return;
    const retryInMs = this.#delay();
    this.#onEvent({ state, reason, retryInMs });
    this.#timer = setTimeout(() => void this.#attempt(), retryInMs);
  }

  async #attempt(): Promise<void> {
    if (this.#stopped) return;
    let node: HiveMindNode;
    try {
      node = await HiveMindNode.connect(this.#options.url, this.#options);
    } catch (error) {
      return this.#retry("failed", (error as Error).message);
    }
    if (this.#stopped) return node.close(1001, "hub shutting down");
    this.node = node;
    this.#failures = 0;
    node.on("message", (message) => this.#onMessage(message));
    node.on("close", ({ code, reason }) => {
      if (this.node === node) this.node = undefined;
      this.#retry("disconnected", `${code}${reason ? ` ${reason}` : ""}`);
    });
    this.#onEvent({ state: "connected" });
  }
}
