/**
 * The engine's synchronous path (a backend whose functions return plain values, as the
 * node:crypto one does) against its asynchronous path (the same functions returning
 * promises, as Web Crypto's do) and against the portable backend: identical transcripts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { x25519 } from "@noble/curves/ed25519.js";
import { toHex } from "../src/common/bytes.js";
import { DecryptionError, HandshakeRejectedError } from "../src/common/errors.js";
import { type CipherFunction, type DhFunction, HandshakeState, type NoiseBackend, PORTABLE_BACKEND, parsePattern, parseProtocolName } from "../src/noise/index.js";
import { runSteps, settle, type Steps } from "../src/noise/steps.js";
import { NATIVE_BACKENDS } from "./helpers/noise-backends.js";

const mapValues = <T>(table: Readonly<Record<string, T>>, f: (value: T) => T): Record<string, T> =>
  Object.fromEntries(Object.entries(table).map(([name, value]) => [name, f(value)]));

/** The backend with every DH and cipher call answered by a promise (the engine's asynchronous path). */
function asynchronous(backend: NoiseBackend): NoiseBackend {
  const dh = (f: DhFunction): DhFunction => ({ ...f, dh: async (privateKey, publicKey, own) => f.dh(privateKey, publicKey, own) });
  const cipher = (c: CipherFunction): CipherFunction => ({
    ...c,
    async importKey(key) {
      const aead = await c.importKey(key);
      return { destroy: () => aead.destroy(), encrypt: async (n, ad, p) => aead.encrypt(n, ad, p), decrypt: async (n, ad, x) => aead.decrypt(n, ad, x) };
    },
  });
  return { dh: mapValues(backend.dh, dh), cipher: mapValues(backend.cipher, cipher), hash: backend.hash };
}

const PATTERNS = ["NN", "XX", "XXpsk2", "KKpsk0", "IK", "IKpsk2", "XK", "NK", "KX", "IX", "X", "Npsk0", "XXpsk0+psk3"] as const;
const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const CASE = fc.record({
  pattern: fc.constantFrom(...PATTERNS),
  cipher: fc.constantFrom("ChaChaPoly", "AESGCM"),
  prologue: fc.uint8Array({ maxLength: 80 }),
  payloads: fc.array(fc.uint8Array({ maxLength: 120 }), { minLength: 4, maxLength: 4 }),
  keys: fc.tuple(key, key, key, key),
  psks: fc.array(key, { minLength: 2, maxLength: 2 }),
});
type Case = typeof CASE extends fc.Arbitrary<infer T> ? T : never;

/** Runs a whole handshake and one transport message each way; returns everything on the wire and seen. */
async function transcript(backend: NoiseBackend, c: Case): Promise<string[]> {
  const protocol = parseProtocolName(`Noise_${c.pattern}_25519_${c.cipher}_SHA256`, backend);
  const pattern = parsePattern(c.pattern);
  const [is, rs, ie, re] = c.keys;
  const psks = c.psks.slice(0, pattern.pskCount);
  const side = (initiator: boolean) => HandshakeState.initialize({
    protocol, initiator, prologue: c.prologue, psks,
    staticKey: initiator ? is : rs, ephemeralKey: initiator ? ie : re,
    remoteStaticKey: (initiator ? pattern.responderPre : pattern.initiatorPre).includes("s") ? x25519.getPublicKey(initiator ? rs : is) : undefined,
  });
  const [alice, bob] = [side(true), side(false)];
  const out: string[] = [];
  for (let i = 0; !alice.isComplete; i++) {
    const [writer, reader] = alice.isMyTurn ? [alice, bob] : [bob, alice];
    const message = await writer.writeMessage(c.payloads[i % c.payloads.length]);
    out.push(toHex(message), toHex(await reader.readMessage(message)));
  }
  const [a, b] = [await alice.split(), await bob.split()];
  out.push(toHex(a.handshakeHash), toHex(b.handshakeHash));
  const there = await a.send.encryptWithAd(c.prologue, c.payloads[0]!);
  const back = await b.send.encryptWithAd(c.prologue, c.payloads[1]!);
  out.push(toHex(there), toHex(await b.receive.decryptWithAd(c.prologue, there)), toHex(back), toHex(await a.receive.decryptWithAd(c.prologue, back)));
  return out;
}

