/**
 * File errors and key-file policy of `poorman-handshake/node`: every failure a FileError
 * naming the path; only a file that holds no key at all is replaced; key files others
 * can read are used with a warning; a path under /proc fails at once.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it, mock } from "node:test";
import { FileError, HandShake, KeyFormatError, UnsupportedKeyError, type PoormanWarning } from "../src/index.node.js";
import {
  JsonFilePinStore,
  KEY_FILE_PERMISSIONS_WARNING,
  KEY_FILE_REPLACED_WARNING,
  X25519PinStore,
  exportRSAKey,
  loadOrCreateRSAKey,
  loadOrCreateX25519KeyFile,
  loadRSAKey,
  loadWalletHotkey,
  loadX25519KeyFile,
  saveX25519KeyFile,
} from "../src/node/index.js";
import { keys, pkcs8Pem } from "./helpers/rsa.js";

const root = mkdtempSync(join(tmpdir(), "pmh-key-files-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name = "key.pem") => {
  const folder = join(root, `case${n++}`);
  mkdirSync(folder, { recursive: true });
  return join(folder, name);
};
const posix = process.platform !== "win32";
const isRoot = process.getuid?.() === 0;

/** Writes a secret file with mode 0600 (so that only the tests about modes see warnings). */
const writeSecret = (path: string, data: string | Uint8Array) => writeFileSync(path, data, { mode: 0o600 });

/** A FileError for `path` with Node's `code`, whose message names the path and what was expected. */
const fileErrorFor = (path: string, code: string, expected: RegExp) => (error: unknown) =>
  error instanceof FileError && error.path === path && error.systemCode === code && error.message.startsWith(`${path}: `) && expected.test(error.message) && error.cause instanceof Error;

describe("file errors name the path and what was expected (FileError)", () => {
  it("a folder where a key file is expected: EISDIR, for every loader", async () => {
    const folder = join(root, "a-folder");
    mkdirSync(join(folder, "w", "hotkeys", "h"), { recursive: true });
    await assert.rejects(loadX25519KeyFile(folder), fileErrorFor(folder, "EISDIR", /is a folder, not a file; expected a HiveMind X25519 key file/));
    await assert.rejects(loadOrCreateX25519KeyFile(folder), fileErrorFor(folder, "EISDIR", /X25519/));
    await assert.rejects(loadRSAKey(folder), fileErrorFor(folder, "EISDIR", /expected an RSA key file \(PEM\)/));
    await assert.rejects(loadOrCreateRSAKey(folder), fileErrorFor(folder, "EISDIR", /RSA key file/));
    await assert.rejects(HandShake.create({ path: folder }), fileErrorFor(folder, "EISDIR", /RSA key file/));
    const hotkey = join(folder, "w", "hotkeys", "h");
    await assert.rejects(loadWalletHotkey("w", "h", { walletsPath: folder }), fileErrorFor(hotkey, "EISDIR", /Bittensor hotkey file/));
    await assert.rejects(new X25519PinStore(folder).get("hub"), fileErrorFor(folder, "EISDIR", /pin file/));
    await assert.rejects(new JsonFilePinStore(folder).get("hub"), fileErrorFor(folder, "EISDIR", /pin file/));
  });

  it("a missing file: ENOENT (loaders that create files create it instead)", async () => {
    const missing = fresh("missing.key");
    await assert.rejects(loadX25519KeyFile(missing), fileErrorFor(missing, "ENOENT", /no such file or folder; expected a HiveMind/));
    await assert.rejects(loadRSAKey(missing), fileErrorFor(missing, "ENOENT", /no such file/));
    assert.equal((await loadOrCreateX25519KeyFile(missing)).created, true);
  });

  it("a file where a folder is expected: ENOTDIR, reading and writing", async () => {
    const file = fresh("plain.txt");
    writeFileSync(file, "x");
    const below = join(file, "key.pem");
    await assert.rejects(loadRSAKey(below), fileErrorFor(below, "ENOTDIR", /a parent of it is not a folder/));
    await assert.rejects(HandShake.create({ path: below }), fileErrorFor(below, "ENOTDIR", /RSA key file/));
    await assert.rejects(saveX25519KeyFile(join(file, "deeper", "id.key"), new Uint8Array(32).fill(7)), (e) => e instanceof FileError && e.systemCode === "ENOTDIR");
    await assert.rejects(exportRSAKey(keys.alice.public_pem_spki, below), (e) => e instanceof FileError && /expected a folder/.test(e.message));
  });

  it("a file we may not read: EACCES", { skip: isRoot || !posix ? "root (or Windows) reads any file, so there is no EACCES to see" : false }, async () => {
    const path = fresh();
    writeSecret(path, keys.alice.private_pem_pkcs1);
    chmodSync(path, 0o000);
    await assert.rejects(loadRSAKey(path), fileErrorFor(path, "EACCES", /permission denied; expected an RSA key file/));
  });

  it("HandShake.create({ path }) under /proc fails at once with a FileError (Node's recursive mkdir loops there)", { skip: existsSync("/proc/self") ? false : "no /proc on this system", timeout: 60_000 }, async () => {
    for (const path of ["/proc/pmh-test/key.pem", "/proc/pmh-test/deeper/key.pem", "/proc/self/pmh-test/key.pem"]) {
      await assert.rejects(HandShake.create({ path }), (e) => e instanceof FileError && /^\/proc\/(self\/)?pmh-test: /.test(e.message) && /expected a folder that can be created/.test(e.message), path);
    }
    await assert.rejects(HandShake.create({ path: "/proc/pmh-test.pem" }), (e) => e instanceof FileError && e.path === "/proc/pmh-test.pem");
  });
});

