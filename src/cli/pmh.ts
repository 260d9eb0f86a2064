#!/usr/bin/env node
/**
 * `pmh`: the poorman-handshake command line. One subcommand per module of `src/cli/`.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { serveCommand } from "./serve.js";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command()
  .name("pmh")
  .description("poorman-handshake: bootstrap symmetric keys over insecure channels (Fiber, poorman_handshake)")
  .version(version);
serveCommand(program);
await program.parseAsync(process.argv);
