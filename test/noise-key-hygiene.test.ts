import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { HandshakeRejectedError, HandshakeStateError } from "../src/common/errors.js";
import { type AeadKey, type CipherFunction, CipherState, HandshakeState, type KeyPair, type NoiseBackend, aesGcm, chaChaPoly, parseProtocolName } from "../src/noise/index.js";
import { nodeAesGcm, nodeChaChaPoly } from "../src/node/index.js";
import { NOISE_BACKENDS } from "./helpers/noise-backends.js";

const EMPTY = new Uint8Array(0);
const PROBE = new TextEncoder().encode("probe");

/**
 * Test-only spy: the cipher function, recording every key object it hands out. It answers
 * as the cipher does (synchronously for node:crypto), so the engine takes the same path.
 */
function spyCipher(cipher: CipherFunction): { cipher: CipherFunction; keys: AeadKey[] } {
  const keys: AeadKey[] = [];
  const record = (aead: AeadKey): AeadKey => (keys.push(aead), aead);
  return { keys, cipher: { ...cipher, importKey: (key) => { const aead = cipher.importKey(key); return aead instanceof Promise ? aead.then(record) : record(aead as AeadKey); } } };
}

/** True when `aead` now encrypts under the all-zero key, i.e. its key copy was zeroed. */
async function holdsZeroKey(cipher: CipherFunction, aead: AeadKey): Promise<boolean> {
  const zero = await cipher.importKey(new Uint8Array(32));
  return Buffer.from(await aead.encrypt(0n, EMPTY, PROBE)).equals(Buffer.from(await zero.encrypt(0n, EMPTY, PROBE)));
}

const CHACHA_BACKENDS: [string, NoiseBackend, CipherFunction][] = NOISE_BACKENDS.map(([label, backend]) => [label, backend, backend.cipher.ChaChaPoly!]);