describe("an --rsa-key / HandShake key file we cannot use is refused, never replaced", () => {
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const rsa768 = generateKeyPairSync("rsa", { modulusLength: 768 }).privateKey.export({ type: "pkcs1", format: "pem" }) as string;
  const encryptedPkcs8 = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "secret" }) as string;
  const legacyEncrypted = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs1", format: "pem", cipher: "aes-128-cbc", passphrase: "secret" }) as string;
  const cert = `-----BEGIN CERTIFICATE-----\n${pemBody(keys.bob.public_pem_spki)}\n-----END CERTIFICATE-----\n`;
  const unusable: [string, string | Uint8Array, RegExp][] = [
    ["an encrypted PKCS#8 key", encryptedPkcs8, /encrypted PEM keys are not supported/],
    ["a legacy encrypted PKCS#1 key (Proc-Type)", legacyEncrypted, /encrypted PEM keys are not supported/],
    ["an EC key (PKCS#8)", ec.privateKey.export({ type: "pkcs8", format: "pem" }) as string, /not an RSA \(rsaEncryption\) key/],
    ["an EC key (SEC1)", ec.privateKey.export({ type: "sec1", format: "pem" }) as string, /PEM "EC PRIVATE KEY" block, not an RSA key/],
    ["a 768-bit RSA key", rsa768, /768-bit RSA modulus/],
    ["a binary DER key", new Uint8Array(pemToDerBytes(keys.bob.private_pem_pkcs1)), /binary DER, not PEM/],
    ["an OpenSSH key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n", /OPENSSH PRIVATE KEY/],
    ["a PKCS#8 body under a PKCS#1 label", pkcs8Pem(keys.bob).replace(/PRIVATE KEY-----/g, "RSA PRIVATE KEY-----"), /does not match its label/],
    ["a public key only", keys.bob.public_pem_spki, /public key only/],
  ];
  for (const [name, content, reason] of unusable) {
    it(`${name}: UnsupportedKeyError with the reason, file untouched, no .bak`, async () => {
      const path = fresh();
      writeSecret(path, content);
      const before = readFileSync(path);
      const seen: PoormanWarning[] = [];
      const refused = (e: unknown) => e instanceof UnsupportedKeyError && e.message.startsWith(path) && reason.test(e.message);
      await assert.rejects(loadOrCreateRSAKey(path, 1024, { onWarning: (w) => seen.push(w) }), refused);
      await assert.rejects(HandShake.create({ path, keySize: 1024 }), refused);
      assert.deepEqual(readFileSync(path), before);
      assert.equal(existsSync(`${path}.bak`), false);
      assert.deepEqual(seen, []);
    });
  }

  // Beside a certificate: the key block decides, and such a file is never replaced.
  const beside: [string, string, RegExp][] = [
    ["a certificate and an encrypted key", `${cert}${encryptedPkcs8}`, /encrypted PEM keys are not supported/],
    ["a certificate and a legacy encrypted key", `${cert}${legacyEncrypted}`, /encrypted PEM keys are not supported/],
    ["a certificate and a public key only", `${cert}${keys.bob.public_pem_spki}\n`, /public key only/],
    ["a certificate and two private keys", `${cert}${keys.alice.private_pem_pkcs1}\n${keys.bob.private_pem_pkcs1}\n`, /holds 2 private keys \("RSA PRIVATE KEY", "RSA PRIVATE KEY"\); keep only the one to use/],
    ["a certificate and a key whose body is not DER", `${cert}-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n`, /beside other PEM blocks/],
    ["a certificate only", cert, /PEM "CERTIFICATE" block, not an RSA key/],
  ];
  for (const [name, content, reason] of beside) {
    it(`${name}: UnsupportedKeyError with the reason, file untouched, no .bak`, async () => {
      const path = fresh();
      writeSecret(path, content);
      const refused = (e: unknown) => e instanceof UnsupportedKeyError && e.message.startsWith(path) && reason.test(e.message);
      await assert.rejects(loadOrCreateRSAKey(path, 1024), refused);
      await assert.rejects(HandShake.create({ path, keySize: 1024 }), refused);
      assert.equal(readFileSync(path, "utf8"), content);
      assert.equal(existsSync(`${path}.bak`), false);
    });
  }

  for (const [name, content] of [
    ["an empty file", ""],
    ["text", "hello, not a key"],
    ["a truncated PEM", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow"],
    ["a PEM whose body is not DER", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----"],
  ] as const) {
    it(`${name} holds no key: moved to .bak and replaced, with a warning`, async () => {
      const path = fresh();
      writeSecret(path, content);
      const seen: PoormanWarning[] = [];
      const pem = await loadOrCreateRSAKey(path, 1024, { onWarning: (w) => seen.push(w) });
      assert.match(pem, /^-----BEGIN RSA PRIVATE KEY-----/);
      assert.equal(readFileSync(`${path}.bak`, "utf8"), content);
      assert.deepEqual(seen.map((w) => [w.code, w.path]), [[KEY_FILE_REPLACED_WARNING, path]]);
    });
  }
});

