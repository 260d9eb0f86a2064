/**
 * `prepare` (run by `npm install` in a clone, and by npm when it installs the package from
 * a git URL, which runs `prepare` but not `prepack`): builds dist/ when it is missing, so
 * a git install gets a working package; does nothing when dist/ exists. `prepack` always
 * rebuilds before `npm pack` / `npm publish`.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
if (!existsSync(new URL("../dist/index.js", import.meta.url))) {
  const build = spawnSync("npm", ["run", "build", "--silent"], { cwd: repo, stdio: "inherit" });
  process.exit(build.status ?? 1);
}
