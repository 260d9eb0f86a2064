import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { fromHex, toHex, xorBytes } from "../src/common/bytes.js";
import { DecryptionError, HandshakeRejectedError, HandshakeStateError, InvalidArgumentError, KeyFormatError } from "../src/common/errors.js";
import { HalfHandShake, HandShake } from "../src/index.js";
import { generateRSAKeyPair, pemToDer } from "../src/rsa/index.js";
import { keys, withRandom } from "./helpers/rsa.js";
import { loadVectors } from "./helpers/vectors.js";

const vectors = loadVectors("poorman/rsa_handshake.json");
const full = vectors.full_handshake;
const negative = Object.fromEntries(vectors.negative_and_behaviour.map((c: { name: string }) => [c.name, c]));
const { alice, bob, carol_3072: carol } = keys;

/** A handshake object (mutual or half) with a vector key. */
async function withKey<T extends HandShake>(cls: { create(o: object): Promise<T> }, key: { private_pem_pkcs1: string }): Promise<T> {
  return cls.create({ privateKey: key.private_pem_pkcs1 });
}

describe("full handshake vectors from the Python reference", () => {
  it("each side's shake verifies with the other's key", async () => {
    const b = await withKey(HandShake, bob);
    const a = await withKey(HandShake, alice);
    assert.equal(await b.verify(full.alice_shake, alice.public_pem_spki), full.bob_verify_alice_shake);
    assert.equal(await a.verify(full.bob_shake, bob.public_pem_spki), full.alice_verify_bob_shake);
    assert.equal(full.alice_shake, full.alice_shake_signature_hex + full.alice_shake_ciphertext_hex);
  });

  it("with the recorded contributions, both sides reach Python's final secret", async () => {
    const a = await withKey(HandShake, alice);
    const b = await withKey(HandShake, bob);
    await a.loadPublic(bob.public_pem_spki);
    await b.loadPublic(alice.public_pem_spki);
    const ours = await withRandom(full.alice_random.secret_hex, () => a.generateHandshake());
    await withRandom(full.bob_random.secret_hex, () => b.generateHandshake());
    await a.receiveAndVerify(full.bob_shake);
    await b.receiveAndVerify(full.alice_shake);
    assert.equal(toHex(a.secret!), full.final_secret_hex);
    assert.equal(toHex(b.secret!), full.final_secret_hex);
    assert.equal(full.final_secret_hex, toHex(xorBytes(fromHex(full.alice_random.secret_hex), fromHex(full.bob_random.secret_hex))));
    // Our own shake (fresh OAEP seed and PSS salt) has Python's shape and carries the same secret.
    assert.match(ours, /^[0-9a-f]{1024}$/);
    assert.equal(ours.length, full.shake_hex_len);
    await b.receiveAndVerify(ours);
    assert.equal(toHex(b.secret!), full.final_secret_hex);
  });

  it("the pubkey property is Python's SPKI PEM", async () => {
    assert.equal((await withKey(HandShake, alice)).pubkey, alice.public_pem_spki);
    assert.equal((await HandShake.create({ privateKey: pemToDer(bob.private_pem_pkcs1).der })).pubkey, bob.public_pem_spki);
  });
});