describe("a key file that holds a certificate and the key: the key is used, the file untouched", () => {
  const cert = `-----BEGIN CERTIFICATE-----\n${pemBody(keys.alice.public_pem_spki)}\n-----END CERTIFICATE-----\n`;
  // A certificate whose body is not base64 (cut, or edited) used to make the whole file
  // "hold no key": it was moved to .bak and a new identity generated.
  const brokenCert = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
  for (const [name, content] of [
    ["a certificate, then the key", `${cert}${keys.bob.private_pem_pkcs1}\n`],
    ["the key, then a certificate", `${keys.bob.private_pem_pkcs1}\n${cert}`],
    ["a broken certificate, then the key", `${brokenCert}${keys.bob.private_pem_pkcs1}\n`],
    ["a certificate, then a PKCS#8 key, then a chain certificate", `Bag Attributes\n    localKeyID: 01\n${cert}Key Attributes: <No Attributes>\n${pkcs8Pem(keys.bob)}\n${cert}`],
  ] as const) {
    it(name, async () => {
      const path = fresh();
      writeSecret(path, content);
      const seen: PoormanWarning[] = [];
      const pem = await loadOrCreateRSAKey(path, 1024, { onWarning: (w) => seen.push(w) });
      assert.match(pem, /^-----BEGIN (RSA )?PRIVATE KEY-----\n[^]*\n-----END (RSA )?PRIVATE KEY-----$/, "the key's block alone");
      assert.equal(await loadRSAKey(path), pem);
      const shake = await HandShake.create({ path });
      assert.equal(shake.pubkey.trim(), keys.bob.public_pem_spki.trim(), "bob's key, not a new one");
      assert.equal(readFileSync(path, "utf8"), content, "untouched");
      assert.equal(existsSync(`${path}.bak`), false);
      assert.deepEqual(seen, []);
    });
  }
});

