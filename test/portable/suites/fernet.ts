/**
 * Portable vector suite: Fernet (as Fiber uses it) against the Fernet spec's vectors
 * (`fernet/*.json`), through the public API, with the clock set to each vector's "now".
 */
import type { PortableCase, PortableSuite } from "../harness.js";

export default {
  name: "fernet",
  requires: [".", "./fiber"],
  vectors: { generate: "fernet/generate.json", verify: "fernet/verify.json", invalid: "fernet/invalid.json" },
  cases({ api, vectors, kit }) {
    const { Fernet } = api["./fiber"]!;
    const { DecryptionError } = api["."]!;
    const at = (now: string) => ({ clock: () => Date.parse(now) });
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    const cases: PortableCase[] = [];
    for (const v of vectors.generate) {
      cases.push([`generate: ${v.src}`, async () => kit.equal(await (await Fernet.create(v.secret, at(v.now))).encrypt(v.src, { iv: Uint8Array.from(v.iv) }), v.token)]);
    }
    for (const v of vectors.verify) {
      cases.push([`verify: ${v.src}`, async () => kit.equal(text(await (await Fernet.create(v.secret, at(v.now))).decrypt(v.token, { ttl: v.ttl_sec })), v.src)]);
    }
    for (const v of vectors.invalid) {
      cases.push([
        `invalid: ${v.desc}`,
        async () => {
          const f = await Fernet.create(v.secret, at(v.now));
          await kit.rejects(() => f.decrypt(v.token, { ttl: v.ttl_sec }), (e) => e instanceof DecryptionError && (e as Error).message === "decryption failed");
        },
      ]);
    }
    return cases;
  },
} satisfies PortableSuite;
