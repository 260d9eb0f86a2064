/**
 * Portable vector suite: the RSA handshakes of poorman_handshake (mutual and half)
 * against the Python reference's outputs (`poorman/rsa_*.json`), through the public API.
 * OAEP seeds and PSS salts come from Web Crypto itself, so only our 32-byte contribution
 * is fixed to the recorded one.
 */
import type { PortableCase, PortableSuite } from "../harness.js";

export default {
  name: "rsa",
  requires: [".", "./rsa"],
  vectors: { keys: "poorman/rsa_keys.json", handshake: "poorman/rsa_handshake.json" },
  cases({ api, vectors, kit }) {
    const { HandShake, HalfHandShake, HandshakeRejectedError, DecryptionError } = api["."]!;
    const { pemToDer } = api["./rsa"]!;
    const { alice, bob, carol_3072: carol } = vectors.keys.keys;
    const full = vectors.handshake.full_handshake;
    const half = vectors.handshake.half_handshake;
    const mixed = vectors.handshake.mixed_key_sizes;
    const negative = Object.fromEntries(vectors.handshake.negative_and_behaviour.map((c: { name: string }) => [c.name, c]));
    const create = (cls: any, key: { private_pem_pkcs1: string }) => cls.create({ privateKey: key.private_pem_pkcs1 });
    const contribute = (hex: string, run: () => Promise<unknown>) => kit.withRandom([kit.bytes(hex)], run);
    const xorHex = (x: string, y: string) => kit.hex(kit.bytes(x).map((b, i) => b ^ kit.bytes(y)[i]!));

    const cases: PortableCase[] = [
      [
        "full handshake: each side's shake verifies with the other's key",
        async () => {
          kit.equal(await (await create(HandShake, bob)).verify(full.alice_shake, alice.public_pem_spki), full.bob_verify_alice_shake);
          kit.equal(await (await create(HandShake, alice)).verify(full.bob_shake, bob.public_pem_spki), full.alice_verify_bob_shake);
        },
      ],
      [
        "full handshake: the recorded contributions give Python's final secret on both sides",
        async () => {
          const a = await create(HandShake, alice), b = await create(HandShake, bob);
          await a.loadPublic(bob.public_pem_spki);
          await b.loadPublic(alice.public_pem_spki);
          const ours = await contribute(full.alice_random.secret_hex, () => a.generateHandshake());
          await contribute(full.bob_random.secret_hex, () => b.generateHandshake());
          await a.receiveAndVerify(full.bob_shake);
          await b.receiveAndVerify(full.alice_shake);
          kit.equal(kit.hex(a.secret), full.final_secret_hex);
          kit.equal(kit.hex(b.secret), full.final_secret_hex);
          kit.equal(xorHex(full.alice_random.secret_hex, full.bob_random.secret_hex), full.final_secret_hex);
          kit.equal((ours as string).length, full.shake_hex_len);
          await b.receiveAndVerify(ours);
          kit.equal(kit.hex(b.secret), full.final_secret_hex, "our own shake carries the same secret");
        },
      ],
      [
        "the pubkey property is Python's SPKI PEM (from PKCS#1 PEM and from DER)",
        async () => {
          kit.equal((await create(HandShake, alice)).pubkey, alice.public_pem_spki);
          kit.equal((await HandShake.create({ privateKey: pemToDer(bob.private_pem_pkcs1).der })).pubkey, bob.public_pem_spki);
        },
      ],
      [
        "half handshake: the receiver's secret is the sender's recorded contribution",
        async () => {
          const receiver = await create(HalfHandShake, vectors.keys.keys[half.receiver_key]);
          await receiver.receiveAndVerify(half.shake, vectors.keys.keys[half.sender_key].public_pem_spki);
          kit.equal(kit.hex(receiver.secret), half.receiver_secret_hex);
          const sender = await create(HalfHandShake, bob);
          const shake = await contribute(half.sender_random.secret_hex, () => sender.generateHandshake(alice.public_pem_spki));
          const other = await create(HalfHandShake, alice);
          await other.receiveAndVerify(shake, bob.public_pem_spki);
          kit.equal(kit.hex(other.secret), half.receiver_secret_hex);
        },
      ],
      [
        "mixed key sizes: a 3072-bit sender's shake to a 2048-bit receiver (Python fails; we receive it)",
        async () => {
          const h = await create(HalfHandShake, alice);
          kit.equal(await h.verify(mixed.shake, carol.public_pem_spki), mixed.verify_with_carol_pub);
          await h.receiveAndVerify(mixed.shake, carol.public_pem_spki);
          kit.equal(kit.hex(h.secret), mixed.sender_random.secret_hex);
        },
      ],
      [
        "tampered shakes and a wrong sender key are refused, keeping no secret",
        async () => {
          const attempts = [
            [negative["last ciphertext byte flipped"].shake, alice.public_pem_spki],
            [negative["first signature byte flipped"].shake, alice.public_pem_spki],
            [negative["genuine shake, wrong claimed sender key (bob's own)"].shake, bob.public_pem_spki],
          ];
          for (const [shake, pub] of attempts) {
            const b = await create(HandShake, bob);
            kit.equal(await b.verify(shake, pub), false);
            await b.generateHandshake(alice.public_pem_spki);
            await kit.rejects(() => b.receiveAndVerify(shake, pub), (e) => e instanceof HandshakeRejectedError);
            kit.equal(b.secret, undefined);
          }
        },
      ],
      [
        "upper-case hex is accepted, as unhexlify does",
        async () => {
          const c = negative["uppercase hex accepted (unhexlify)"];
          const b = await create(HandShake, bob);
          kit.equal(await b.verify(c.shake, alice.public_pem_spki), c.verify_with_alice_pub);
          await contribute(full.bob_random.secret_hex, () => b.generateHandshake(alice.public_pem_spki));
          await b.receiveAndVerify(c.shake, alice.public_pem_spki);
          kit.equal(kit.hex(b.secret), full.final_secret_hex);
        },
      ],
      [
        "a shake encrypted to another key is the uniform DecryptionError",
        async () => {
          const a = await create(HandShake, alice);
          await a.generateHandshake(bob.public_pem_spki);
          await kit.rejects(() => a.receiveHandshake(full.alice_shake), (e) => e instanceof DecryptionError && (e as Error).message === "decryption failed");
        },
      ],
    ];
    return cases;
  },
} satisfies PortableSuite;
