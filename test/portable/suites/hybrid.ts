/**
 * Portable vector suite: poorman_handshake's hybrid RSA-OAEP + AES-GCM blob against the
 * Python reference's output (`poorman/hybrid.json`), through the public API.
 */
import type { PortableSuite } from "../harness.js";

export default {
  name: "hybrid",
  requires: [".", "./rsa"],
  vectors: { keys: "poorman/rsa_keys.json", hybrid: "poorman/hybrid.json" },
  cases({ api, vectors, kit }) {
    const { hybridDecryptRSA, hybridEncryptRSA, decryptRSA } = api["./rsa"]!;
    const { DecryptionError } = api["."]!;
    const v = vectors.hybrid.case;
    const key = vectors.keys.keys[v.key];
    const uniform = (e: unknown) => e instanceof DecryptionError && (e as Error).message === "decryption failed";
    return [
      [
        "decrypts Python's blob, laid out as the spec says",
        async () => {
          kit.equal(v.blob_hex, "0100" + v.rsa_ct_hex + v.nonce_hex + v.tag_hex + v.aes_ct_hex);
          kit.equal(new TextDecoder().decode(await hybridDecryptRSA(key.private_pem_pkcs1, kit.bytes(v.blob_hex))), v.plaintext_utf8);
          kit.equal(kit.hex(await decryptRSA(key.private_pem_pkcs1, kit.bytes(v.rsa_ct_hex))), v.aes_key_hex);
        },
      ],
      [
        "with Python's AES key and nonce, we produce Python's nonce, tag and ciphertext",
        async () => {
          const blob: Uint8Array = await kit.withRandom([kit.bytes(v.aes_key_hex), kit.bytes(v.gcm_nonce_hex)], () => hybridEncryptRSA(key.public_pem_spki, v.plaintext_utf8));
          const hex = kit.hex(blob);
          kit.equal(hex.slice(0, 4), "0100");
          kit.equal(hex.slice(4 + 2 * v.rsa_len), v.nonce_hex + v.tag_hex + v.aes_ct_hex);
          kit.equal(kit.hex(await decryptRSA(key.private_pem_pkcs1, blob.subarray(2, 2 + v.rsa_len))), v.aes_key_hex);
        },
      ],
      [
        "a flipped bit, a truncation or the wrong key is the uniform DecryptionError",
        async () => {
          const blob = kit.bytes(v.blob_hex);
          const flipped = blob.slice();
          flipped[flipped.length - 1]! ^= 1;
          const other = vectors.keys.keys[v.key === "alice" ? "bob" : "alice"];
          await kit.rejects(() => hybridDecryptRSA(key.private_pem_pkcs1, flipped), uniform, "flipped");
          await kit.rejects(() => hybridDecryptRSA(key.private_pem_pkcs1, blob.subarray(0, blob.length - 1)), uniform, "truncated");
          await kit.rejects(() => hybridDecryptRSA(other.private_pem_pkcs1, blob), uniform, "wrong key");
        },
      ],
    ];
  },
} satisfies PortableSuite;
