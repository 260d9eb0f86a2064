import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { concatBytes, fromHex, toHex, utf8 } from "../src/bytes.js";
import { DecryptionError, HandshakeRejectedError, HandshakeStateError, InvalidArgumentError, NonceExhaustedError } from "../src/errors.js";
import { CipherState, HandshakeState, PORTABLE_BACKEND, aesGcm, chaChaPoly, parsePattern, parseProtocolName, type NoiseBackend } from "../src/noise/index.js";
import { NODE_BACKEND, nodeChaChaPoly, nodeX25519 } from "../src/node/index.js";

const BACKENDS = [["portable", PORTABLE_BACKEND], ["node:crypto", NODE_BACKEND]] as const;
import { loadVectors } from "./helpers/vectors.js";

const hm = loadVectors("hivemind/noise_vectors.json");
const EMPTY = new Uint8Array(0);
// Not in the JSON: the generator's responder keys (see test/vectors/SOURCES.md).
const RESPONDER_STATIC = new Uint8Array(32).fill(0x33);
const RESPONDER_EPHEMERAL = new Uint8Array(32).fill(0x44);

function hivemindPair(v: any, responderPsk = fromHex(v.psk_hex), backend: NoiseBackend = PORTABLE_BACKEND) {
  const kk = v.protocol_name.includes("KK");
  const protocol = parseProtocolName(v.protocol_name, backend);
  const prologue = fromHex(v.prologue_hex);
  const initiatorStatic = fromHex(v.initiator_static_hex);
  const initiator = HandshakeState.initialize({
    protocol, initiator: true, prologue, psks: [fromHex(v.psk_hex)],
    staticKey: initiatorStatic, ephemeralKey: fromHex(v.initiator_ephemeral_hex),
    remoteStaticKey: kk ? fromHex(v.responder_static_pub_hex) : undefined,
  });
  const responder = HandshakeState.initialize({
    protocol, initiator: false, prologue, psks: [responderPsk],
    staticKey: RESPONDER_STATIC, ephemeralKey: RESPONDER_EPHEMERAL,
    remoteStaticKey: kk ? x25519.getPublicKey(initiatorStatic) : undefined,
  });
  return { initiator, responder };
}

describe("Noise engine: HiveMind noise_vectors.json", () => {
  it("the aliases xxpsk2 and kkpsk0 equal their AESGCM entries, and the responder key matches", () => {
    assert.deepEqual(hm.xxpsk2, hm.xxpsk2_aesgcm);
    assert.deepEqual(hm.kkpsk0, hm.kkpsk0_aesgcm);
    assert.equal(toHex(x25519.getPublicKey(RESPONDER_STATIC)), hm.xxpsk2_chacha.responder_static_pub_hex);
  });

  for (const [backendName, backend] of BACKENDS) for (const name of ["xxpsk2_chacha", "xxpsk2_aesgcm", "kkpsk0_chacha", "kkpsk0_aesgcm"]) {
    const v = hm[name];
    it(`${name} (${backendName}): messages, handshake hash and both transport frames`, async () => {
      const { initiator, responder } = hivemindPair(v, undefined, backend);
      const m1 = await initiator.writeMessage(utf8(v.msg1_payload));
      assert.equal(toHex(m1), v.msg1_hex);
      assert.equal(new TextDecoder().decode(await responder.readMessage(m1)), v.msg1_payload);
      const m2 = await responder.writeMessage(utf8(v.msg2_payload));
      assert.equal(toHex(m2), v.msg2_hex);
      assert.equal(new TextDecoder().decode(await initiator.readMessage(m2)), v.msg2_payload);
      if (v.msg3_hex !== undefined) {
        const m3 = await initiator.writeMessage();
        assert.equal(toHex(m3), v.msg3_hex);
        assert.equal((await responder.readMessage(m3)).length, 0);
      }
      assert.equal(toHex(initiator.handshakeHash), v.handshake_hash_hex);
      assert.equal(toHex(responder.handshakeHash), v.handshake_hash_hex);
      assert.equal(toHex(initiator.remoteStaticKey!), v.responder_static_pub_hex);
      const [client, hub] = [await initiator.split(), await responder.split()];
      const serverPlain = concatBytes(new Uint8Array([0]), utf8(v.server_transport_plaintext));
      const serverFrame = await hub.send.encryptWithAd(EMPTY, serverPlain);
      assert.equal(toHex(serverFrame), v.server_transport_frame_hex);
      assert.deepEqual(await client.receive.decryptWithAd(EMPTY, serverFrame), serverPlain);
      const clientPlain = concatBytes(new Uint8Array([0]), utf8(v.client_transport_plaintext));
      const clientFrame = await client.send.encryptWithAd(EMPTY, clientPlain);
      assert.equal(toHex(clientFrame), v.expected_client_transport_frame_hex);
      assert.deepEqual(await hub.receive.decryptWithAd(EMPTY, clientFrame), clientPlain);
    });
  }

  for (const [backendName, backend] of BACKENDS) for (const name of ["xxpsk2_chacha", "xxpsk2_aesgcm"]) {
    it(`${name} (${backendName}): msg2 under a wrong PSK is rejected and the handshake cannot continue`, async () => {
      const v = hm[name];
      const { initiator } = hivemindPair(v, undefined, backend);
      await initiator.writeMessage(utf8(v.msg1_payload));
      await assert.rejects(initiator.readMessage(fromHex(v.msg2_wrong_psk_hex)), HandshakeRejectedError);
      await assert.rejects(initiator.readMessage(fromHex(v.msg2_hex)), HandshakeStateError);
      await assert.rejects(initiator.writeMessage(), HandshakeStateError);
      await assert.rejects(initiator.split(), HandshakeStateError);
    });
  }

  it("KKpsk0: a responder with another PSK rejects msg1", async () => {
    const v = hm.kkpsk0_chacha;
    const { initiator, responder } = hivemindPair(v, new Uint8Array(32).fill(9));
    await assert.rejects(responder.readMessage(await initiator.writeMessage(utf8("x"))), HandshakeRejectedError);
  });
});

