/** The signed bodies' SHA-256 on Node: `node:crypto`'s, installed by the Node entry points, giving Web Crypto's hex for every body. */
import assert from "node:assert/strict";
import { it } from "node:test";
import fc from "fast-check";
import { bufferSource, toHex } from "../src/common/bytes.js";
import { InvalidArgumentError } from "../src/common/errors.js";
import "../src/fiber/node/install.js";
import { bodyHash, setBodyHashBackend } from "../src/fiber/signed.js";

const webCrypto = async (bytes: Uint8Array) => toHex(new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bufferSource(bytes))));

it("bodyHash after the Node install answers Web Crypto's hex for any body, string or bytes", async () => {
  assert.equal(await bodyHash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const big = new Uint8Array(1024 * 1024).map((_, i) => i * 31);
  assert.equal(await bodyHash(big), await webCrypto(big));
  // A view into a larger buffer hashes only its own bytes.
  assert.equal(await bodyHash(big.subarray(100, 1124)), await webCrypto(big.slice(100, 1124)));
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => assert.equal(await bodyHash(bytes), await webCrypto(bytes))));
  await fc.assert(fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 200 }), async (text) => assert.equal(await bodyHash(text), await webCrypto(new TextEncoder().encode(text)))));
});

it("setBodyHashBackend refuses what is not a function", () => {
  assert.throws(() => setBodyHashBackend("sha256" as never), InvalidArgumentError);
});
