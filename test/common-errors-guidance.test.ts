/** Errors a new user meets first: each is a PoormanError that names the argument and what to do. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidArgumentError, MissingDependencyError, PoormanError } from "../src/common/errors.js";
import { LegacyTransport } from "../src/hivemind/legacy.js";
import { importOptional } from "../src/common/node/optional-dependency.js";

describe("errors that say what to do", () => {
  it("the portable build's key-file options are an InvalidArgumentError pointing to options.privateKey", async () => {
    // dist/index.js is what browsers, workers and bundlers get: no node:fs, no key files.
    const { HandShake } = (await import("../dist/index.js")) as unknown as typeof import("../src/index.js");
    await assert.rejects(HandShake.create({ path: "keys/a.pem" }), (e: unknown) => {
      // dist's own classes, not src's: compare name and code.
      assert.ok(e instanceof Error && e.name === "InvalidArgumentError" && (e as PoormanError).code === "ERR_INVALID_ARGUMENT", String(e));
      assert.match(e.message, /^options\.path needs key files/);
      assert.match(e.message, /exportPrivateKeyPem, then HandShake\.create\(\{ privateKey \}\)/);
      return true;
    });
  });

  it("LegacyTransport.encryptJson and encryptBinary name both accepted types", async () => {
    const t = await LegacyTransport.create(new Uint8Array(32));
    for (const bad of [{ a: 1 }, 42, null, [1]]) {
      await assert.rejects(t.encryptJson(bad as unknown as string), (e: unknown) => e instanceof InvalidArgumentError && /^plaintext must be a string or a Uint8Array/.test(e.message));
      await assert.rejects(t.encryptBinary(bad as unknown as string), InvalidArgumentError);
    }
  });

  it("a missing optional peer dependency is a MissingDependencyError naming the package to install", async () => {
    const missing = "poorman-handshake-no-such-package";
    await assert.rejects(importOptional(missing, "the test", () => import(missing)), (e: unknown) => {
      assert.ok(e instanceof MissingDependencyError, String(e));
      assert.equal(e.code, "ERR_MISSING_DEPENDENCY");
      assert.equal(e.packageName, missing);
      assert.match(e.message, new RegExp(`^the test needs the optional package ${missing}, which is not installed: run \`npm install ${missing}\``));
      return true;
    });
    // A package that is installed but broken is not reported as missing.
    await assert.rejects(importOptional("x", "the test", () => Promise.reject(new SyntaxError("broken"))), SyntaxError);
  });
});
