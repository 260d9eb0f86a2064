#!/usr/bin/env node
/**
 * The `pmh` executable: checks that the command line's optional peer dependency
 * (`commander`) is installed, saying how to install it if not, then runs `pmh.ts`.
 * A library-only install of poorman-handshake does not need it.
 *
 * @module
 */
import { importOptional } from "../common/node/optional-dependency.js";

try {
  await importOptional("commander", "pmh (the poorman-handshake command line)", () => import("commander"));
} catch (error) {
  console.error(`pmh: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1); // EXIT.failed (common.ts itself needs commander)
}
await import("./pmh.js");
