#!/usr/bin/env node
/**
 * `pmh`: the poorman-handshake command line. One module of `src/cli/` per group of
 * subcommands; exit codes and error handling in `common.ts`.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { metagraphCommand, postIpCommand } from "./chain.js";
import { clientCommands } from "./client.js";
import { connectCommand } from "./connect.js";
import { EXIT, EXIT_CODES_HELP, oneErrorStyle, pemArgumentsLast } from "./common.js";
import { demoCommand } from "./demo.js";
import { hubCommand } from "./hub.js";
import { keyCommands } from "./keys.js";
import { passwordStrengthCommand } from "./password-strength.js";
import { serveCommand } from "./serve.js";
import "../fiber/node/install.js";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command()
  .name("pmh")
  .description("poorman-handshake: bootstrap symmetric keys over insecure channels (poorman_handshake password and RSA handshakes, HiveMind protocol v3 Noise, Bittensor Fiber)")
  .version(version)
  .addHelpText("after", EXIT_CODES_HELP)
  .showSuggestionAfterError()
  .configureOutput({ outputError: (text, write) => write(oneErrorStyle("pmh", text)) })
  .exitOverride();
demoCommand(program);
keyCommands(program);
passwordStrengthCommand(program);
serveCommand(program);
clientCommands(program);
hubCommand(program);
connectCommand(program);
metagraphCommand(program);
postIpCommand(program);
// Usage errors exit 2 (commander prints them); every subcommand inherits exitOverride.
for (const command of program.commands) {
  command.exitOverride().configureOutput({ outputError: (text, write) => write(oneErrorStyle(`pmh ${command.name()}`, text)) });
}

try {
  await program.parseAsync(pemArgumentsLast(process.argv));
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // --help, help and --version exit 0; `pmh` alone (help on stderr) and usage errors exit 2.
  process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
}