describe("negative and behaviour vectors", () => {
  it("tampered shakes and the wrong sender key do not verify, and receiveAndVerify refuses them", async () => {
    const cases = [
      [negative["last ciphertext byte flipped"].shake, alice.public_pem_spki],
      [negative["first signature byte flipped"].shake, alice.public_pem_spki],
      [negative["genuine shake, wrong claimed sender key (bob's own)"].shake, bob.public_pem_spki],
    ];
    for (const [shake, pub] of cases) {
      const b = await withKey(HandShake, bob);
      assert.equal(await b.verify(shake, pub), false);
      await b.generateHandshake(alice.public_pem_spki);
      await assert.rejects(b.receiveAndVerify(shake, pub), HandshakeRejectedError);
      assert.equal(b.secret, undefined, "no secret is kept after a rejected shake");
    }
  });

  it("upper-case hex is accepted, as unhexlify does", async () => {
    const c = negative["uppercase hex accepted (unhexlify)"];
    const b = await withKey(HandShake, bob);
    assert.equal(await b.verify(c.shake, alice.public_pem_spki), c.verify_with_alice_pub);
    await withRandom(full.bob_random.secret_hex, () => b.generateHandshake(alice.public_pem_spki));
    await b.receiveAndVerify(c.shake, alice.public_pem_spki);
    assert.equal(toHex(b.secret!), full.final_secret_hex);
  });

  it("FIXED: a bad signature in receiveAndVerify throws (Python silently kept its own half as the secret)", async () => {
    const c = negative["receive_and_verify(bad signature) is a silent no-op"];
    const b = await withKey(HalfHandShake, bob);
    await withRandom(full.bob_random.secret_hex, () => b.generateHandshake(alice.public_pem_spki));
    assert.equal(toHex(b.secret!), c.secret_after_hex, "a half-handshake sender's secret is its own contribution, as in Python");
    const m = await withKey(HandShake, bob);
    await m.generateHandshake(alice.public_pem_spki);
    await assert.rejects(m.receiveAndVerify(negative["first signature byte flipped"].shake, alice.public_pem_spki), HandshakeRejectedError);
    assert.equal(m.secret, undefined);
  });

  it("FIXED: a half-handshake object whose receive was refused has no secret (never falls back to its own)", async () => {
    const bad = negative["first signature byte flipped"].shake;
    const b = await withKey(HalfHandShake, bob);
    await b.generateHandshake(alice.public_pem_spki);
    assert.notEqual(b.secret, undefined, "a sender's secret is what it sent");
    await assert.rejects(b.receiveAndVerify(bad, alice.public_pem_spki), HandshakeRejectedError);
    assert.equal(b.secret, undefined, "refused signature");
    await b.generateHandshake(alice.public_pem_spki);
    assert.equal(b.secret, undefined, "once it tried to receive, it never falls back to its own key");
    const r = await withKey(HalfHandShake, bob);
    await r.generateHandshake(alice.public_pem_spki);
    await assert.rejects(r.receiveHandshake(full.bob_shake), DecryptionError); // encrypted to alice, not to bob
    assert.equal(r.secret, undefined, "undecryptable shake");
    const v = await withKey(HalfHandShake, bob);
    await v.generateHandshake(alice.public_pem_spki);
    await assert.rejects(v.receiveAndVerify("zz", alice.public_pem_spki), InvalidArgumentError);
    assert.equal(v.secret, undefined, "malformed shake");
  });

  it("a shake encrypted to another key is a DecryptionError", async () => {
    assert.match(negative["receive_handshake on a shake encrypted to another key"].raises, /Incorrect decryption/);
    const a = await withKey(HandShake, alice);
    await a.generateHandshake(bob.public_pem_spki);
    await assert.rejects(a.receiveHandshake(full.alice_shake), DecryptionError);
    // Validly signed (by alice), but encrypted to bob: the signature holds, decryption does not.
    await assert.rejects(a.receiveAndVerify(full.alice_shake, alice.public_pem_spki), DecryptionError);
    assert.equal(a.secret, undefined);
  });

  it("FIXED: receiving before generating (mutual) is a HandshakeStateError, not a crash", async () => {
    assert.match(negative["HandShake.receive_handshake with self.secret None (no own generate)"].raises, /TypeError/);
    const b = await withKey(HandShake, bob);
    await assert.rejects(b.receiveHandshake(full.alice_shake), HandshakeStateError);
    await assert.rejects(b.receiveAndVerify(full.alice_shake, alice.public_pem_spki), HandshakeStateError);
  });

  it("FIXED: using a peer key before one is loaded is a HandshakeStateError", async () => {
    const b = await withKey(HandShake, bob);
    await assert.rejects(b.generateHandshake(), HandshakeStateError);
    await assert.rejects(b.verify(full.alice_shake), HandshakeStateError);
    await assert.rejects(b.receiveAndVerify(full.alice_shake), /loadPublic/);
  });
});

describe("half handshake vector", () => {
  const half = vectors.half_handshake;
  it("the receiver's secret is the sender's contribution", async () => {
    const receiver = await withKey(HalfHandShake, keys[half.receiver_key as "alice"]);
    await receiver.receiveAndVerify(half.shake, keys[half.sender_key as "bob"].public_pem_spki);
    assert.equal(toHex(receiver.secret!), half.receiver_secret_hex);
    assert.equal(half.receiver_secret_hex, half.sender_random.secret_hex);
  });

  it("our sender with the recorded contribution gives the receiver Python's secret", async () => {
    const sender = await withKey(HalfHandShake, bob);
    const shake = await withRandom(half.sender_random.secret_hex, () => sender.generateHandshake(alice.public_pem_spki));
    assert.equal(toHex(sender.secret!), half.receiver_secret_hex);
    const receiver = await withKey(HalfHandShake, alice);
    await receiver.loadPublic(bob.public_pem_spki);
    await receiver.receiveAndVerify(shake);
    assert.equal(toHex(receiver.secret!), half.receiver_secret_hex);
  });
});

