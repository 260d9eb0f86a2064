import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { fromBase64Any, toBase64Url } from "../src/common/bytes.js";

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
import { DecryptionError, KeyFormatError } from "../src/common/errors.js";
import { Fernet, WEB_CRYPTO_FERNET, fernetBackend, type FernetBackend, type FernetOptions } from "../src/fiber/fernet.js";
import { NODE_FERNET } from "../src/fiber/node/fernet.js";
import { loadVectors } from "./helpers/vectors.js";

interface Vector { token: string; now: string; iv?: number[]; src?: string; secret: string; ttl_sec?: number; desc?: string }
const generate = loadVectors<Vector[]>("fernet/generate.json");
const verify = loadVectors<Vector[]>("fernet/verify.json");
const invalid = loadVectors<Vector[]>("fernet/invalid.json");
const clockAt = (rfc3339: string) => () => Date.parse(rfc3339);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** `to` opens what `from` seals, and refuses it with the uniform error after any single-bit flip. */
async function roundTripsAndRefusesFlips(from: Fernet, to: Fernet, maxLength: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength }), fc.nat(), async (data, bit) => {
      const token = await from.encrypt(data);
      assert.deepEqual(await to.decrypt(token), data);
      const raw = fromBase64Any(token);
      raw[(bit >> 3) % raw.length]! ^= 1 << (bit & 7);
      await assert.rejects(to.decrypt(toBase64Url(raw)), (e: unknown) => e instanceof DecryptionError && e.message === "decryption failed");
    }),
    { numRuns: 40 },
  );
}

const BACKENDS: ReadonlyArray<readonly [string, FernetBackend]> = [["Web Crypto", WEB_CRYPTO_FERNET], ["node:crypto", NODE_FERNET]];

it("the isomorphic module defaults to the Web Crypto backend", () => assert.equal(fernetBackend(), WEB_CRYPTO_FERNET));

for (const [name, backend] of BACKENDS) {
  const create = (key: string | Uint8Array, options: FernetOptions = {}) => Fernet.create(key, { ...options, backend });
  describe(`Fernet spec vectors (${name} backend)`, () => {
    for (const v of generate) {
      it(`generate: ${v.src}`, async () => {
        const f = await create(v.secret, { clock: clockAt(v.now) });
        assert.equal(await f.encrypt(v.src!, { iv: Uint8Array.from(v.iv!) }), v.token);
      });
    }
    for (const v of verify) {
      it(`verify: ${v.src}`, async () => {
        const f = await create(v.secret, { clock: clockAt(v.now) });
        assert.equal(text(await f.decrypt(v.token, { ttl: v.ttl_sec! })), v.src);
      });
    }
    for (const v of invalid) {
      it(`invalid: ${v.desc}`, async () => {
        const f = await create(v.secret, { clock: clockAt(v.now) });
        await assert.rejects(f.decrypt(v.token, { ttl: v.ttl_sec! }), (e: unknown) => e instanceof DecryptionError && e.message === "decryption failed");
      });
    }
    it("refuses the far-future token without a TTL too (clock-skew rule)", async () => {
      const v = invalid.find((x) => x.desc!.includes("far-future"))!;
      const f = await create(v.secret, { clock: clockAt(v.now) });
      await assert.rejects(f.decrypt(v.token), DecryptionError);
    });
    it("accepts the expired-TTL token when no TTL is set (as Python Fiber)", async () => {
      const v = verify[0]!;
      const f = await create(v.secret, { clock: () => Date.parse(v.now) + 86_400_000 });
      assert.equal(text(await f.decrypt(v.token)), v.src);
    });
  });

  describe(`Fernet keys and round trips (${name} backend)`, () => {
    it("accepts the same key in standard and URL-safe base64 and as bytes", async () => {
      const raw = fromBase64Any(generate[0]!.secret);
      const std = toBase64(raw);
      assert.notEqual(std, generate[0]!.secret, "the vector key must use URL-safe characters for this test");
      const token = await (await create(std)).encrypt("x");
      for (const key of [std, toBase64Url(raw), raw]) assert.equal(text(await (await create(key)).decrypt(token)), "x");
    });
    it("rejects keys that are not 32 bytes or not base64", async () => {
      for (const key of ["", "abc", toBase64(new Uint8Array(31)), toBase64(new Uint8Array(33)), "a+b-" + "A".repeat(40), new Uint8Array(16)]) {
        await assert.rejects(create(key), KeyFormatError);
      }
    });
    it("generateKey gives 32 random bytes in URL-safe base64", async () => {
      const a = Fernet.generateKey(), b = Fernet.generateKey();
      assert.equal(fromBase64Any(a).length, 32);
      assert.notEqual(a, b);
    });
    it("round-trips any bytes and refuses any single-bit change", async () => {
      const f = await create(Fernet.generateKey());
      await roundTripsAndRefusesFlips(f, f, 100);
    });
    it("refuses a token of another key and garbage of any kind with DecryptionError", async () => {
      const f = await create(Fernet.generateKey());
      const other = await (await create(Fernet.generateKey())).encrypt("hi");
      await assert.rejects(f.decrypt(other), DecryptionError);
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string(), fc.base64String()), async (junk) => {
          await assert.rejects(f.decrypt(junk), DecryptionError);
        }),
        { numRuns: 60 },
      );
    });
    it("decrypts a token given as ASCII bytes", async () => {
      const f = await create(Fernet.generateKey());
      const token = await f.encrypt("bytes");
      assert.equal(text(await f.decrypt(new TextEncoder().encode(token))), "bytes");
    });
  });

  it(`${name} tokens open with the other backend, and its tampered tokens fail there too`, async () => {
    const key = Fernet.generateKey();
    const [mine, other] = await Promise.all([create(key), Fernet.create(key, { backend: backend === NODE_FERNET ? WEB_CRYPTO_FERNET : NODE_FERNET })]);
    await roundTripsAndRefusesFlips(mine, other, 300);
  });
}