const PROTOCOLS = ["Noise_XXpsk2_25519_ChaChaPoly_SHA256", "Noise_XXpsk2_25519_AESGCM_SHA256"];

async function xxPair(protocol: string) {
  const psks = [new Uint8Array(32).fill(7)];
  const initiator = HandshakeState.initialize({ protocol, initiator: true, staticKey: x25519.utils.randomSecretKey(), psks });
  const responder = HandshakeState.initialize({ protocol, initiator: false, staticKey: x25519.utils.randomSecretKey(), psks });
  await responder.readMessage(await initiator.writeMessage());
  await initiator.readMessage(await responder.writeMessage());
  await responder.readMessage(await initiator.writeMessage());
  return { initiator, responder };
}

describe("Noise engine: state machine and failures", () => {
  it("refuses out-of-order calls", async () => {
    const protocol = PROTOCOLS[0]!;
    const initiator = HandshakeState.initialize({ protocol, initiator: true, staticKey: new Uint8Array(32).fill(1), psks: [new Uint8Array(32)] });
    await assert.rejects(initiator.readMessage(new Uint8Array(48)), HandshakeStateError);
    const responder = HandshakeState.initialize({ protocol, initiator: false, staticKey: new Uint8Array(32).fill(2), psks: [new Uint8Array(32)] });
    await assert.rejects(responder.writeMessage(), HandshakeStateError);
    await assert.rejects(responder.split(), HandshakeStateError);
  });

  it("refuses use after split, and a second split", async () => {
    const { initiator } = await xxPair(PROTOCOLS[0]!);
    await initiator.split();
    await assert.rejects(initiator.writeMessage(), HandshakeStateError);
    await assert.rejects(initiator.readMessage(new Uint8Array(64)), HandshakeStateError);
    await assert.rejects(initiator.split(), HandshakeStateError);
  });

  it("rejects a low-order ephemeral key and a truncated message", async () => {
    const protocol = "Noise_XX_25519_ChaChaPoly_SHA256";
    const initiator = HandshakeState.initialize({ protocol, initiator: true, staticKey: new Uint8Array(32).fill(1) });
    await initiator.writeMessage();
    await assert.rejects(initiator.readMessage(new Uint8Array(96)), HandshakeRejectedError);
    const responder = HandshakeState.initialize({ protocol, initiator: false, staticKey: new Uint8Array(32).fill(2) });
    await assert.rejects(responder.readMessage(new Uint8Array(31)), HandshakeRejectedError);
  });

  it("names what is missing or malformed", () => {
    assert.throws(() => HandshakeState.initialize({ protocol: "Noise_XX_25519_ChaChaPoly_SHA256", initiator: true }), /staticKey is required/);
    assert.throws(() => HandshakeState.initialize({ protocol: "Noise_KK_25519_ChaChaPoly_SHA256", initiator: true, staticKey: new Uint8Array(32) }), /remoteStaticKey is required/);
    assert.throws(() => HandshakeState.initialize({ protocol: "Noise_NNpsk0_25519_ChaChaPoly_SHA256", initiator: true }), /psks must hold 1/);
    assert.throws(() => HandshakeState.initialize({ protocol: "Noise_XX_25519_Twofish_SHA256", initiator: true }), /unsupported cipher/);
    assert.throws(() => HandshakeState.initialize({ protocol: "Noise_ZZ_25519_ChaChaPoly_SHA256", initiator: true }), InvalidArgumentError);
    assert.throws(() => parsePattern("XXpsk9"), /invalid psk modifier/);
  });

  for (const protocol of PROTOCOLS) {
    it(`${protocol}: a tampered transport frame throws DecryptionError and does not move the nonce`, async () => {
      const { initiator, responder } = await xxPair(protocol);
      const [a, b] = [await initiator.split(), await responder.split()];
      const frame = await a.send.encryptWithAd(EMPTY, utf8("hello"));
      const bad = Uint8Array.from(frame);
      bad[0]! ^= 1;
      await assert.rejects(b.receive.decryptWithAd(EMPTY, bad), DecryptionError);
      await assert.rejects(b.receive.decryptWithAd(EMPTY, frame.subarray(0, 15)), DecryptionError);
      assert.equal(b.receive.nonce, 0n);
      assert.deepEqual(await b.receive.decryptWithAd(EMPTY, frame), utf8("hello"));
      assert.equal(toHex(a.handshakeHash), toHex(b.handshakeHash));
    });

    it(`${protocol}: round trips arbitrary payloads in both directions`, async () => {
      const { initiator, responder } = await xxPair(protocol);
      const [a, b] = [await initiator.split(), await responder.split()];
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (data, fromA) => {
          const [x, y] = fromA ? [a, b] : [b, a];
          assert.deepEqual(await y.receive.decryptWithAd(EMPTY, await x.send.encryptWithAd(EMPTY, data)), data);
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe("Noise engine: CipherState nonces", () => {
  const key = new Uint8Array(32).map((_, i) => i);
  const leNonce = (n: bigint) => { const b = new Uint8Array(12); new DataView(b.buffer).setBigUint64(4, n, true); return b; };
  const beNonce = (n: bigint) => { const b = new Uint8Array(12); new DataView(b.buffer).setBigUint64(4, n, false); return b; };

  it("ChaChaPoly uses 00000000 || LE64(n) and AESGCM 00000000 || BE64(n), for n >= 1", async () => {
    const aesKey = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 1n, max: 2n ** 64n - 2n }), fc.uint8Array({ maxLength: 40 }), async (n, data) => {
        const chacha = await CipherState.withKey(chaChaPoly, key);
        chacha.setNonce(n);
        assert.deepEqual(await chacha.encryptWithAd(EMPTY, data), chacha20poly1305(key, leNonce(n)).encrypt(data));
        const aes = await CipherState.withKey(aesGcm, key);
        aes.setNonce(n);
        const expected = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: beNonce(n) }, aesKey, data));
        assert.deepEqual(await aes.encryptWithAd(EMPTY, data), expected);
      }),
      { numRuns: 40 },
    );
    // The second message of a fresh state uses n = 1.
    const state = await CipherState.withKey(chaChaPoly, key);
    await state.encryptWithAd(EMPTY, EMPTY);
    assert.deepEqual(await state.encryptWithAd(EMPTY, utf8("n=1")), chacha20poly1305(key, leNonce(1n)).encrypt(utf8("n=1")));
  });

  it("refuses the reserved nonce 2^64-1 (exhaustion)", async () => {
    for (const cipher of [chaChaPoly, aesGcm]) {
      const state = await CipherState.withKey(cipher, key);
      state.setNonce(2n ** 64n - 2n);
      await state.encryptWithAd(EMPTY, EMPTY);
      await assert.rejects(state.encryptWithAd(EMPTY, EMPTY), NonceExhaustedError);
      await assert.rejects(state.decryptWithAd(EMPTY, new Uint8Array(16)), NonceExhaustedError);
    }
    assert.throws(() => new CipherState(chaChaPoly).setNonce(2n ** 64n), InvalidArgumentError);
  });

  it("rekey keeps the nonce and changes the key", async () => {
    const [a, b] = [await CipherState.withKey(chaChaPoly, key), await CipherState.withKey(chaChaPoly, key)];
    await a.rekey();
    await b.rekey();
    const ct = await a.encryptWithAd(EMPTY, utf8("x"));
    assert.notDeepEqual(ct, chacha20poly1305(key, leNonce(0n)).encrypt(utf8("x")));
    assert.deepEqual(await b.decryptWithAd(EMPTY, ct), utf8("x"));
  });
});

