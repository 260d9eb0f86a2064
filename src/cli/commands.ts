/**
 * The modules of `pmh`'s subcommands, each loaded only when needed (see {@link COMMAND_MODULES}).
 *
 * @module
 */
import type { Command } from "commander";

/** A module of subcommands: the names it adds, and how to load its function that adds them. */
export interface CommandModule {
  readonly names: readonly string[];
  readonly load: () => Promise<(program: Command) => void>;
}

/**
 * Every module of subcommands, in the order `pmh --help` lists them. A run that names its
 * subcommand first (`pmh serve ...`) loads only that module: the others (HiveMind, the
 * chain, the demo) took a good part of the time `pmh serve` needed to answer its first
 * request. Help, errors and anything else load them all, in this order.
 */
export const COMMAND_MODULES: readonly CommandModule[] = [
  { names: ["demo"], load: async () => (await import("./demo.js")).demoCommand },
  { names: ["keygen", "pubkey", "fingerprint"], load: async () => (await import("./keys.js")).keyCommands },
  { names: ["password-strength"], load: async () => (await import("./password-strength.js")).passwordStrengthCommand },
  { names: ["serve"], load: async () => (await import("./serve.js")).serveCommand },
  { names: ["handshake", "send"], load: async () => (await import("./client.js")).clientCommands },
  { names: ["hub"], load: async () => (await import("./hub.js")).hubCommand },
  { names: ["connect"], load: async () => (await import("./connect.js")).connectCommand },
  { names: ["metagraph"], load: async () => (await import("./chain.js")).metagraphCommand },
  { names: ["post-ip"], load: async () => (await import("./chain.js")).postIpCommand },
];