it("both backends encode tokens alike and refuse the same malformed token texts", async () => {
  const key = Fernet.generateKey();
  const [web, node] = await Promise.all([Fernet.create(key, { backend: WEB_CRYPTO_FERNET }), Fernet.create(key, { backend: NODE_FERNET })]);
  const iv = new Uint8Array(16).fill(7);
  for (const length of [0, 1, 2, 15, 16, 17, 1000]) {
    const plain = new Uint8Array(length).fill(length & 0xff);
    assert.equal(await node.encrypt(plain, { iv, time: 1 }), await web.encrypt(plain, { iv, time: 1 }));
  }
  const token = await web.encrypt("padding rules");
  const bad = [token.replace(/=+$/, ""), `${token}=`, `${token}A`, `${token.slice(0, 10)}+${token.slice(11)}`, ` ${token}`, `${token.slice(0, -4)}A===`, `${token.slice(0, 8)}=${token.slice(9)}`];
  for (const text of bad) {
    await assert.rejects(node.decrypt(text), DecryptionError, text);
    await assert.rejects(web.decrypt(text), DecryptionError, text);
  }
});

it("the node:crypto token decoder refuses exactly the texts the portable check refuses, and decodes the others alike", () => {
  const portable = (text: string) => (text.length % 4 === 0 && /^[A-Za-z0-9_-]+={0,2}$/.test(text) ? fromBase64Any(text) : undefined);
  const decode = NODE_FERNET.decodeToken!;
  const chars = fc.constantFrom(..."AZaz09-_+/= \n.\u00e9\u0000");
  const tokenish = fc.oneof(
    fc.array(chars, { maxLength: 12 }).map((a) => a.join("")),
    fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.nat(60), fc.array(chars, { minLength: 1, maxLength: 3 })).map(([bytes, at, insert]) => {
      const text = toBase64Url(bytes);
      const i = at % (text.length + 1);
      return text.slice(0, i) + insert.join("") + text.slice(i + (at % 2));
    }),
    fc.uint8Array({ maxLength: 40 }).map((bytes) => toBase64Url(bytes)),
  );
  fc.assert(fc.property(tokenish, (text) => {
    const want = portable(text), got = decode(text);
    assert.equal(got === undefined, want === undefined, JSON.stringify(text));
    if (want !== undefined) assert.deepEqual(new Uint8Array(got!), new Uint8Array(want));
  }), { numRuns: 3000 });
  for (const text of ["", "====", "A===", "AA==", "AAA=", "AAAA", "AA=A", "+AAA", "/AAA", "AA\nA", "AAAA====", "AAAAAA=="]) {
    assert.equal(decode(text) === undefined, portable(text) === undefined, JSON.stringify(text));
  }
});

it("Fernet.create refuses a backend that is not one", async () => {
  await assert.rejects(Fernet.create(Fernet.generateKey(), { backend: {} as FernetBackend }), /options.backend must be a FernetBackend/);
});
