#!/usr/bin/env node
/**
 * `pmh`: the poorman-handshake command line. One module of `src/cli/` per group of
 * subcommands; exit codes and error handling in `common.ts`.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { EXIT, EXIT_CODES_HELP, oneErrorStyle, pemArgumentsLast } from "./common.js";
import { COMMAND_MODULES } from "./commands.js";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command()
  .name("pmh")
  .description("poorman-handshake: bootstrap symmetric keys over insecure channels (poorman_handshake password and RSA handshakes, HiveMind protocol v3 Noise, Bittensor Fiber)")
  .version(version)
  .addHelpText("after", EXIT_CODES_HELP)
  .showSuggestionAfterError()
  .configureOutput({ outputError: (text, write) => write(oneErrorStyle("pmh", text)) })
  .exitOverride();
const argv = pemArgumentsLast(process.argv);
const named = COMMAND_MODULES.find((module) => module.names.includes(argv[2] ?? ""));
for (const add of await Promise.all((named === undefined ? COMMAND_MODULES : [named]).map((module) => module.load()))) add(program);
// Usage errors exit 2 (commander prints them); every subcommand inherits exitOverride.
for (const command of program.commands) {
  command.exitOverride().configureOutput({ outputError: (text, write) => write(oneErrorStyle(`pmh ${command.name()}`, text)) });
}

try {
  await program.parseAsync(argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // --help, help and --version exit 0; `pmh` alone (help on stderr) and usage errors exit 2.
  process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
}
