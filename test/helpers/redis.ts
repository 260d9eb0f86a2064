/**
 * A real redis-server for the tests: started on a free 127.0.0.1 port in a temp folder,
 * with persistence off, stopped (and restarted empty) on demand.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The reason to print when redis-server is missing. */
export const REDIS_MISSING = "redis-server not installed: apt-get install redis-server";

/** True when `redis-server` runs here. */
export const hasRedisServer: boolean = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;

/** A free TCP port on 127.0.0.1 (free when asked; good enough for a test). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A running redis-server. */
export class RedisServer {
  #child: ChildProcess | undefined;
  readonly #dir = mkdtempSync(join(tmpdir(), "pmh-redis-"));

  private constructor(
    readonly port: number,
    readonly args: readonly string[],
  ) {}

  /**
   * Starts one on a free port; resolves once it accepts connections.
   * @param args - more redis-server options, e.g. `["--requirepass", "s3cret"]`
   */
  static async start(args: readonly string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), args);
    await server.restart();
    return server;
  }

  /** `redis://127.0.0.1:port`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * (Re)starts the server; resolves once it accepts connections. No automatic snapshots:
   * it starts empty unless a test ran `SAVE`, whose snapshot it then loads.
   */
  async restart(): Promise<void> {
    if (this.#child !== undefined) return;
    const child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.#dir, ...this.args], { stdio: "ignore" });
    this.#child = child;
    child.once("exit", () => {
      if (this.#child === child) this.#child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (!(await accepts(this.port))) {
      if (Date.now() > deadline || this.#child !== child) throw new Error(`redis-server did not start on port ${this.port}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stops the server (its data is gone); resolves once it has exited. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.thaw();
    this.#child = undefined;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  /** Freezes the server (SIGSTOP): connections stay open but nothing is answered. */
  freeze(): void {
    this.#child?.kill("SIGSTOP");
  }

  /** Lets a frozen server run again (SIGCONT). */
  thaw(): void {
    this.#child?.kill("SIGCONT");
  }

  /** Stops the server and removes its folder. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** Polls `check` every 25 ms until it is true or `ms` have passed. */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}
