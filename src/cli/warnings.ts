/**
 * Warnings of `pmh`: one line on stderr per distinct warning, in the commands' error style.
 *
 * @module
 */
import type { WarningHandler } from "../common/warnings.js";

const printed = new Set<string>();

/**
 * The `onWarning` hook `pmh <command>` gives the library: prints
 * `pmh <command>: warning: <message>` on stderr, once per message in the process.
 * @param command - the subcommand's name; `pmh: warning: ...` without it
 */
export function cliWarnings(command?: string): WarningHandler {
  const prefix = command === undefined ? "pmh" : `pmh ${command}`;
  return (warning) => {
    if (printed.has(warning.message)) return;
    printed.add(warning.message);
    console.error(`${prefix}: warning: ${warning.message}`);
  };
}
