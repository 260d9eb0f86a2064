/** Redis-backed Fiber stores against a real redis-server (skipped, with the reason, without one). */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createServer, type AddressInfo } from "node:net";
import { createClient } from "@redis/client";
import { toBase64, toHex, randomBytes } from "../src/common/bytes.js";
import { KeyFormatError, NonceUnverifiableError, StoreUnavailableError } from "../src/common/errors.js";
import { generateNonce } from "../src/fiber/nonce.js";
import { RedisFiberStores } from "../src/fiber/node/stores/redis.js";
import { StorageKey } from "../src/fiber/node/stores/storage-key.js";
import { createRSAKey } from "../src/rsa/node/keyfile.js";
import { eventually, hasRedisServer, REDIS_MISSING, RedisServer } from "./helpers/redis.js";

/** Each test is skipped, with how to install redis-server, when it is missing. */
const needsRedis = { skip: hasRedisServer ? false : REDIS_MISSING };
/** A nonce whose record may be gone is refused as unverifiable (503), not as a replay (401). */
const unverifiable = (e: unknown) => e instanceof NonceUnverifiableError && e.code === "ERR_STORE_UNAVAILABLE";

describe("RedisFiberStores", { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let raw: ReturnType<typeof createClient>;
  const opened: RedisFiberStores[] = [];
  const connect = async (prefix: string, options: Parameters<typeof RedisFiberStores.connect>[1] = {}) => {
    const stores = await RedisFiberStores.connect(redis.url, { prefix, ...options });
    opened.push(stores);
    return stores;
  };
  before(async () => {
    if (!hasRedisServer) return;
    redis = await RedisServer.start(["--enable-debug-command", "local"]);
    raw = createClient({ url: redis.url });
    raw.on("error", () => {});
    await raw.connect();
  });
  after(async () => {
    if (!hasRedisServer) return;
    await Promise.all(opened.map((s) => s.close()));
    if (raw.isOpen) raw.destroy();
    await redis.dispose();
  });

  it("remembers each nonce once across instances, atomically, with the given expiry", needsRedis, async () => {
    const [a, b] = await Promise.all([connect("t1:"), connect("t1:")]);
    const nonce = generateNonce();
    const results = await Promise.all([...Array(20)].map((_, i) => (i % 2 ? a : b).nonceStore.add(nonce, 60_000)));
    assert.equal(results.filter(Boolean).length, 1, "exactly one add of the same nonce wins");
    assert.equal(await a.nonceStore.has(nonce), true);
    assert.equal(await b.nonceStore.has(nonce), true);
    const ttl = await raw.pTTL(`t1:nonce:${nonce}`);
    assert.ok(ttl > 0 && ttl <= 60_000, `PX set: ${ttl}`);
    const short = generateNonce();
    assert.equal(await a.nonceStore.add(short, 30), true);
    assert.ok(await eventually(async () => !(await b.nonceStore.has(short))), "expired nonce forgotten");
  });

  it("shares symmetric keys, sealed at rest and bound to their slot", needsRedis, async () => {
    const storageKey = await StorageKey.fromBytes(randomBytes(32));
    const [a, b] = await Promise.all([connect("t2:", { storageKey }), connect("t2:", { storageKey })]);
    const key = randomBytes(32);
    await a.keyStore.set("hotkeyA", "uuid1", key, 60_000);
    assert.deepEqual(await b.keyStore.get("hotkeyA", "uuid1"), key);
    assert.equal(await b.keyStore.get("hotkeyA", "uuid2"), undefined);
    const stored = (await raw.get("t2:key:hotkeyA:uuid1"))!;
    assert.match(stored, /^aes256gcm:/);
    assert.ok(!stored.includes(toBase64(key)) && !stored.includes(toHex(key)), "no key material in the clear");
    // A sealed value moved to another slot does not open: the key is simply not there.
    await raw.set("t2:key:hotkeyB:uuid1", stored);
    assert.equal(await b.keyStore.get("hotkeyB", "uuid1"), undefined);
    // Another storage key cannot open it either (the validator re-handshakes).
    const other = await connect("t2:", { storageKey: await StorageKey.fromBytes(randomBytes(32)) });
    assert.equal(await other.keyStore.get("hotkeyA", "uuid1"), undefined);
    const ttl = await raw.pTTL("t2:key:hotkeyA:uuid1");
    assert.ok(ttl > 0 && ttl <= 60_000);
  });

  it("shares one RSA key: the first publishes, the others adopt; sealed when a storage key is set", needsRedis, async () => {
    const storageKey = await StorageKey.fromBytes(randomBytes(32));
    const generate = async () => (await createRSAKey(1024)).privateKey;
    const instances = await Promise.all([connect("t3:", { storageKey }), connect("t3:", { storageKey }), connect("t3:", { storageKey })]);
    const pems = await Promise.all(instances.map((s) => s.sharedRSAKey(generate)));
    assert.equal(new Set(pems).size, 1, "all three serve the same key");
    assert.match(pems[0]!, /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.match((await raw.get("t3:rsa"))!, /^aes256gcm:/);
    const stranger = await connect("t3:", { storageKey: await StorageKey.fromBytes(randomBytes(32)) });
    await assert.rejects(stranger.sharedRSAKey(generate), (e: unknown) => e instanceof KeyFormatError && /does not open with this storage key/.test(e.message));
    const keyless = await connect("t3:");
    await assert.rejects(keyless.sharedRSAKey(generate), (e: unknown) => e instanceof KeyFormatError && /is sealed/.test(e.message));
  });

  it("fails fast while Redis is down, refuses nonces older than its data loss, re-publishes the RSA key", needsRedis, async () => {
    const stores = await connect("t4:", { commandTimeoutMs: 500 });
    const pem = await stores.sharedRSAKey(async () => (await createRSAKey(1024)).privateKey);
    const before = generateNonce(Date.now() + 1); // minted after this instance connected
    assert.equal(await stores.nonceStore.add(before, 60_000), true);
    await redis.stop();
    assert.ok(await eventually(() => !stores.available), "noticed the loss");
    // "unreachable": refused at once, not queued until a timeout.
    const offline = (e: unknown) => e instanceof StoreUnavailableError && /unreachable/.test(e.message);
    await assert.rejects(stores.nonceStore.add(generateNonce(), 60_000), offline);
    await assert.rejects(stores.nonceStore.has(generateNonce()), offline);
    await assert.rejects(stores.keyStore.get("h", "u"), offline);
    await assert.rejects(stores.keyStore.set("h", "u", randomBytes(32), 1000), offline);

    await redis.restart();
    assert.ok(await eventually(() => stores.available), "reconnected by itself");
    await raw.connect().catch(() => {});
    assert.ok(await eventually(async () => (await raw.get("t4:rsa").catch(() => null)) !== null), "RSA key re-published");
    // The restarted Redis forgot `before`; the store refuses it rather than accept a replay.
    await assert.rejects(stores.nonceStore.has(before), unverifiable);
    await assert.rejects(stores.nonceStore.add(before, 60_000), unverifiable);
    assert.equal(await stores.nonceStore.add(generateNonce(Date.now() + 5), 60_000), true, "fresh nonces are accepted");
    assert.equal(await stores.sharedRSAKey(async () => "unused"), pem);
  });

  it("notices a flush without a reconnection: refuses the forgotten nonces, re-publishes the RSA key", needsRedis, async () => {
    const stores = await connect("t5:");
    await stores.sharedRSAKey(async () => (await createRSAKey(1024)).privateKey);
    const used = generateNonce(Date.now() + 1);
    assert.equal(await stores.nonceStore.add(used, 60_000), true);
    await raw.flushAll();
    assert.ok(await eventually(async () => (await raw.get("t5:rsa")) !== null), "RSA key re-published after the flush");
    await assert.rejects(stores.nonceStore.has(used), unverifiable, "the flushed nonce is refused");
    await assert.rejects(stores.nonceStore.add(used, 60_000), unverifiable);
    assert.equal(await stores.nonceStore.add(generateNonce(Date.now() + 5), 60_000), true);
  });

  it("fails a command with StoreUnavailableError when Redis stops answering (frozen)", needsRedis, async () => {
    // 1 s: short enough for the test, long enough that a slow machine does not time out the first add.
    const stores = await connect("t6:", { commandTimeoutMs: 1000 });
    assert.equal(await stores.nonceStore.add(generateNonce(), 60_000), true);
    redis.freeze();
    try {
      await assert.rejects(stores.nonceStore.add(generateNonce(), 60_000), (e: unknown) => e instanceof StoreUnavailableError && /within 1000 ms/.test(e.message));
      await assert.rejects(stores.keyStore.get("h", "u"), StoreUnavailableError);
    } finally {
      redis.thaw();
    }
    assert.ok(await eventually(async () => stores.nonceStore.add(generateNonce(Date.now() + 1), 60_000).then(() => true, () => false)), "works again after the thaw");
  });

  it("refuses nonces recorded after the snapshot Redis restarted from", needsRedis, async () => {
    const stores = await connect("t7:");
    await raw.sendCommand(["SAVE"]);
    const afterSnapshot = generateNonce(Date.now() + 1);
    assert.equal(await stores.nonceStore.add(afterSnapshot, 60_000), true);
    await redis.stop(); // SIGKILL: nothing saved after the SAVE above
    await redis.restart(); // loads the snapshot: same epoch marker, `afterSnapshot` forgotten
    assert.ok(await eventually(async () => stores.nonceStore.has(generateNonce()).then(() => true, () => false)), "reconnected");
    await raw.connect().catch(() => {});
    assert.ok(await eventually(() => raw.isReady), "test client reconnected");
    assert.equal(await raw.exists("t7:nonce:" + afterSnapshot), 0, "the snapshot lost the nonce");
    await assert.rejects(stores.nonceStore.has(afterSnapshot), unverifiable, "still refused");
    await assert.rejects(stores.nonceStore.add(afterSnapshot, 60_000), unverifiable, "replay refused");
    assert.equal(await stores.nonceStore.add(generateNonce(Date.now() + 5), 60_000), true, "fresh nonces are accepted");
    await raw.flushAll();
    await raw.sendCommand(["SAVE"]); // later restarts start empty again
  });

  it("a check that times out (Redis slow) refuses no honest nonce as a replay: 503 while unchecked, accepted after", needsRedis, async () => {
    const events: string[] = [];
    const stores = await connect("t8:", { commandTimeoutMs: 300, onEvent: (line) => events.push(line) });
    const honest = generateNonce(Date.now() + 1); // minted before Redis turns slow, sent after
    // Longer than the 2 s between checks: one periodic check starts and times out during it.
    const slow = raw.sendCommand(["DEBUG", "SLEEP", "3"]);
    assert.ok(await eventually(() => events.some((e) => /could not check Redis for a data loss/.test(e))), `a check timed out: ${events.join(" | ")}`);
    await assert.rejects(stores.nonceStore.add(generateNonce(), 60_000), (e: unknown) => e instanceof StoreUnavailableError && !(e instanceof NonceUnverifiableError));
    await slow;
    assert.ok(await eventually(() => events.some((e) => /checks pass/.test(e))), "checks pass again");
    assert.equal(await stores.nonceStore.has(honest), false, "the floor did not move");
    assert.equal(await stores.nonceStore.add(honest, 60_000), true, "the honest nonce is accepted");
    assert.equal(await stores.nonceStore.add(honest, 60_000), false, "and only once");
  });

  it("fails at once, saying so, when Redis refuses the connection", async () => {
    // A long timeout: the message shows the start did not wait for it.
    await assert.rejects(RedisFiberStores.connect("redis://127.0.0.1:1", { connectTimeoutMs: 60_000 }), (e: unknown) => e instanceof StoreUnavailableError && /127\.0\.0\.1:1 refused the connection \(ECONNREFUSED\)/.test(e.message));
  });

  it("refuses to start when Redis accepts the connection but never answers in time", async () => {
    const silent = createServer(() => {}); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      await assert.rejects(RedisFiberStores.connect(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 500 }), (e: unknown) => e instanceof StoreUnavailableError && /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ within 500 ms/.test(e.message));
    } finally {
      silent.close();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  });
});

