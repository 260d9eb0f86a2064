/**
 * `pmh` loads only the module of the subcommand it is given first: the table of modules must
 * name exactly the commands each module adds, and `pmh --help` must still list every command,
 * in the table's order.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Command } from "commander";
import { COMMAND_MODULES } from "../src/cli/commands.js";
import { pmh } from "./helpers/cli.js";

describe("pmh's subcommand modules", { timeout: 60_000 }, () => {
  it("each module adds exactly the commands the table names, and no two modules name one command", async () => {
    for (const module of COMMAND_MODULES) {
      const program = new Command();
      (await module.load())(program);
      assert.deepEqual(program.commands.map((c) => c.name()), module.names);
    }
    const names = COMMAND_MODULES.flatMap((m) => m.names);
    assert.equal(new Set(names).size, names.length);
  });

  it("pmh --help lists every command of the table, in its order; an unknown command is still suggested against all of them", async () => {
    const top = await pmh(["--help"]);
    assert.equal(top.code, 0, top.stderr);
    const listed = [...top.stdout.matchAll(/^ {2}([a-z-]+)(?: \[options\]| <|\s)/gm)].map((m) => m[1]!).filter((name) => name !== "help");
    assert.deepEqual(listed, COMMAND_MODULES.flatMap((m) => m.names));
    const typo = await pmh(["serv"]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /Did you mean serve\?/);
  });
});