describe("key files others can read are used, with a warning (as OpenSSH)", { skip: posix ? false : "mode bits mean nothing of the kind on Windows" }, () => {
  it("warns through onWarning at each load, for private keys only; 0600 and public-key files are quiet", async () => {
    const path = fresh();
    writeSecret(path, keys.alice.private_pem_pkcs1);
    chmodSync(path, 0o644);
    const seen: PoormanWarning[] = [];
    const onWarning = (w: PoormanWarning) => seen.push(w);
    assert.equal(await loadRSAKey(path, { onWarning }), keys.alice.private_pem_pkcs1);
    assert.equal(await loadOrCreateRSAKey(path, 2048, { onWarning }), keys.alice.private_pem_pkcs1);
    assert.deepEqual(seen.map((w) => [w.code, w.path]), [[KEY_FILE_PERMISSIONS_WARNING, path], [KEY_FILE_PERMISSIONS_WARNING, path]]);
    assert.match(seen[0]!.message, /readable by others \(mode 0644\); it is used, but restrict it: chmod 600/);
    chmodSync(path, 0o600);
    await loadRSAKey(path, { onWarning });
    const pub = fresh("pub.pem");
    writeFileSync(pub, keys.alice.public_pem_spki, { mode: 0o644 });
    await loadRSAKey(pub, { onWarning });
    const x = fresh("id.key");
    writeFileSync(x, "ab".repeat(32), { mode: 0o604 });
    chmodSync(x, 0o604);
    await loadX25519KeyFile(x, { onWarning });
    assert.deepEqual(seen.slice(2).map((w) => [w.code, w.path]), [[KEY_FILE_PERMISSIONS_WARNING, x]]);
    await assert.rejects(loadRSAKey(path, { onWarning: 1 as never }), /options\.onWarning must be a function/);
  });

  it("without a hook, emits one process warning per file", async () => {
    const path = fresh();
    writeSecret(path, keys.alice.private_pem_pkcs1);
    chmodSync(path, 0o640);
    const emitted = mock.method(process, "emitWarning", () => {}); // captured, so the test log stays clean
    try {
      await loadRSAKey(path);
      await loadRSAKey(path);
      await HandShake.create({ path });
    } finally {
      emitted.mock.restore();
    }
    assert.equal(emitted.mock.callCount(), 1);
    const [message, options] = emitted.mock.calls[0]!.arguments as unknown as [string, { code: string; type: string }];
    assert.match(message, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} holds a private key and is readable by others \\(mode 0640\\)`));
    assert.deepEqual(options, { code: KEY_FILE_PERMISSIONS_WARNING, type: "PoormanKeyFileWarning" });
    assert.equal(statSync(path).mode & 0o777, 0o640, "the file is used as it is, not changed");
  });
});

function pemBody(pem: string): string {
  return pem.split("\n").filter((l) => !l.startsWith("-----")).join("\n");
}
function pemToDerBytes(pem: string): Buffer {
  return Buffer.from(pemBody(pem).replace(/\s+/g, ""), "base64");
}

// Keep KeyFormatError in view: UnsupportedKeyError is one, so `code` matching keeps working.
assert.ok(new UnsupportedKeyError("x") instanceof KeyFormatError);
