/**
 * `pmh password-strength [PASSWORD|-]`: zxcvbn's estimate of a password and whether
 * `PasswordHandShake` would accept it. Reads standard input without an argument (or
 * with `-`), so the password need not appear in the shell history or the process list.
 *
 * @module
 */
import type { Command } from "commander";
import { DEFAULT_MIN_BITS } from "../password/constants.js";
import { estimatePassword } from "../password/strength.js";
import { EXIT, action, jsonOption, parseInteger, printJson, readStdin } from "./common.js";

interface Flags {
  json?: boolean;
  minBits: number;
}

/** Standard input, less the one line break that `echo` or a terminal adds. */
async function passwordFromStdin(): Promise<string> {
  return (await readStdin()).replace(/\r?\n$/, "");
}

async function passwordStrength(argument: string | undefined, flags: Flags): Promise<number> {
  const password = argument === undefined || argument === "-" ? await passwordFromStdin() : argument;
  const estimate = await estimatePassword(password);
  // As Python's check_password_strength: minBits <= 0 accepts anything, "" is refused otherwise.
  const accepted = flags.minBits <= 0 || (password.length > 0 && estimate.bits >= flags.minBits);
  const hint = estimate.warning || estimate.suggestions[0] || "";
  if (flags.json) {
    printJson({ bits: estimate.bits, guessesLog10: estimate.guessesLog10, score: estimate.score, minBits: flags.minBits, accepted, warning: estimate.warning, suggestions: estimate.suggestions });
  } else {
    const verdict = accepted ? "accepted" : "refused";
    console.log(`~${Math.round(estimate.bits)} bits of guess resistance (zxcvbn score ${estimate.score}/4): ${verdict} (${flags.minBits} required)${hint && !accepted ? `. ${hint}` : ""}`);
  }
  return accepted ? EXIT.ok : EXIT.failed;
}

/** Adds `password-strength` to `program`. */
export function passwordStrengthCommand(program: Command): void {
  jsonOption(
    program
      .command("password-strength")
      .description("estimate a password's guess resistance (zxcvbn, as Python poorman_handshake) and say whether PasswordHandShake accepts it; exit 0 accepted, 1 refused")
      .argument("[password]", "the password, or - (or nothing) to read it from standard input (keeps it out of the shell history)")
      .option("--min-bits <n>", "the requirement, as PasswordHandShake's minBits; 0 accepts anything", parseInteger(0, 1024), DEFAULT_MIN_BITS),
  ).action(action("password-strength", passwordStrength));
}
