/**
 * The layout's import rules, as a pure function over a map of module → import specifiers,
 * so test/layout.test.ts can prove both the real tree and that each rule bites.
 *
 * - A portable module (anything under src/ outside a `node/` folder, `cli/` and
 *   `index.node.ts`) imports no `node:` module, no Node-only package and no `node/` folder.
 * - `common/` imports no protocol; a protocol imports `common/` and the protocols it builds
 *   on ({@link PROTOCOL_DEPENDENCIES}), never another.
 * - A protocol's `node/` side may import its own protocol, `common/` (both sides), and the
 *   portable and Node sides of the protocols it builds on; never another protocol's.
 * - `src/node/` is only the barrel of the `./node` subpath; it and `cli/` may import anything,
 *   and the root entries (`index.ts`, `index.node.ts`) any protocol (their own side only).
 */
import { posix } from "node:path";

/** Which protocols each protocol builds on (the only cross-protocol imports allowed). */
export const PROTOCOL_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  password: [],
  rsa: [],
  noise: [],
  fiber: ["rsa"],
  hivemind: ["noise", "rsa"],
};

/** Packages that only run on Node (native addons, Node servers, the CLI's parser). */
export const NODE_ONLY_PACKAGES: readonly string[] = ["ws", "@redis/client", "sodium-native", "argon2", "commander"];

/** Where a module sits: its top folder under src/ and whether it is on a `node/` side. */
export function placeOf(file: string): { top: string; nodeSide: boolean } {
  const parts = file.replace(/^src\//, "").split("/");
  const top = parts.length === 1 ? "" : parts[0]!;
  return { top, nodeSide: parts.slice(0, -1).includes("node") || top === "node" || file === "src/index.node.ts" };
}

const packageName = (spec: string): string => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);

/** One line per import that breaks a rule: `from -> spec: why`. */
export function layoutViolations(imports: ReadonlyMap<string, readonly string[]>): string[] {
  const out: string[] = [];
  for (const [file, specs] of imports) {
    const from = placeOf(file);
    if (from.top === "cli" || (from.top === "node" && from.nodeSide)) continue;
    for (const spec of specs) {
      const bad = (why: string) => out.push(`${file} -> ${spec}: ${why}`);
      if (!spec.startsWith(".")) {
        const nodeOnly = spec.startsWith("node:") || NODE_ONLY_PACKAGES.includes(packageName(spec));
        if (nodeOnly && !from.nodeSide) bad("a portable module imports Node-only code");
        continue;
      }
      const target = posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.js$/, ".ts");
      const to = placeOf(target);
      if (to.nodeSide && !from.nodeSide) {
        bad("a portable module imports a node/ folder");
        continue;
      }
      if (to.top === "cli" || (to.top === "node" && to.nodeSide)) {
        bad("only the CLI imports the CLI, and nothing imports the ./node barrel");
        continue;
      }
      // The package's root entries (src/index.ts, src/index.node.ts) gather the protocols.
      if (to.top === from.top || to.top === "common" || to.top === "" || from.top === "") continue;
      if (from.top === "common") {
        bad("common/ imports no protocol");
        continue;
      }
      const allowed = PROTOCOL_DEPENDENCIES[from.top] ?? [];
      if (!allowed.includes(to.top)) bad(to.nodeSide ? `${from.top} imports the Node side of ${to.top}, which it does not build on` : `${from.top} does not build on ${to.top}`);
    }
  }
  return out;
}