describe("mixed key sizes (FIXED: Python's receive_handshake fails)", () => {
  const mixed = vectors.mixed_key_sizes;
  it("a 3072-bit sender's shake to a 2048-bit receiver verifies and is received", async () => {
    assert.equal(mixed.shake.length, 2 * (mixed.signature_len + mixed.ciphertext_len));
    assert.match(mixed.receive_handshake_raises, /incorrect length/);
    const half = await withKey(HalfHandShake, alice);
    assert.equal(await half.verify(mixed.shake, carol.public_pem_spki), mixed.verify_with_carol_pub);
    await half.receiveAndVerify(mixed.shake, carol.public_pem_spki);
    assert.equal(toHex(half.secret!), mixed.sender_random.secret_hex);

    const mutual = await withKey(HandShake, alice);
    const ownHex = "11".repeat(32);
    await withRandom(ownHex, () => mutual.generateHandshake(carol.public_pem_spki));
    await mutual.receiveHandshake(mixed.shake);
    assert.equal(toHex(mutual.secret!), toHex(xorBytes(fromHex(ownHex), fromHex(mixed.sender_random.secret_hex))));
  });

  it("2048 <-> 3072 mutual handshakes agree in both directions", async () => {
    const a = await withKey(HandShake, alice);
    const c = await withKey(HandShake, carol);
    await a.loadPublic(c.pubkey);
    await c.loadPublic(a.pubkey);
    const [sa, sc] = await Promise.all([a.generateHandshake(), c.generateHandshake()]);
    assert.equal(sa.length, 2 * (256 + 384));
    assert.equal(sc.length, 2 * (384 + 256));
    await Promise.all([a.receiveAndVerify(sc), c.receiveAndVerify(sa)]);
    assert.deepEqual(a.secret, c.secret);
  });
});

describe("argument and key errors", () => {
  it("are typed and name the argument", async () => {
    await assert.rejects(HandShake.create({ privateKey: alice.public_pem_spki }), KeyFormatError);
    await assert.rejects(HandShake.create({ privateKey: "junk" }), KeyFormatError);
    await assert.rejects(HandShake.create({ keySize: 100 }), InvalidArgumentError);
    await assert.rejects(HandShake.create(null as unknown as object), InvalidArgumentError);
    const b = await withKey(HandShake, bob);
    await assert.rejects(b.loadPublic("junk"), KeyFormatError);
    await b.generateHandshake(alice.public_pem_spki);
    for (const bad of ["zz", "", "ab".repeat(256), full.alice_shake + "0"]) {
      await assert.rejects(b.receiveHandshake(bad), /shake must be hex/);
      assert.equal(await b.verify(bad, alice.public_pem_spki), false);
    }
    await assert.rejects(b.verify(42 as unknown as string, alice.public_pem_spki), InvalidArgumentError);
  });

  it("destroy() forgets the secret", async () => {
    const b = await withKey(HalfHandShake, bob);
    await b.generateHandshake(alice.public_pem_spki);
    const secret = b.secret!;
    b.destroy();
    assert.equal(b.secret, undefined);
    assert.deepEqual(secret, new Uint8Array(32));
  });
});

describe("handshake properties", () => {
  it("mutual: any key sizes (1024-bit peers with minPeerKeyBits: 1024) and contributions give both sides own XOR peer", async () => {
    const pairs = await Promise.all([1024, 1536].map((bits) => generateRSAKeyPair(bits)));
    const pool = [...pairs.map((p) => p.privateKey), alice.private_pem_pkcs1, carol.private_pem_pkcs1];
    await fc.assert(
      fc.asyncProperty(fc.nat(pool.length - 1), fc.nat(pool.length - 1), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), async (i, j, x, y) => {
        const a = await HandShake.create({ privateKey: pool[i]!, minPeerKeyBits: 1024 });
        const b = await HandShake.create({ privateKey: pool[j]!, minPeerKeyBits: 1024 });
        await a.loadPublic(b.pubkey);
        await b.loadPublic(a.pubkey);
        const sa = await withRandom(toHex(x), () => a.generateHandshake());
        const sb = await withRandom(toHex(y), () => b.generateHandshake());
        await a.receiveAndVerify(sb);
        await b.receiveAndVerify(sa);
        assert.deepEqual(a.secret, xorBytes(x, y));
        assert.deepEqual(b.secret, a.secret);
      }),
      { numRuns: 12 },
    );
  });

  it("half: the receiver gets the sender's secret; any changed hex digit is rejected", async () => {
    const sender = await withKey(HalfHandShake, bob);
    const receiver = await withKey(HalfHandShake, alice);
    await sender.loadPublic(receiver.pubkey);
    await receiver.loadPublic(sender.pubkey);
    await fc.assert(
      fc.asyncProperty(fc.nat(1023), fc.nat(14), async (pos, delta) => {
        const shake = await sender.generateHandshake();
        await receiver.receiveAndVerify(shake);
        assert.deepEqual(receiver.secret, sender.secret);
        const digit = ((parseInt(shake[pos]!, 16) + delta + 1) % 16).toString(16);
        const forged = shake.slice(0, pos) + digit + shake.slice(pos + 1);
        await assert.rejects(receiver.receiveAndVerify(forged), HandshakeRejectedError);
      }),
      { numRuns: 15 },
    );
  });
});

describe("key files without the Node entry point", () => {
  it("path, exportPrivateKey and loadPrivate say they need Node's entry (this file imports the isomorphic one)", async () => {
    await assert.rejects(HandShake.create({ path: "x.pem" }), (e: unknown) => e instanceof InvalidArgumentError && /^options\.path needs key files .*HandShake\.create\(\{ privateKey \}\)/.test(e.message));
    const hs = await withKey(HandShake, bob);
    await assert.rejects(hs.exportPrivateKey("x.pem"), /file system/);
    await assert.rejects(hs.loadPrivate("x.pem"), /file system/);
  });
});
