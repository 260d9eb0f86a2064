/**
 * Portable vector suite: HiveMind's legacy password flow and AES-GCM transport frames
 * against the HiveMind reference's values (`hivemind/vectors.json`), through the public
 * `poorman-handshake/hivemind` and `/password` APIs.
 */
import type { PortableSuite } from "../harness.js";

export default {
  name: "hivemind",
  requires: [".", "./hivemind", "./password"],
  vectors: { hm: "hivemind/vectors.json" },
  cases({ api, vectors, kit }) {
    const { LegacyTransport } = api["./hivemind"]!;
    const { createHsub, derivePasswordSecret } = api["./password"]!;
    const { DecryptionError } = api["."]!;
    const { hsub, pbkdf2, aes_gcm: v } = vectors.hm;
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return [
      ["hsub of the legacy flow", () => kit.equal(createHsub(hsub.password, kit.bytes(hsub.iv_hex)), hsub.expected_hsub)],
      ["PBKDF2 key of the legacy flow", async () => kit.equal(kit.hex(await derivePasswordSecret(pbkdf2.password, kit.bytes(pbkdf2.salt_hex))), pbkdf2.expected_key_hex)],
      [
        "AES-GCM (16-byte nonce) JSON-HEX and binary frames match the reference",
        async () => {
          const t = await LegacyTransport.create(kit.bytes(v.key_hex));
          const frame = await t.encryptJson(v.plaintext, kit.bytes(v.nonce_hex));
          kit.equal(frame, `{"ciphertext": "${v.ciphertext_hex}", "tag": "${v.tag_hex}", "nonce": "${v.nonce_hex}"}`);
          kit.equal(text(await t.decryptJson(frame)), v.plaintext);
          kit.equal(kit.hex(await t.encryptBinary(v.plaintext, kit.bytes(v.nonce_hex))), v.nonce_hex + v.ciphertext_hex + v.tag_hex);
        },
      ],
      [
        "a flipped tag bit is the uniform DecryptionError",
        async () => {
          const t = await LegacyTransport.create(kit.bytes(v.key_hex));
          const badTag = v.tag_hex.slice(0, -1) + (v.tag_hex.endsWith("0") ? "1" : "0");
          const frame = `{"ciphertext": "${v.ciphertext_hex}", "tag": "${badTag}", "nonce": "${v.nonce_hex}"}`;
          await kit.rejects(() => t.decryptJson(frame), (e) => e instanceof DecryptionError);
        },
      ],
    ];
  },
} satisfies PortableSuite;
