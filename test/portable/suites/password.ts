/**
 * Portable vector suite: the hsub envelope and the password handshake against the
 * Python reference's outputs (`poorman/` vectors), through the public API only.
 */
import type { PortableCase, PortableSuite } from "../harness.js";

export default {
  name: "password",
  requires: [".", "./password"],
  vectors: { hsub: "poorman/hsub.json", handshake: "poorman/password_handshake.json" },
  cases({ api, vectors, kit }) {
    const { createHsub, matchHsub, ivFromHsub, derivePasswordSecret, PasswordHandShake } = api["./password"]!;
    const { HandshakeRejectedError, PasswordHandShake: RootPasswordHandShake } = api["."]!;
    const cases: PortableCase[] = [
      ["the main entry re-exports the password handshake", () => kit.equal(RootPasswordHandShake, PasswordHandShake)],
    ];

    for (const v of vectors.hsub.create_hsub) {
      cases.push([`create_hsub ${v.iv_hex} len ${v.hsublen}`, () => kit.equal(createHsub(v.text, kit.bytes(v.iv_hex), v.hsublen), v.hsub)]);
    }
    for (const v of vectors.hsub.match_hsub) {
      cases.push([`match_hsub: ${v.name}`, () => kit.equal(matchHsub(v.hsub, v.subject), v.result)]);
    }
    for (const v of vectors.hsub.iv_from_hsub) {
      cases.push([
        `iv_from_hsub: ${v.name}`,
        () => {
          const iv = ivFromHsub(v.hsub);
          // Deliberate difference: Python's bytes.fromhex skips whitespace; we refuse it.
          if (v.result_is_false || /whitespace/.test(v.name)) kit.equal(iv, null);
          else kit.equal(kit.hex(iv), v.result_hex);
        },
      ]);
    }

    /** A handshake whose iv is the vector's, as the reference's patched RNG made it. */
    const shakeWithIv = (hs: any, ivHex: string): Promise<string> => kit.withRandom([kit.bytes(ivHex)], () => hs.generateHandshake());

    for (const v of vectors.handshake.cases) {
      if (v.name.startsWith("reflection") || v.iv_a_hex === v.iv_b_hex) continue; // refused, below
      cases.push([
        `handshake: ${v.name}`,
        async () => {
          const a = new PasswordHandShake(v.password_a, { minBits: 0 }), b = new PasswordHandShake(v.password_b, { minBits: 0 });
          kit.equal(await shakeWithIv(a, v.iv_a_hex), v.hsub_a);
          kit.equal(await shakeWithIv(b, v.iv_b_hex), v.hsub_b);
          kit.equal(await a.receiveAndVerify(v.hsub_b), v.a_receive_and_verify_returns);
          kit.equal(await b.receiveAndVerify(v.hsub_a), v.b_receive_and_verify_returns);
          if (!v.secrets_equal) {
            kit.equal(a.secret, undefined, "a failed verify keeps no secret");
            await a.receiveHandshake(v.hsub_b);
            await b.receiveHandshake(v.hsub_a);
          }
          kit.equal(kit.hex(a.secret), v.secret_a_hex);
          kit.equal(kit.hex(b.secret), v.secret_b_hex);
        },
      ]);
    }
    const reflection = vectors.handshake.cases.find((c: any) => c.name.startsWith("reflection"));
    cases.push([
      "handshake: our own hsub reflected back is refused (the reference accepts it)",
      async () => {
        const a = new PasswordHandShake(reflection.password_a, { minBits: 0 });
        const own = await shakeWithIv(a, reflection.iv_a_hex);
        kit.equal(own, reflection.hsub_a);
        kit.equal(await a.verify(own), false);
        await kit.rejects(() => a.receiveHandshake(own), (e) => e instanceof HandshakeRejectedError && (e as { code?: string }).code === "ERR_HANDSHAKE_REJECTED");
        kit.equal(a.secret, undefined);
      },
    ]);
    for (const p of vectors.handshake.pbkdf2) {
      cases.push([`PBKDF2-HMAC-SHA256 salt ${p.salt_hex}`, async () => kit.equal(kit.hex(await derivePasswordSecret(p.password, kit.bytes(p.salt_hex), p.iterations)), p.key_hex)]);
    }
    return cases;
  },
} satisfies PortableSuite;