describe("Noise key hygiene", () => {
  it("node:crypto ciphers keep their key copy out of Node's shared Buffer pool (any small Buffer's .buffer would show it)", () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
    const needle = Buffer.from(key.buffer, key.byteOffset, key.length); // a view: no copy in the pool
    const holds = (slab: ArrayBufferLike) => Buffer.from(slab as ArrayBuffer).includes(needle);
    for (const cipher of [nodeChaChaPoly, nodeAesGcm]) {
      // The copy lands in the slab of the Buffer made just before, or in a new one that the next small Buffer shares.
      const before = Buffer.from("before").buffer;
      const aead = cipher.importKey(key) as AeadKey;
      const after = Buffer.from("after").buffer;
      assert.equal(holds(before) || holds(after), false, cipher.name);
      aead.destroy();
    }
  });

  it("a destroyed CipherState refuses to encrypt or decrypt (never passes data through in the clear)", async () => {
    const plain = new TextEncoder().encode("secret");
    for (const cipher of [chaChaPoly, aesGcm, nodeChaChaPoly, ...NOISE_BACKENDS.map(([, backend]) => backend.cipher.ChaChaPoly!)]) {
      const state = await CipherState.withKey(cipher, new Uint8Array(32).fill(9));
      const sealed = await state.encryptWithAd(new Uint8Array(0), plain);
      state.destroy();
      await assert.rejects(state.encryptWithAd(new Uint8Array(0), plain), HandshakeStateError);
      await assert.rejects(state.decryptWithAd(new Uint8Array(0), sealed), HandshakeStateError);
      await assert.rejects(state.initializeKey(new Uint8Array(32)), HandshakeStateError);
      await assert.rejects(state.rekey(), HandshakeStateError);
    }
  });
  for (const [label, backend, cipher] of CHACHA_BACKENDS) {
    it(`CipherState.destroy and re-initialisation zero the ${label} ChaChaPoly key copy`, async () => {
      const spy = spyCipher(cipher);
      const state = await CipherState.withKey(spy.cipher, new Uint8Array(32).fill(7));
      await state.initializeKey(new Uint8Array(32).fill(9));
      assert.equal(spy.keys.length, 2);
      assert.ok(await holdsZeroKey(cipher, spy.keys[0]!), "the replaced key is zeroed");
      assert.ok(!(await holdsZeroKey(cipher, spy.keys[1]!)), "the current key is live");
      await state.rekey();
      assert.ok(await holdsZeroKey(cipher, spy.keys[1]!), "rekey zeroes the old key");
      state.destroy();
      assert.ok(await holdsZeroKey(cipher, spy.keys[2]!), "destroy zeroes the current key");
    });

    it(`a ${label} handshake leaves no live handshake key in the backend once split`, async () => {
      const spy = spyCipher(cipher);
      const protocol = parseProtocolName("Noise_NN_25519_ChaChaPoly_SHA256", { ...backend, cipher: { ...backend.cipher, ChaChaPoly: spy.cipher } });
      const alice = HandshakeState.initialize({ protocol, initiator: true });
      const bob = HandshakeState.initialize({ protocol, initiator: false });
      await bob.readMessage(await alice.writeMessage());
      await alice.readMessage(await bob.writeMessage());
      const handshakeKeys = spy.keys.length;
      const [a, b] = [await alice.split(), await bob.split()];
      for (const aead of spy.keys.slice(0, handshakeKeys)) assert.ok(await holdsZeroKey(cipher, aead));
      for (const state of [a.send, a.receive, b.send, b.receive]) state.destroy();
      for (const aead of spy.keys) assert.ok(await holdsZeroKey(cipher, aead));
    });
  }

  it("AESGCM wipes the key copy it handed to Web Crypto; destroy drops the CryptoKey", async () => {
    const seen: Uint8Array[] = [];
    const subtle = globalThis.crypto.subtle;
    const original = subtle.importKey.bind(subtle) as (...args: unknown[]) => Promise<CryptoKey>;
    mock.method(subtle, "importKey", (...args: unknown[]) => {
      if (args[0] === "raw" && args[1] instanceof Uint8Array) seen.push(args[1]);
      return original(...args);
    });
    const key = new Uint8Array(32).fill(7);
    let state: CipherState;
    try {
      state = await CipherState.withKey(aesGcm, key);
    } finally {
      mock.restoreAll();
    }
    assert.equal(seen.length, 1);
    assert.ok(seen[0]!.every((b) => b === 0), "the imported bytes are wiped");
    assert.ok(key.every((b) => b === 7), "the caller's key is untouched");
    const sealed = await state.encryptWithAd(EMPTY, PROBE);
    assert.deepEqual(await (await CipherState.withKey(aesGcm, key)).decryptWithAd(EMPTY, sealed), PROBE);
    state.destroy();
    assert.ok(!state.hasKey());
  });

  for (const [label, backend] of CHACHA_BACKENDS) {
    /** The backend with a spy recording every key pair its X25519 generates. */
    const spyBackend = () => {
      const pairs: KeyPair[] = [];
      const x = backend.dh["25519"]!;
      const dh = { ...x, generateKeyPair: () => { const pair = x.generateKeyPair(); pairs.push(pair); return pair; } };
      return { pairs, protocol: parseProtocolName("Noise_XXpsk2_25519_ChaChaPoly_SHA256", { ...backend, dh: { ...backend.dh, "25519": dh } }) };
    };
    const staticPair = (): KeyPair => { const privateKey = new Uint8Array(32).fill(3); return { privateKey, publicKey: backend.dh["25519"]!.publicKey(privateKey) }; };

    it(`a failed ${label} handshake wipes its ephemeral private keys, never the caller's static key`, async () => {
      const { pairs, protocol } = spyBackend();
      const aliceStatic = staticPair();
      const bobStatic = new Uint8Array(32).fill(5);
      // Wrong PSK: Alice fails reading message 2, after generating her ephemeral key.
      const alice = HandshakeState.initialize({ protocol, initiator: true, staticKey: aliceStatic, psks: [new Uint8Array(32).fill(1)] });
      const bob = HandshakeState.initialize({ protocol, initiator: false, staticKey: bobStatic, psks: [new Uint8Array(32).fill(2)] });
      await bob.readMessage(await alice.writeMessage());
      const m2 = await bob.writeMessage();
      await assert.rejects(alice.readMessage(m2), HandshakeRejectedError);
      assert.equal(pairs.length, 2);
      assert.ok(pairs[0]!.privateKey.every((b) => b === 0), "Alice's ephemeral key is wiped");
      assert.ok(pairs[1]!.privateKey.some((b) => b !== 0), "Bob's handshake is still running");
      // Tampered message 3: Bob fails too, after generating his ephemeral key.
      const carol = HandshakeState.initialize({ protocol, initiator: true, staticKey: aliceStatic, psks: [new Uint8Array(32).fill(2)] });
      const dave = HandshakeState.initialize({ protocol, initiator: false, staticKey: bobStatic, psks: [new Uint8Array(32).fill(2)] });
      await dave.readMessage(await carol.writeMessage());
      await carol.readMessage(await dave.writeMessage());
      const m3 = await carol.writeMessage();
      m3[m3.length - 1]! ^= 1;
      await assert.rejects(dave.readMessage(m3), HandshakeRejectedError);
      assert.ok(pairs[3]!.privateKey.every((b) => b === 0), "Dave's ephemeral key is wiped");
      assert.deepEqual(aliceStatic, staticPair(), "a caller's static key pair is untouched");
      assert.ok(bobStatic.every((b) => b === 5), "a caller's static key array is untouched");
    });

    it(`a successful ${label} handshake wipes its ephemeral keys at split, never the caller's static key`, async () => {
      const { pairs, protocol } = spyBackend();
      const aliceStatic = staticPair();
      const bobStatic = new Uint8Array(32).fill(5);
      const psk = new Uint8Array(32).fill(2);
      const alice = HandshakeState.initialize({ protocol, initiator: true, staticKey: aliceStatic, psks: [psk] });
      const bob = HandshakeState.initialize({ protocol, initiator: false, staticKey: bobStatic, psks: [psk] });
      await bob.readMessage(await alice.writeMessage());
      await alice.readMessage(await bob.writeMessage());
      await bob.readMessage(await alice.writeMessage());
      await alice.split();
      await bob.split();
      for (const pair of pairs) assert.ok(pair.privateKey.every((b) => b === 0));
      assert.deepEqual(aliceStatic, staticPair());
      assert.ok(bobStatic.every((b) => b === 5));
      assert.ok(psk.every((b) => b === 2), "a caller's PSK is untouched");
    });
  }
});
