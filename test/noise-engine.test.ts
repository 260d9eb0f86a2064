import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { concatBytes, fromHex, toHex, utf8 } from "../src/common/bytes.js";
import { DecryptionError, HandshakeRejectedError, HandshakeStateError, InvalidArgumentError, NonceExhaustedError } from "../src/common/errors.js";
import { CipherState, HandshakeState, PORTABLE_BACKEND, aesGcm, chaChaPoly, parsePattern, parseProtocolName, type NoiseBackend } from "../src/noise/index.js";

import { NATIVE_BACKENDS, NOISE_BACKENDS } from "./helpers/noise-backends.js";
import { loadVectors } from "./helpers/vectors.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";

/** RFC 4231 test cases 1, 2 and 6 (6: a key longer than the block, hashed first). */
const RFC_4231 = [
  { key: "0b".repeat(20), data: "4869205468657265", sha256: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", sha512: "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
  { key: "4a656665", data: "7768617420646f2079612077616e7420666f72206e6f7468696e673f", sha256: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", sha512: "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
  { key: "aa".repeat(131), data: toHex(utf8("Test Using Larger Than Block-Size Key - Hash Key First")), sha256: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", sha512: "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
] as const;

/** X25519 points of small order (and p, p + 1: non-canonical 0 and 1), little-endian. */
const LOW_ORDER_POINTS = [
  "00".repeat(32),
  "01" + "00".repeat(31),
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ec" + "ff".repeat(30) + "7f",
  "ed" + "ff".repeat(30) + "7f",
  "ee" + "ff".repeat(30) + "7f",
];

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

  for (const [backendName, backend] of NOISE_BACKENDS) for (const name of ["xxpsk2_chacha", "xxpsk2_aesgcm", "kkpsk0_chacha", "kkpsk0_aesgcm"]) {
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

  for (const [backendName, backend] of NOISE_BACKENDS) for (const name of ["xxpsk2_chacha", "xxpsk2_aesgcm"]) {
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

for (const [label, backend] of NATIVE_BACKENDS) describe(`Noise engine: the ${label} backend agrees with the portable one`, () => {
  const x = backend.dh["25519"]!;
  const cipher = backend.cipher.ChaChaPoly!;
  it("HASH and HKDF of every hash function, for any key and input length", () => {
    for (const name of ["SHA256", "SHA512", "BLAKE2s", "BLAKE2b"]) {
      const [ours, theirs] = [backend.hash[name]!, PORTABLE_BACKEND.hash[name]!];
      fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), fc.constantFrom(2 as const, 3 as const), (chainingKey, input, outputs) => {
        assert.deepEqual(ours.hash(input), theirs.hash(input));
        assert.deepEqual(ours.hkdf(chainingKey, input, outputs), theirs.hkdf(chainingKey, input, outputs));
      }), { numRuns: 60 });
    }
  });

  it("HKDF's HMAC-SHA256 and HMAC-SHA512 give RFC 4231's test vectors", () => {
    // HKDF's first output is HMAC(temp_key, 0x01) with temp_key = HMAC(ck, ikm): so with
    // an RFC 4231 key and data, HMAC(key, data) is checked through temp_key's HMAC.
    for (const c of RFC_4231) {
      for (const [name, expected] of [["SHA256", c.sha256], ["SHA512", c.sha512]] as const) {
        const fn = name === "SHA256" ? sha256 : sha512;
        assert.equal(toHex(hmac(fn, fromHex(c.key), fromHex(c.data))), expected, "the vector as transcribed");
        const [first] = backend.hash[name]!.hkdf(fromHex(c.key), fromHex(c.data), 2);
        assert.deepEqual(first, hmac(fn, fromHex(expected), Uint8Array.of(1)), `${name}, key ${c.key.slice(0, 8)}...`);
      }
    }
  });

  it("X25519 public keys, key pairs and shared secrets", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
      assert.deepEqual(x.publicKey(a), x25519.getPublicKey(a));
      assert.deepEqual(x.dh(a, x25519.getPublicKey(b)), x25519.getSharedSecret(a, x25519.getPublicKey(b)));
      // Any 32 bytes as the peer's key (non-canonical, top bit set): the same secret or the same refusal.
      let expected: Uint8Array | undefined;
      try {
        expected = x25519.getSharedSecret(a, b);
      } catch {
        expected = undefined;
      }
      if (expected === undefined) assert.throws(() => x.dh(a, b), HandshakeRejectedError);
      else assert.deepEqual(x.dh(a, b), expected);
    }), { numRuns: 30 });
    const pair = x.generateKeyPair();
    assert.deepEqual(pair.publicKey, x25519.getPublicKey(pair.privateKey));
    assert.throws(() => x.dh(new Uint8Array(32).fill(1), new Uint8Array(32)), HandshakeRejectedError);
  });

  it("X25519 refuses every low-order public key (and its non-canonical forms), as the portable backend does", () => {
    const secret = new Uint8Array(32).fill(0x41);
    for (const point of LOW_ORDER_POINTS) {
      for (const raw of [fromHex(point), Uint8Array.from(fromHex(point), (b, i) => (i === 31 ? b | 0x80 : b))]) {
        assert.throws(() => PORTABLE_BACKEND.dh["25519"]!.dh(secret, raw), HandshakeRejectedError, `portable accepts ${toHex(raw)}`);
        assert.throws(() => x.dh(secret, raw), HandshakeRejectedError, `${label} accepts ${toHex(raw)}`);
      }
    }
  });

  it("X25519 DH depends on the private key only: any own-public-key hint, and a generated key changed in place", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b, hint) => {
      const expected = x25519.getSharedSecret(a, x25519.getPublicKey(b));
      assert.deepEqual(x.dh(a, x25519.getPublicKey(b), x25519.getPublicKey(a)), expected);
      assert.deepEqual(x.dh(a, x25519.getPublicKey(b), hint), expected, "a wrong hint changes nothing");
      // A generated pair's cached key handle must not outlive a change to its bytes.
      const pair = x.generateKeyPair();
      assert.deepEqual(x.dh(pair.privateKey, x25519.getPublicKey(b)), x25519.getSharedSecret(pair.privateKey, x25519.getPublicKey(b)));
      pair.privateKey.set(a);
      assert.deepEqual(x.dh(pair.privateKey, x25519.getPublicKey(b)), expected);
    }), { numRuns: 30 });
  });

  it("ChaChaPoly encryption, decryption and tag checks", async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 2n }), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 300 }), async (key, n, ad, data) => {
      const [ours, theirs] = [await cipher.importKey(key), await chaChaPoly.importKey(key)];
      const sealed = await ours.encrypt(n, ad, data);
      assert.deepEqual(sealed, await theirs.encrypt(n, ad, data));
      assert.deepEqual(await ours.decrypt(n, ad, sealed), data);
      sealed[sealed.length - 1]! ^= 1;
      await assert.rejects(async () => ours.decrypt(n, ad, sealed), DecryptionError);
      await assert.rejects(async () => ours.decrypt(n, ad, sealed.subarray(0, 15)), DecryptionError);
    }), { numRuns: 40 });
  });
});
