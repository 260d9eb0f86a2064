/**
 * The layout holds (docs/architecture.md): each protocol's folder holds everything about
 * it, its Node-only part in `<protocol>/node/`; no portable module imports Node code; a
 * protocol imports only the protocols it builds on, and their Node side only from its own;
 * every `node` export condition points at a `<protocol>/node/index.js`.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { layoutViolations, PROTOCOL_DEPENDENCIES } from "./helpers/layout-rules.js";

const repo = fileURLToPath(new URL("..", import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every module of src/ with what it imports (static, dynamic and re-exports), as TypeScript reads them. */
function importsOfTree(): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const path of sourceFiles(join(repo, "src"))) {
    const info = ts.preProcessFile(readFileSync(path, "utf8"), true, true);
    map.set(relative(repo, path).split("\\").join("/"), info.importedFiles.map((f) => f.fileName));
  }
  return map;
}

describe("layout", () => {
  it("the tree breaks no import rule", () => {
    const tree = importsOfTree();
    assert.ok(tree.size > 100, "read the whole tree");
    assert.deepEqual(layoutViolations(tree), []);
  });

  it("src/node/ holds only the barrel of ./node, and every protocol its own Node side", () => {
    assert.deepEqual(readdirSync(join(repo, "src/node")), ["index.ts"]);
    for (const protocol of ["rsa", "noise", "fiber", "hivemind"]) assert.ok(readdirSync(join(repo, "src", protocol, "node")).includes("index.ts"), protocol);
  });

  it("each node export condition points at <protocol>/node/index.js", () => {
    const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { exports: Record<string, string | Record<string, string>> };
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === "string" || target.node === undefined) continue;
      const expected = subpath === "." ? "./dist/index.node.js" : `./dist/${subpath.slice(2)}/node/index.js`;
      assert.equal(target.node, expected, subpath);
    }
  });

  describe("the rules bite", () => {
    const check = (file: string, ...specs: string[]) => layoutViolations(new Map([[file, specs]]));
    it("a portable module importing node:, a Node-only package or a node/ folder", () => {
      assert.equal(check("src/fiber/server.ts", "node:fs").length, 1);
      assert.equal(check("src/hivemind/satellite.ts", "ws").length, 1);
      assert.equal(check("src/noise/psk.ts", "./node/argon2.js").length, 1);
      assert.equal(check("src/common/bytes.ts", "./node/files.js").length, 1);
      assert.equal(check("src/index.ts", "./fiber/node/serve.js").length, 1);
      assert.equal(check("src/index.ts", "commander").length, 1);
    });
    it("a protocol importing another protocol's Node side, or one it does not build on", () => {
      assert.equal(check("src/hivemind/node/server.ts", "../../fiber/node/serve.js").length, 1);
      assert.equal(check("src/fiber/node/serve.ts", "../../noise/node/install.js").length, 1);
      assert.equal(check("src/fiber/client.ts", "../hivemind/message.js").length, 1);
      assert.equal(check("src/rsa/keys.ts", "../fiber/constants.js").length, 1);
      assert.equal(check("src/common/errors.ts", "../rsa/keys.js").length, 1);
    });
    it("what the layout allows", () => {
      assert.deepEqual(check("src/fiber/node/install.ts", "../../rsa/node/install.js", "../fernet.js", "node:crypto", "../../common/node/buffers.js"), []);
      assert.deepEqual(check("src/hivemind/node/server.ts", "ws", "../../noise/node/x25519-key-files.js", "./install.js"), []);
      assert.deepEqual(check("src/fiber/client.ts", "../rsa/index.js", "../common/bytes.js", "@noble/hashes/sha2.js"), []);
      assert.deepEqual(check("src/cli/serve.ts", "../fiber/node/serve.js", "commander"), []);
      assert.deepEqual(check("src/node/index.ts", "../hivemind/node/server.js"), []);
      assert.deepEqual(check("src/index.node.ts", "./rsa/node/install.js", "./password/handshake.js"), []);
      assert.deepEqual(Object.keys(PROTOCOL_DEPENDENCIES).sort(), ["fiber", "hivemind", "noise", "password", "rsa"]);
    });
  });
});