describe("Noise engine: the node:crypto backend agrees with the portable one", () => {
  it("HASH and HKDF of every hash function, for any key and input length", () => {
    for (const name of ["SHA256", "SHA512", "BLAKE2s", "BLAKE2b"]) {
      const [ours, theirs] = [NODE_BACKEND.hash[name]!, PORTABLE_BACKEND.hash[name]!];
      fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), fc.constantFrom(2 as const, 3 as const), (chainingKey, input, outputs) => {
        assert.deepEqual(ours.hash(input), theirs.hash(input));
        assert.deepEqual(ours.hkdf(chainingKey, input, outputs), theirs.hkdf(chainingKey, input, outputs));
      }), { numRuns: 60 });
    }
  });

  it("X25519 public keys, key pairs and shared secrets", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
      assert.deepEqual(nodeX25519.publicKey(a), x25519.getPublicKey(a));
      assert.deepEqual(nodeX25519.dh(a, x25519.getPublicKey(b)), x25519.getSharedSecret(a, x25519.getPublicKey(b)));
    }), { numRuns: 30 });
    const pair = nodeX25519.generateKeyPair();
    assert.deepEqual(pair.publicKey, x25519.getPublicKey(pair.privateKey));
    assert.throws(() => nodeX25519.dh(new Uint8Array(32).fill(1), new Uint8Array(32)), HandshakeRejectedError);
  });

  it("X25519 DH depends on the private key only: any own-public-key hint, and a generated key changed in place", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b, hint) => {
      const expected = x25519.getSharedSecret(a, x25519.getPublicKey(b));
      assert.deepEqual(nodeX25519.dh(a, x25519.getPublicKey(b), x25519.getPublicKey(a)), expected);
      assert.deepEqual(nodeX25519.dh(a, x25519.getPublicKey(b), hint), expected, "a wrong hint changes nothing");
      // A generated pair's cached KeyObject must not outlive a change to its bytes.
      const pair = nodeX25519.generateKeyPair();
      assert.deepEqual(nodeX25519.dh(pair.privateKey, x25519.getPublicKey(b)), x25519.getSharedSecret(pair.privateKey, x25519.getPublicKey(b)));
      pair.privateKey.set(a);
      assert.deepEqual(nodeX25519.dh(pair.privateKey, x25519.getPublicKey(b)), expected);
    }), { numRuns: 30 });
  });

  it("ChaChaPoly encryption, decryption and tag checks", async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 2n }), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 300 }), async (key, n, ad, data) => {
      const [ours, theirs] = [await nodeChaChaPoly.importKey(key), await chaChaPoly.importKey(key)];
      const sealed = await ours.encrypt(n, ad, data);
      assert.deepEqual(sealed, await theirs.encrypt(n, ad, data));
      assert.deepEqual(await ours.decrypt(n, ad, sealed), data);
      sealed[sealed.length - 1]! ^= 1;
      await assert.rejects(async () => ours.decrypt(n, ad, sealed), DecryptionError);
      await assert.rejects(async () => ours.decrypt(n, ad, sealed.subarray(0, 15)), DecryptionError);
    }), { numRuns: 40 });
  });
});
