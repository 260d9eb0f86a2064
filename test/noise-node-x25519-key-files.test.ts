import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { x25519 } from "@noble/curves/ed25519.js";
import { toHex } from "../src/common/bytes.js";
import { KeyFormatError } from "../src/common/errors.js";
import { X25519PinStore, loadOrCreateX25519KeyFile, loadX25519KeyFile, saveX25519KeyFile } from "../src/node/index.js";

const folder = await mkdtemp(join(tmpdir(), "poorman-hivemind-keys-"));
after(() => rm(folder, { recursive: true, force: true }));
const posix = process.platform !== "win32";

describe("HiveMind X25519 key files", () => {
  it("creates a 0600 hex key file once, then loads the same key", async () => {
    const path = join(folder, "sub", "identity.key");
    const first = await loadOrCreateX25519KeyFile(path);
    assert.equal(first.created, true);
    assert.equal(await readFile(path, "utf8"), toHex(first.privateKey));
    if (posix) assert.equal((await stat(path)).mode & 0o777, 0o600);
    const second = await loadOrCreateX25519KeyFile(path);
    assert.equal(second.created, false);
    assert.deepEqual(second.privateKey, first.privateKey);
    assert.deepEqual(second.publicKey, x25519.getPublicKey(first.privateKey));
    assert.deepEqual(await readdir(join(folder, "sub")), ["identity.key"]); // no temp file left behind
  });

  it("ignores surrounding whitespace and refuses malformed files", async () => {
    const path = join(folder, "spaced.key");
    await writeFile(path, `\n  ${"ab".repeat(32)}  \n`, { mode: 0o600 });
    assert.equal(toHex((await loadX25519KeyFile(path)).privateKey), "ab".repeat(32));
    await writeFile(path, "not hex", { mode: 0o600 });
    await assert.rejects(loadX25519KeyFile(path), KeyFormatError);
    await assert.rejects(loadOrCreateX25519KeyFile(path), KeyFormatError);
    await assert.rejects(saveX25519KeyFile(path, new Uint8Array(31)), KeyFormatError);
  });
});

describe("HiveMind pin stores", () => {
  it("pins by host:port, persists atomically, forgets on delete", async () => {
    const path = join(folder, "hub-pins.json");
    const store = new X25519PinStore(path);
    const key = x25519.getPublicKey(new Uint8Array(32).fill(3));
    assert.equal(await store.get("hub.local:5678"), undefined);
    await Promise.all([store.set("hub.local:5678", key), store.set("other:1", toHex(key))]);
    const reopened = new X25519PinStore(path);
    assert.deepEqual(await reopened.get("hub.local:5678"), key);
    assert.deepEqual([...(await reopened.all()).keys()], ["hub.local:5678", "other:1"]);
    if (posix) assert.equal((await stat(path)).mode & 0o777, 0o600);
    await reopened.delete("hub.local:5678");
    assert.equal(await new X25519PinStore(path).get("hub.local:5678"), undefined);
  });

  it("pinIfAbsent: two concurrent first contacts with different keys pin exactly one", async () => {
    const path = join(folder, "tofu-pins.json");
    const [keyA, keyB] = [1, 2].map((b) => x25519.getPublicKey(new Uint8Array(32).fill(b))) as [Uint8Array, Uint8Array];
    const store = new X25519PinStore(path);
    const results = await Promise.all([keyA, keyB].map(async (key) => ({ key, existing: await store.pinIfAbsent("hub:5678", key) })));
    const winners = results.filter((r) => r.existing === undefined);
    assert.equal(winners.length, 1, "exactly one call pinned");
    const loser = results.find((r) => r.existing !== undefined)!;
    assert.deepEqual(loser.existing, winners[0]!.key, "the other sees the winner's pin");
    assert.deepEqual(await new X25519PinStore(path).get("hub:5678"), winners[0]!.key, "the file holds the winner");
    assert.deepEqual(await store.pinIfAbsent("hub:5678", keyA), winners[0]!.key, "a later first contact changes nothing");
  });

  it("refuses a corrupt pin file instead of starting over", async () => {
    const path = join(folder, "corrupt.json");
    await writeFile(path, '{"a": "xyz"}');
    await assert.rejects(new X25519PinStore(path).get("a"), KeyFormatError);
    await assert.rejects(new X25519PinStore(path).set("b", new Uint8Array(32)), KeyFormatError);
  });
});