describe("Noise engine: synchronous and asynchronous paths", () => {
  it(`${NATIVE_BACKENDS.map(([label]) => label).join(" and ")} (synchronous), each behind promises, and the portable backend write identical transcripts`, async () => {
    const backends = NATIVE_BACKENDS.flatMap(([, backend]) => [backend, asynchronous(backend)]);
    await fc.assert(fc.asyncProperty(CASE, async (c) => {
      const expected = await transcript(PORTABLE_BACKEND, c);
      for (const backend of backends) assert.deepEqual(await transcript(backend, c), expected);
    }), { numRuns: 60 });
  });

  for (const [label, native] of NATIVE_BACKENDS) it(`on a synchronous backend (${label}) a message is done when the call returns; on an asynchronous one it is not`, async () => {
    for (const [backend, synchronous] of [[native, true], [asynchronous(native), false]] as const) {
      const protocol = parseProtocolName("Noise_XX_25519_ChaChaPoly_SHA256", backend);
      const alice = HandshakeState.initialize({ protocol, initiator: true, staticKey: new Uint8Array(32).fill(1) });
      const bob = HandshakeState.initialize({ protocol, initiator: false, staticKey: new Uint8Array(32).fill(2) });
      await bob.readMessage(await alice.writeMessage());
      const m2 = bob.writeMessage();
      assert.equal(bob.isMyTurn, !synchronous, "the message index moved within the call");
      await alice.readMessage(await m2);
    }
  });

  for (const [label, native] of NATIVE_BACKENDS) it(`a failure on either path (${label}) rejects and kills the handshake`, async () => {
    for (const backend of [native, asynchronous(native)]) {
      const protocol = parseProtocolName("Noise_XXpsk2_25519_ChaChaPoly_SHA256", backend);
      const alice = HandshakeState.initialize({ protocol, initiator: true, staticKey: new Uint8Array(32).fill(1), psks: [new Uint8Array(32).fill(7)] });
      const bob = HandshakeState.initialize({ protocol, initiator: false, staticKey: new Uint8Array(32).fill(2), psks: [new Uint8Array(32).fill(8)] });
      const m1 = alice.writeMessage();
      assert.ok(m1 instanceof Promise, "the public methods always answer with a promise");
      await bob.readMessage(await m1); // the PSK is mixed in at the end of message 2
      await assert.rejects(alice.readMessage(await bob.writeMessage()), (e: unknown) => e instanceof HandshakeRejectedError && e.cause instanceof DecryptionError);
      await assert.rejects(alice.writeMessage(), /failed earlier/);
    }
  });
});

describe("runSteps", () => {
  function* steps(values: readonly unknown[], log: unknown[]): Steps<number> {
    let sum = 0;
    for (const value of values) {
      try {
        sum += yield* settle(value as number | Promise<number>);
      } catch (error) {
        log.push(`caught ${(error as Error).message}`);
      }
    }
    return sum;
  }

  it("returns a plain result while every step is plain, a promise from the first promise on", async () => {
    const log: unknown[] = [];
    assert.equal(runSteps(steps([1, 2, 3], log)), 6);
    const pending = runSteps(steps([1, Promise.resolve(2), 3, Promise.resolve(4)], log));
    assert.ok(pending instanceof Promise);
    assert.equal(await pending, 10);
    assert.deepEqual(log, []);
  });

  it("throws a rejection into the steps where it was yielded; a throw from the steps propagates", async () => {
    const log: unknown[] = [];
    assert.equal(await runSteps(steps([1, Promise.reject(new Error("no")), 5], log)), 6);
    assert.deepEqual(log, ["caught no"]);
    function* failing(): Steps<never> {
      yield 1;
      throw new Error("sync failure");
    }
    assert.throws(() => runSteps(failing()), /sync failure/);
    function* failingLater(): Steps<never> {
      yield Promise.resolve(1);
      throw new Error("async failure");
    }
    await assert.rejects(Promise.resolve(runSteps(failingLater())), /async failure/);
  });
});