describe("RedisFiberStores against a Redis that may evict keys", { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let raw: ReturnType<typeof createClient>;
  before(async () => {
    if (!hasRedisServer) return;
    redis = await RedisServer.start(["--maxmemory-policy", "volatile-ttl"]);
    raw = createClient({ url: redis.url });
    raw.on("error", () => {});
    await raw.connect();
  });
  after(async () => {
    if (!hasRedisServer) return;
    raw.destroy();
    await redis.dispose();
  });

  it("refuses to start unless allowEviction, saying why and how to fix", needsRedis, async () => {
    await assert.rejects(RedisFiberStores.connect(redis.url), (e: unknown) => e instanceof StoreUnavailableError && /maxmemory-policy is volatile-ttl \(CONFIG GET\).*maxmemory-policy noeviction.*allowEviction/.test(e.message) && !e.message.includes("\n"));
  });

  it("with allowEviction, an eviction counts as a data loss: the evicted nonce is refused, fresh ones pass", needsRedis, async () => {
    const events: string[] = [];
    const stores = await RedisFiberStores.connect(redis.url, { prefix: "ev:", allowEviction: true, onEvent: (line) => events.push(line) });
    try {
      assert.ok(events.some((e) => /may evict keys/.test(e)), events.join(" | "));
      const used = generateNonce(Date.now() + 1);
      assert.equal(await stores.nonceStore.add(used, 60_000), true);
      // A cache shares this Redis: memory runs out and the nonce record (shortest TTL) is evicted first.
      const info = await raw.sendCommand(["INFO", "memory"]);
      const usedMemory = Number(/^used_memory:(\d+)/m.exec(String(info))![1]);
      await raw.sendCommand(["CONFIG", "SET", "maxmemory", String(usedMemory + 256 * 1024)]);
      const filler = "x".repeat(8 * 1024);
      for (let i = 0; i < 200 && (await raw.exists(`ev:nonce:${used}`)) === 1; i++) await raw.set(`cache:${i}`, filler, { expiration: { type: "PX", value: 600_000 } });
      assert.equal(await raw.exists(`ev:nonce:${used}`), 0, "the nonce record was evicted");
      // Replayed at once, before any periodic check: the add itself reads evicted_keys.
      await assert.rejects(stores.nonceStore.add(used, 60_000), unverifiable, "its replay is refused");
      assert.equal(await stores.nonceStore.has(used), true, "and recorded again: its next replay is a plain 401");
      assert.ok(events.some((e) => /Redis evicted \d+ key/.test(e)), "the eviction is logged");
      await raw.sendCommand(["CONFIG", "SET", "maxmemory", "0"]);
      assert.equal(await stores.nonceStore.add(generateNonce(Date.now() + 5), 60_000), true, "fresh nonces pass");
    } finally {
      await stores.close();
    }
  });
});

