/** FileKeyStore (keys across restarts, sealed at rest), storage keys, and CORS. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { randomBytes, toBase64, toHex } from "../src/common/bytes.js";
import { DecryptionError, InvalidArgumentError, KeyFormatError, StoreUnavailableError } from "../src/common/errors.js";
import { withCors } from "../src/fiber/cors.js";
import { FileKeyStore } from "../src/fiber/node/stores/file-keystore.js";
import { StorageKey, decodeAtRest, encodeAtRest } from "../src/fiber/node/stores/storage-key.js";

const dir = mkdtempSync(join(tmpdir(), "pmh-filestore-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("StorageKey and values at rest", () => {
  it("round-trips any secret in its slot and refuses another slot, key or bit flip", async () => {
    const [a, b] = await Promise.all([StorageKey.fromBytes(randomBytes(32)), StorageKey.fromHex(toHex(randomBytes(32)))]);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 40 }), fc.nat(), async (secret, slot, flip) => {
        const text = await encodeAtRest(a, secret, slot);
        assert.deepEqual(await decodeAtRest(a, text, slot), secret);
        await assert.rejects(decodeAtRest(a, text, slot + "x"), DecryptionError);
        await assert.rejects(decodeAtRest(b, text, slot), DecryptionError);
        await assert.rejects(decodeAtRest(undefined, text, slot), DecryptionError);
        const bytes = Buffer.from(text.slice("aes256gcm:".length), "base64");
        bytes[flip % bytes.length]! ^= 1 << flip % 8;
        await assert.rejects(decodeAtRest(a, "aes256gcm:" + bytes.toString("base64"), slot), DecryptionError);
      }),
      { numRuns: 25 },
    );
  });
  it("keeps values in the clear only without a storage key, and refuses to mix", async () => {
    const secret = randomBytes(32);
    const clear = await encodeAtRest(undefined, secret, "s");
    assert.equal(clear, "clear:" + toBase64(secret));
    assert.deepEqual(await decodeAtRest(undefined, clear, "s"), secret);
    await assert.rejects(decodeAtRest(await StorageKey.fromBytes(randomBytes(32)), clear, "s"), DecryptionError, "a planted clear value is refused");
  });
  it("takes exactly 32 bytes / 64 hex digits", async () => {
    await assert.rejects(StorageKey.fromHex("ab"), InvalidArgumentError);
    await assert.rejects(StorageKey.fromHex("zz".repeat(32)), InvalidArgumentError);
    await assert.rejects(StorageKey.fromBytes(randomBytes(16)), InvalidArgumentError);
  });
});

describe("FileKeyStore", () => {
  it("keeps live keys across reopen, sealed, mode 0600, and drops expired ones", async () => {
    const path = join(dir, "keys.json");
    let now = 1_000_000;
    const storageKey = await StorageKey.fromBytes(randomBytes(32));
    const store = await FileKeyStore.open(path, { storageKey, clock: () => now, flushDelayMs: 0 });
    const [k1, k2] = [randomBytes(32), randomBytes(32)];
    await store.set("hotkey1", "uuid1", k1, 60_000);
    await store.set("hotkey2", "uuid2", k2, 1_000);
    await store.close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const text = readFileSync(path, "utf8");
    assert.ok(!text.includes(toBase64(k1)) && !text.includes(toHex(k1)), "no key material in the clear");

    now += 2_000; // k2 expired meanwhile
    const reopened = await FileKeyStore.open(path, { storageKey, clock: () => now });
    assert.deepEqual(await reopened.get("hotkey1", "uuid1"), k1);
    assert.equal(await reopened.get("hotkey2", "uuid2"), undefined);
    assert.equal(reopened.size, 1);
    now += 60_000;
    assert.equal(await reopened.get("hotkey1", "uuid1"), undefined, "expired after its TTL");

  });
  it("refuses to open with another storage key and leaves the file untouched", async () => {
    const path = join(dir, "wrong-key.json");
    const storageKey = await StorageKey.fromBytes(randomBytes(32));
    const store = await FileKeyStore.open(path, { storageKey });
    const keys = [randomBytes(32), randomBytes(32), randomBytes(32)];
    await Promise.all(keys.map((k, i) => store.set("hotkey", `uuid${i}`, k, 60_000)));
    await store.close();
    const bytes = readFileSync(path);
    for (const other of [{ storageKey: await StorageKey.fromBytes(randomBytes(32)) }, {}]) {
      await assert.rejects(FileKeyStore.open(path, other), (e: unknown) => e instanceof KeyFormatError && e.message.includes(path) && /3 of the keys .* do not open: (the storage key is probably wrong|no storage key was given)/.test(e.message));
    }
    assert.deepEqual(readFileSync(path), bytes, "file unchanged");
    const reopened = await FileKeyStore.open(path, { storageKey });
    assert.equal(reopened.size, 3);
    for (const [i, k] of keys.entries()) assert.deepEqual(await reopened.get("hotkey", `uuid${i}`), k);
  });
  it("acknowledges a key only once it is on disk, sharing writes between concurrent changes", async () => {
    const path = join(dir, "durable.json");
    const storageKey = await StorageKey.fromBytes(randomBytes(32));
    const store = await FileKeyStore.open(path, { storageKey });
    const key = randomBytes(32);
    await store.set("hotkey", "uuid", key, 60_000);
    assert.deepEqual(await (await FileKeyStore.open(path, { storageKey, lock: false })).get("hotkey", "uuid"), key, "a fresh store sees the key");
    const burst = [...Array(20)].map((_, i) => [`u${i}`, randomBytes(32)] as const);
    await Promise.all(burst.map(([uuid, k]) => store.set("hotkey", uuid, k, 60_000)));
    const fresh = await FileKeyStore.open(path, { storageKey, lock: false });
    for (const [uuid, k] of burst) assert.deepEqual(await fresh.get("hotkey", uuid), k);
  });
  it("rejects a change it could not save with StoreUnavailableError", async () => {
    const store = await FileKeyStore.open(join(dir, "a-file", "keys.json"));
    rmSync(join(dir, "a-file"), { recursive: true });
    writeFileSync(join(dir, "a-file"), ""); // its folder cannot be created any more
    await assert.rejects(store.set("hotkey", "uuid", randomBytes(32), 60_000), (e: unknown) => e instanceof StoreUnavailableError && /could not save .*a-file/.test(e.message));
  });
  it("is used by one process at a time: a second open names the holder; a stale lock (dead pid) is taken over", async () => {
    const path = join(dir, "locked.json");
    const first = await FileKeyStore.open(path);
    assert.equal(readFileSync(`${path}.lock`, "utf8"), `${process.pid}@${hostname()}\n`);
    await assert.rejects(FileKeyStore.open(path), (e: unknown) => e instanceof StoreUnavailableError && e.message.includes(`${path} is in use by this process (${process.pid}) (lock file ${path}.lock)`));
    await first.set("h", "u", randomBytes(32), 60_000);
    await first.close();
    assert.throws(() => statSync(`${path}.lock`), /ENOENT/, "close releases the lock");

    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    writeFileSync(`${path}.lock`, `${dead.stdout}@${hostname()}\n`); // a holder killed with SIGKILL
    const second = await FileKeyStore.open(path);
    assert.equal(second.size, 1);
    assert.equal(readFileSync(`${path}.lock`, "utf8"), `${process.pid}@${hostname()}\n`, "the stale lock was taken over");
    await second.close();

    writeFileSync(`${path}.lock`, "4242@another-host\n");
    await assert.rejects(FileKeyStore.open(path), (e: unknown) => e instanceof StoreUnavailableError && /in use by process 4242 on host another-host .*delete the lock file/.test(e.message));
    assert.equal(readFileSync(`${path}.lock`, "utf8"), "4242@another-host\n", "a lock it cannot judge is left alone");
    rmSync(`${path}.lock`);
  });
  it("lets exactly one of several processes racing for a stale lock take it", async () => {
    const path = join(dir, "raced.json");
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    writeFileSync(`${path}.lock`, `${dead.stdout}@${hostname()}\n`);
    const lockModule = new URL("../src/common/node/lock-file.ts", import.meta.url).href;
    // Each racer says whether it won, then holds what it got until its stdin closes.
    const script = `const { FileLock } = await import(${JSON.stringify(lockModule)});
      const said = await FileLock.acquire(${JSON.stringify(path)}).then(() => "won", (e) => "lost: " + e.message);
      process.stdout.write(said + "\\n"); process.stdin.resume();`;
    const racers = [...Array(4)].map(() => spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "inherit"] }));
    const said = await Promise.all(racers.map((child) => new Promise<string>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim())))));
    for (const child of racers) child.stdin.end();
    await Promise.all(racers.map((child) => new Promise((resolve) => child.once("exit", resolve))));
    assert.equal(said.filter((s) => s === "won").length, 1, said.join(" | "));
    for (const s of said.filter((s) => s !== "won")) assert.match(s, /is in use by process \d+/);
  });
  it("saves a burst of concurrent changes, and refuses a foreign file", async () => {
    const path = join(dir, "burst.json");
    const store = await FileKeyStore.open(path, { flushDelayMs: 50 });
    await Promise.all([...Array(50)].map((_, i) => store.set("h", `u${i}`, randomBytes(32), 60_000)));
    await store.close();
    const saved = JSON.parse(readFileSync(path, "utf8")) as { keys: unknown[]; sealed: boolean };
    assert.equal(saved.keys.length, 50);
    assert.equal(saved.sealed, false);
    writeFileSync(join(dir, "foreign.json"), '{"hello":1}');
    await assert.rejects(FileKeyStore.open(join(dir, "foreign.json")), KeyFormatError);
  });
});

describe("withCors", () => {
  const handler = withCors(async () => Response.json({ ok: true }), ["https://app.example"]);
  it("answers preflights for listed origins with the Fiber headers, nothing for others", async () => {
    const preflight = (origin: string) =>
      handler(new Request("http://m/echo", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "nonce, signature" } }));
    const ok = await preflight("https://app.example");
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get("access-control-allow-origin"), "https://app.example");
    for (const h of ["validator-hotkey", "miner-hotkey", "symmetric-key-uuid", "nonce", "signature", "content-type"]) assert.match(ok.headers.get("access-control-allow-headers")!, new RegExp(h));
    const no = await preflight("https://evil.example");
    assert.equal(no.headers.get("access-control-allow-origin"), null);
  });
  it("labels answers to listed origins only, and accepts '*'", async () => {
    const listed = await handler(new Request("http://m/x", { headers: { origin: "https://app.example" } }));
    assert.equal(listed.headers.get("access-control-allow-origin"), "https://app.example");
    assert.deepEqual(await listed.json(), { ok: true });
    const other = await handler(new Request("http://m/x", { headers: { origin: "https://evil.example" } }));
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    const any = withCors(async () => new Response("x"), ["*"]);
    assert.equal((await any(new Request("http://m/x", { headers: { origin: "https://a.b" } }))).headers.get("access-control-allow-origin"), "*");
    assert.throws(() => withCors(handler, ["https://app.example/path"]), InvalidArgumentError);
    assert.throws(() => withCors(handler, []), InvalidArgumentError);
  });
});
