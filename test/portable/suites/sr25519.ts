/**
 * Portable vector suite: Fiber's sr25519 Keypair and SS58 addresses against known
 * values (`sr25519/known.json`), through the public `poorman-handshake/fiber` API, so the
 * WebAssembly sr25519 build is checked in every runtime.
 */
import type { PortableCase, PortableSuite } from "../harness.js";

interface KeyEntry { label: string; mnemonic?: string; mnemonic_password?: string; mini_secret_hex?: string; public_key_hex?: string; computed: Record<string, string> }

export default {
  name: "sr25519",
  requires: ["./fiber"],
  vectors: { known: "sr25519/known.json" },
  cases({ api, vectors, kit }) {
    const { Keypair, mnemonicToMiniSecret, ss58Encode, ss58Decode, sr25519Verify } = api["./fiber"]!;
    const { known } = vectors;
    const cases: PortableCase[] = [];
    for (const k of known.keys as KeyEntry[]) {
      const publicKey = k.public_key_hex ?? k.computed.public_key_hex;
      const mini = k.mini_secret_hex ?? k.computed.mini_secret_hex;
      if (mini === undefined) continue;
      cases.push([
        `seed → public key and ss58: ${k.label}`,
        async () => {
          const kp = await Keypair.fromSeed(`0x${mini}`);
          kit.equal(kit.hex(kp.publicKey), publicKey);
          kit.equal(kp.ss58Address, k.computed.ss58_prefix_42);
        },
      ]);
    }
    cases.push([
      "mnemonic → mini secret (substrate-bip39), with passwords",
      async () => {
        for (const v of known.mnemonic_to_mini_secret.vectors.slice(0, 8)) kit.equal(kit.hex(await mnemonicToMiniSecret(v.mnemonic, v.password)), v.mini_secret_hex, v.mnemonic);
      },
    ]);
    for (const v of known.ss58_encode.vectors) {
      cases.push([
        `ss58 format ${v.ss58_format}: ${v.address}`,
        () => {
          kit.equal(ss58Encode(kit.bytes(v.public_key_hex), v.ss58_format), v.address);
          kit.equal(kit.hex(ss58Decode(v.address).publicKey), v.public_key_hex);
        },
      ]);
    }
    for (const s of known.signatures) {
      cases.push([`raw sr25519 verify is ${s.valid}: "${s.message_utf8}"`, async () => kit.equal(await sr25519Verify(kit.bytes(s.message_hex), kit.bytes(s.signature_hex), kit.bytes(s.public_key_hex)), s.valid)]);
    }
    cases.push([
      "sign → verify round trip with a fresh keypair; a changed message is refused",
      async () => {
        const kp = await Keypair.generate();
        const sig = await kp.sign("1_abc:5Hd:uuid");
        kit.equal(await Keypair.verify("1_abc:5Hd:uuid", sig, kp.ss58Address), true);
        kit.equal(await Keypair.verify("1_abc:5Hd:uuie", sig, kp.ss58Address), false);
      },
    ]);
    return cases;
  },
} satisfies PortableSuite;
