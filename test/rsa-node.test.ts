/** Key files and pins on real files in a temporary folder (Node entry point). */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { HalfHandShake, HandShake, KeyFormatError, KeyMismatchError } from "../src/index.node.js";
import { JsonFilePinStore, KEY_FILE_REPLACED_WARNING, createRSAKey, exportRSAKey, loadRSAKey, writeFileAtomic } from "../src/node/index.js";
import { MemoryPinStore, TrustOnFirstUse, exportPublicKeyPem } from "../src/rsa/index.js";
import { keys } from "./helpers/rsa.js";

const root = mkdtempSync(join(tmpdir(), "pmh-keys-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name = "key.pem") => join(root, `case${n++}`, name);
const mode = (path: string) => statSync(path).mode & 0o777;
const posix = process.platform !== "win32";

/**
 * Collects the process warnings emitted while `fn` runs, instead of letting Node print
 * them (the test log shows no warning of ours).
 */
async function warningsDuring(fn: () => Promise<unknown>): Promise<Error[]> {
  const seen: Error[] = [];
  const original = process.emitWarning;
  process.emitWarning = ((warning: string | Error, options?: { type?: string; code?: string } | string) => {
    const { type, code } = typeof options === "object" ? options : { type: options, code: undefined };
    seen.push(typeof warning === "string" ? Object.assign(new Error(warning), { name: type ?? "Warning", code }) : warning);
  }) as typeof process.emitWarning;
  try {
    await fn();
  } finally {
    process.emitWarning = original;
  }
  return seen;
}

describe("HandShake key files (create({ path }), exportPrivateKey, loadPrivate)", () => {
  it("loads a key file written by Python (PKCS#1 PEM, no trailing newline, 0644)", async () => {
    const path = fresh();
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, keys.alice.private_pem_pkcs1, { mode: 0o644 });
    const hs = await HandShake.create({ path });
    assert.equal(hs.pubkey, keys.alice.public_pem_spki);
    assert.equal(readFileSync(path, "utf8"), keys.alice.private_pem_pkcs1, "an existing file is left as it is");
  });

  it("generates and saves a key (PKCS#1 PEM, 0600, parent folders created), then loads the same key", async () => {
    const path = fresh("deep/er/key.pem");
    const first = await HandShake.create({ path, keySize: 1024 });
    const pem = readFileSync(path, "utf8");
    assert.match(pem, /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----$/);
    if (posix) assert.equal(mode(path), 0o600);
    assert.equal(await exportPublicKeyPem(pem), first.pubkey);
    assert.equal((await HalfHandShake.create({ path })).pubkey, first.pubkey);
    assert.deepEqual(readdirSync(join(path, "..")), ["key.pem"], "no temporary file is left behind");
  });

  it("a file that does not parse goes to .bak (replacing an older one), a new key is saved, and a warning says so", async () => {
    const path = fresh();
    await writeFileAtomic(path, "-----BEGIN RSA PRIVATE KEY-----\ntruncat");
    writeFileSync(`${path}.bak`, "an older backup");
    let hs: HandShake | undefined;
    const warnings = await warningsDuring(async () => (hs = await HandShake.create({ path, keySize: 1024 })));
    assert.equal(readFileSync(`${path}.bak`, "utf8"), "-----BEGIN RSA PRIVATE KEY-----\ntruncat");
    if (posix) assert.equal(mode(`${path}.bak`), 0o600);
    assert.equal(await exportPublicKeyPem(readFileSync(path, "utf8")), hs!.pubkey);
    assert.equal(warnings.length, 1);
    assert.equal((warnings[0] as Error & { code?: string }).code, KEY_FILE_REPLACED_WARNING);
    assert.match(warnings[0]!.message, /\.bak/);
  });

  it("a public-key-only file is a clear KeyFormatError and is left untouched", async () => {
    const path = fresh();
    await writeFileAtomic(path, keys.bob.public_pem_spki);
    await assert.rejects(HandShake.create({ path }), (e) => e instanceof KeyFormatError && /public key only/.test(e.message));
    assert.equal(readFileSync(path, "utf8"), keys.bob.public_pem_spki);
    assert.equal(existsSync(`${path}.bak`), false);
  });

  it("exportPrivateKey writes what loadPrivate (and Python) read", async () => {
    const hs = await HandShake.create({ privateKey: keys.bob.private_pem_pkcs1 });
    const path = fresh("sub/bob.pem");
    await hs.exportPrivateKey(path);
    assert.equal(readFileSync(path, "utf8"), keys.bob.private_pem_pkcs1, "byte for byte what Python writes");
    if (posix) assert.equal(mode(path), 0o600);
    const other = await HandShake.create({ privateKey: keys.alice.private_pem_pkcs1 });
    await other.loadPrivate(path);
    assert.equal(other.pubkey, keys.bob.public_pem_spki, "loadPrivate replaces the key in place, as Python's load_private");
    await assert.rejects(other.loadPrivate(fresh("missing.pem")), /ENOENT/);
    const publicOnly = fresh("pub.pem");
    await writeFileAtomic(publicOnly, keys.alice.public_pem_spki);
    await assert.rejects(other.loadPrivate(publicOnly), /public key only/);
    assert.equal(other.pubkey, keys.bob.public_pem_spki, "a failed load keeps the key");
  });

  it("rejects privateKey and path together", async () => {
    await assert.rejects(HandShake.create({ path: fresh(), privateKey: keys.bob.private_pem_pkcs1 }), /cannot be used together/);
  });
});

describe("standalone key-file helpers (poorman-handshake/node)", () => {
  it("createRSAKey / exportRSAKey / loadRSAKey round-trip public and private keys", async () => {
    const { publicKey, privateKey } = await createRSAKey(1024);
    assert.ok(publicKey.startsWith("-----BEGIN PUBLIC KEY-----\n") && privateKey.startsWith("-----BEGIN RSA PRIVATE KEY-----\n"));
    const pub = fresh("pub.pem");
    const priv = fresh("priv.pem");
    await exportRSAKey(publicKey, pub);
    await exportRSAKey(privateKey, priv);
    assert.equal(await loadRSAKey(pub), publicKey);
    assert.equal(await loadRSAKey(priv), privateKey);
    await assert.rejects(loadRSAKey(fresh()), /ENOENT/);
    const junk = fresh();
    await writeFileAtomic(junk, "junk");
    await assert.rejects(loadRSAKey(junk), KeyFormatError);
  });

  it("a failed atomic write leaves the target and the folder as they were", async () => {
    const target = fresh("dir-target");
    mkdirSync(target, { recursive: true }); // renaming a file over a folder fails
    await assert.rejects(writeFileAtomic(target, "data"));
    assert.ok(statSync(target).isDirectory());
    assert.deepEqual(readdirSync(join(target, "..")), ["dir-target"]);
  });
});

describe("trust on first use", () => {
  for (const [name, makeStore] of [
    ["memory", () => new MemoryPinStore()],
    ["JSON file", () => new JsonFilePinStore(fresh("pins.json"))],
  ] as const) {
    it(`${name} store: pins on first sight, accepts the same key, refuses another`, async () => {
      const tofu = new TrustOnFirstUse(makeStore());
      const first = await tofu.check("hub", keys.alice.public_pem_spki);
      assert.equal(first.firstUse, true);
      assert.deepEqual(await tofu.check("hub", keys.alice.private_pem_pkcs1), { fingerprint: first.fingerprint, firstUse: false });
      await assert.rejects(tofu.check("hub", keys.bob.public_pem_spki), KeyMismatchError);
      assert.equal((await tofu.check("other", keys.bob.public_pem_spki)).firstUse, true);
      await tofu.store.delete("hub");
      assert.equal((await tofu.check("hub", keys.bob.public_pem_spki)).firstUse, true, "after a deliberate unpin, a new key is pinned");
    });

    it(`${name} store: two concurrent first contacts with different keys pin exactly one`, async () => {
      const tofu = new TrustOnFirstUse(makeStore());
      const results = await Promise.allSettled([tofu.check("hub", keys.alice.public_pem_spki), tofu.check("hub", keys.bob.public_pem_spki)]);
      const won = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      const lost = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
      assert.equal(won.length, 1, "exactly one first use");
      assert.equal(won[0]!.firstUse, true);
      assert.equal(lost.length, 1);
      assert.ok(lost[0] instanceof KeyMismatchError);
      assert.equal(await tofu.store.get("hub"), won[0]!.fingerprint, "the pin is the winner's key");
    });
  }

  it("JSON file pins persist across store instances, mode 0600; a corrupt pin file is refused", async () => {
    const path = fresh("pins.json");
    await new TrustOnFirstUse(new JsonFilePinStore(path)).check("hub", keys.alice.public_pem_spki);
    if (posix) assert.equal(mode(path), 0o600);
    assert.equal(JSON.parse(readFileSync(path, "utf8")).version, 1);
    await assert.rejects(new TrustOnFirstUse(new JsonFilePinStore(path)).check("hub", keys.carol_3072.public_pem_spki), KeyMismatchError);
    writeFileSync(path, "{ not json");
    await assert.rejects(new JsonFilePinStore(path).get("hub"), KeyFormatError);
  });

  it("concurrent pins to one JSON file are all kept", async () => {
    const path = fresh("pins.json");
    const store = new JsonFilePinStore(path);
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.set(`peer${i}`, `fp${i}`)));
    assert.equal(Object.keys(JSON.parse(readFileSync(path, "utf8")).pins).length, 10);
  });
});