describe("RedisFiberStores: what CONFIG and credentials say at start", { timeout: 60_000 }, () => {
  it("reads the policy from INFO when CONFIG is disabled", needsRedis, async () => {
    const redis = await RedisServer.start(["--rename-command", "CONFIG", "", "--maxmemory-policy", "allkeys-lru"]);
    try {
      await assert.rejects(RedisFiberStores.connect(redis.url), (e: unknown) => e instanceof StoreUnavailableError && /maxmemory-policy is allkeys-lru \(INFO memory\)/.test(e.message));
    } finally {
      await redis.dispose();
    }
  });

  it("reports NOAUTH and WRONGPASS as such, at once", needsRedis, async () => {
    const redis = await RedisServer.start(["--requirepass", "s3cret"]);
    const url = (auth: string) => `redis://${auth}127.0.0.1:${redis.port}`;
    try {
      const long = { connectTimeoutMs: 60_000 };
      await assert.rejects(RedisFiberStores.connect(url(""), long), (e: unknown) => e instanceof StoreUnavailableError && /requires a password \(NOAUTH\)/.test(e.message));
      await assert.rejects(RedisFiberStores.connect(url(":wrong@"), long), (e: unknown) => e instanceof StoreUnavailableError && /refused the user name or password \(WRONGPASS\)/.test(e.message) && !e.message.includes("wrong@"));
      const stores = await RedisFiberStores.connect(url(":s3cret@"), long);
      assert.equal(await stores.nonceStore.add(generateNonce(Date.now() + 1), 60_000), true);
      await stores.close();
    } finally {
      await redis.dispose();
    }
  });
});
