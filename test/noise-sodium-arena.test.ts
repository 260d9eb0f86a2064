/**
 * The libsodium backend's shared working memory holds no secret once a call returns:
 * the addon is wrapped so the test sees the arena buffer the backend hands it.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { loadSodiumNoiseBackend } from "../src/node/index.js";
import { SODIUM_SKIP } from "./helpers/noise-backends.js";

const require = createRequire(import.meta.url);

/** Loads the backend on a wrapped addon that records every ArrayBuffer it is handed. */
async function spiedBackend() {
  const sodium = require("sodium-native") as Record<string, unknown>;
  const buffers = new Set<ArrayBufferLike>();
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(sodium)) {
    wrapped[name] = typeof fn !== "function" ? fn : (...args: unknown[]) => {
      for (const arg of args) if (arg instanceof Uint8Array) buffers.add(arg.buffer);
      return (fn as (...a: unknown[]) => unknown)(...args);
    };
  }
  const backend = await loadSodiumNoiseBackend(async () => wrapped);
  assert.ok(backend);
  return { backend, buffers };
}

/** True when `needle` occurs in one of `buffers`. */
function occurs(buffers: Set<ArrayBufferLike>, needle: Uint8Array): boolean {
  const hex = Buffer.from(needle).toString("hex");
  for (const buffer of buffers) {
    const all = Buffer.from(new Uint8Array(buffer as ArrayBuffer)).toString("hex");
    for (let i = all.indexOf(hex); i !== -1; i = all.indexOf(hex, i + 1)) if (i % 2 === 0) return true;
  }
  return false;
}

describe("libsodium backend arena", { skip: SODIUM_SKIP }, () => {
  it("keeps no re-keyed ChaChaPoly key in the arena after the rekey encryption", async () => {
    const { backend, buffers } = await spiedBackend();
    const cipher = backend.cipher.ChaChaPoly!;
    const key = new Uint8Array(32).fill(7);
    const aead = await cipher.importKey(key);
    // Noise Rekey: the new key is the first 32 bytes of ENCRYPT(k, 2^64-1, empty, zeros).
    const sealed = await aead.encrypt(2n ** 64n - 1n, new Uint8Array(0), new Uint8Array(32));
    const newKey = sealed.subarray(0, 32);
    aead.destroy();
    // The slabs hold live keys by design: only the arena (the buffer of the nonce) is checked.
    const arena = [...buffers].filter((b) => b.byteLength > 4096);
    assert.ok(arena.length > 0, "the arena was seen");
    assert.equal(occurs(new Set(arena), newKey), false, "the new key is not left in the arena");
  });

  it("keeps no DH private key, shared secret or HKDF output in the arena", async () => {
    const { backend, buffers } = await spiedBackend();
    const dh = backend.dh["25519"]!;
    const a = await dh.generateKeyPair();
    const b = await dh.generateKeyPair();
    const shared = await dh.dh(a.privateKey, b.publicKey);
    const hash = backend.hash.SHA256!;
    const [k1, k2] = await hash.hkdf(new Uint8Array(32).fill(1), shared, 2);
    const arena = new Set([...buffers].filter((x) => x.byteLength > 4096));
    for (const secret of [a.privateKey, b.privateKey, shared, k1!, k2!]) assert.equal(occurs(arena, secret), false);
  });
});
