/**
 * Two `pmh serve --redis` processes acting as one miner against a real redis-server,
 * and `pmh serve --store` keeping keys across a restart.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fromBase64Any, randomBytes, toHex } from "../src/common/bytes.js";
import { FiberClient } from "../src/fiber/client.js";
import { DETAIL, EXCHANGE_PATH, PUBLIC_KEY_PATH } from "../src/fiber/constants.js";
import { Fernet } from "../src/fiber/fernet.js";
import { NONCE_UNVERIFIABLE_DETAIL, STORE_UNAVAILABLE_DETAIL } from "../src/fiber/constants.js";
import { createClient } from "@redis/client";
import { PMH_BIN, startServe, startServeThenCloseOutput, stopChild, type ServeChild } from "./helpers/cli.js";
import { identities, MINER_SEED, post, signedHeaders, type Identities } from "./helpers/fiber.js";
import { eventually, freePort, hasRedisServer, REDIS_MISSING, RedisServer } from "./helpers/redis.js";

const STORAGE_KEY = toHex(randomBytes(32));
let ids: Identities;
let dir = "";

before(async () => {
  ids = await identities();
  dir = mkdtempSync(join(tmpdir(), "pmh-cli-redis-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A client whose key exchanges go to `exchangeUrl` while everything else goes where it was sent. */
function splitClient(exchangeUrl: string, count: { exchanges: number }): FiberClient {
  return new FiberClient({
    keypair: ids.other,
    fetch: (input, init) => {
      const url = new URL(String(input));
      if (url.pathname === EXCHANGE_PATH || url.pathname === PUBLIC_KEY_PATH) {
        if (url.pathname === EXCHANGE_PATH) count.exchanges++;
        return fetch(exchangeUrl + url.pathname, init);
      }
      return fetch(input, init);
    },
  });
}

/** A plain node-redis client, to look at what the miner stored. */
const rawClient = (url: string) => createClient({ url });
type RawClient = ReturnType<typeof rawClient>;

/** Runs `use` with a fresh redis-server and a raw client connected to it, then disposes of both. */
async function withRedisClient(use: (redis: RedisServer, raw: RawClient) => Promise<void>): Promise<void> {
  const redis = await RedisServer.start();
  const raw = rawClient(redis.url);
  raw.on("error", () => {});
  try {
    await raw.connect();
    await use(redis, raw);
  } finally {
    raw.destroy();
    await redis.dispose();
  }
}

async function publicKey(url: string): Promise<{ status: number; key?: string }> {
  const response = await fetch(url + PUBLIC_KEY_PATH);
  return { status: response.status, key: ((await response.json()) as { public_key?: string }).public_key };
}

/** Each test is skipped, with how to install redis-server, when it is missing. */
const needsRedis = { skip: hasRedisServer ? false : REDIS_MISSING };

describe("pmh serve --redis: two instances, one miner", { timeout: 90_000 }, () => {
  let redis: RedisServer;
  let a: ServeChild;
  let b: ServeChild;
  before(async () => {
    if (!hasRedisServer) return;
    redis = await RedisServer.start();
    const args = ["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--redis", redis.url, "--storage-key", STORAGE_KEY];
    a = await startServe(args);
    b = await startServe(args);
  });
  after(async () => {
    if (!hasRedisServer) return;
    await Promise.all([a, b].filter(Boolean).map((s) => stopChild(s.child)));
    await redis.dispose();
  });

  it("share the RSA key: the first published it, the second adopted it", needsRedis, async () => {
    assert.match(a.output(), /published a new shared RSA key/);
    assert.match(b.output(), /adopted the shared RSA key/);
    const [ka, kb] = await Promise.all([publicKey(a.url), publicKey(b.url)]);
    assert.match(ka.key!, /BEGIN PUBLIC KEY/);
    assert.equal(ka.key, kb.key);
  });

  it("a key exchanged on A serves requests on B, and a nonce used on A is refused on B", needsRedis, async () => {
    const count = { exchanges: 0 };
    const client = splitClient(a.url, count);
    const answer = (await client.post(b.url, ids.miner.ss58Address, "/echo", { via: "B" })) as { via: string };
    assert.equal(answer.via, "B");
    assert.equal(count.exchanges, 1, "exchanged once, on A");

    const session = await client.handshake(b.url, ids.miner.ss58Address);
    const fernet = await Fernet.create(fromBase64Any(session.key));
    const headers = { ...(await signedHeaders(ids.other, ids.miner.ss58Address, { uuid: session.uuid })), "content-type": "application/octet-stream" };
    const body = await fernet.encrypt(JSON.stringify({ once: true }));
    const first = await post(`${a.url}/echo`, headers, body);
    assert.equal(first.status, 200);
    assert.deepEqual(first.json, { once: true });
    const replay = await post(`${b.url}/echo`, headers, body);
    assert.equal(replay.status, 401);
    assert.equal(replay.json.detail, DETAIL.invalidNonce);
  });

  it("answer 503 promptly while Redis is frozen (connected but silent), keep serving the public key", needsRedis, async () => {
    const before = await publicKey(a.url);
    redis.freeze();
    try {
      const exchangeHeaders = { ...(await signedHeaders(ids.other, ids.miner.ss58Address)), "content-type": "application/json" };
      // Bounded: a hang (the bug) fails here instead of at the suite's timeout.
      const response = await fetch(a.url + EXCHANGE_PATH, { method: "POST", headers: exchangeHeaders, body: JSON.stringify({ encrypted_symmetric_key: "AAAA" }), signal: AbortSignal.timeout(5000) });
      assert.equal(response.status, 503);
      assert.equal(((await response.json()) as { detail: string }).detail, STORE_UNAVAILABLE_DETAIL);
      const key = await publicKey(a.url);
      assert.equal(key.status, 200);
      assert.equal(key.key, before.key);
    } finally {
      redis.thaw();
    }
    const client = splitClient(a.url, { exchanges: 0 });
    assert.ok(await eventually(async () => client.post(b.url, ids.miner.ss58Address, "/echo", { thawed: 1 }).then(() => true, () => false)), "recovered after the thaw");
  });

  it("answer 503 at once while Redis is down, keep serving the public key, and recover when it is back empty", needsRedis, async () => {
    const count = { exchanges: 0 };
    const client = splitClient(a.url, count);
    const before = await publicKey(b.url);
    await client.post(b.url, ids.miner.ss58Address, "/echo", { warm: 1 });
    await redis.stop();

    for (const url of [a.url, b.url]) {
      const echo = async () => post(`${url}/echo`, await signedHeaders(ids.other, ids.miner.ss58Address), "x");
      assert.ok(await eventually(async () => (await echo()).status === 503), `${url} noticed the outage`);
      const refused = await echo();
      assert.equal(refused.status, 503);
      assert.equal(refused.json.detail, STORE_UNAVAILABLE_DETAIL);
      const exchangeHeaders = { ...(await signedHeaders(ids.other, ids.miner.ss58Address)), "content-type": "application/json" };
      const exchange = await post(url + EXCHANGE_PATH, exchangeHeaders, JSON.stringify({ encrypted_symmetric_key: "AAAA" }));
      assert.equal(exchange.status, 503);
      const key = await publicKey(url);
      assert.equal(key.status, 200);
      assert.equal(key.key, before.key);
    }
    await assert.rejects(client.post(b.url, ids.miner.ss58Address, "/echo", { during: "outage" }), (e: unknown) => (e as { status?: number }).status === 503);

    await redis.restart();
    // The keys are gone with Redis's data: the client re-handshakes (on A) by itself.
    assert.ok(await eventually(async () => client.post(b.url, ids.miner.ss58Address, "/echo", { after: 1 }).then(() => true, () => false)), "recovered");
    assert.ok(count.exchanges >= 2, "re-handshaked after the data loss");
    assert.equal((await publicKey(b.url)).key, before.key, "same RSA key after recovery");
    assert.match(a.output() + b.output(), /re-published the shared RSA key/);
    assert.match(a.output(), /Redis lost its data/);
  });
});

describe("pmh serve --store, --cors and bad store options", { timeout: 60_000 }, () => {
  it("keeps exchanged keys across a restart: the validator does not re-handshake", async () => {
    const port = String(await freePort());
    const file = join(dir, "keys.json");
    const args = ["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--port", port, "--store", file, "--storage-key", STORAGE_KEY, "--cors", "https://app.example"];
    const count = { exchanges: 0 };
    let server = await startServe(args);
    const client = splitClient(server.url, count);
    try {
      await client.post(server.url, ids.miner.ss58Address, "/echo", { n: 1 });
      const preflight = await fetch(`${server.url}/echo`, { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "POST" } });
      assert.equal(preflight.headers.get("access-control-allow-origin"), "https://app.example");
    } finally {
      assert.equal(await stopChild(server.child), 0);
    }
    server = await startServe(args);
    try {
      assert.match(server.output(), /\(1 loaded\)/);
      assert.deepEqual(await client.post(server.url, ids.miner.ss58Address, "/echo", { n: 2 }).then((r) => (r as { n: number }).n), 2);
      assert.equal(count.exchanges, 1, "the key survived the restart");
    } finally {
      assert.equal(await stopChild(server.child), 0);
    }
  });
  it("a restarted miner refuses (503) the replay of a request captured before the restart; the validator's next request passes", async () => {
    const args = ["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--port", String(await freePort()), "--store", join(dir, "replay.json"), "--storage-key", STORAGE_KEY, "--rsa-key", join(dir, "replay.pem")];
    let server = await startServe(args);
    const client = splitClient(server.url, { exchanges: 0 });
    let captured: { headers: Record<string, string>; body: string };
    try {
      const session = await client.handshake(server.url, ids.miner.ss58Address);
      const fernet = await Fernet.create(fromBase64Any(session.key));
      captured = { headers: { ...(await signedHeaders(ids.other, ids.miner.ss58Address, { uuid: session.uuid })), "content-type": "application/octet-stream" }, body: await fernet.encrypt(JSON.stringify({ pay: 1 })) };
      assert.equal((await post(`${server.url}/echo`, captured.headers, captured.body)).status, 200);
      assert.equal((await post(`${server.url}/echo`, captured.headers, captured.body)).status, 401, "replay to the same run");
    } finally {
      assert.equal(await stopChild(server.child), 0);
    }
    server = await startServe(args);
    try {
      const replay = await post(`${server.url}/echo`, captured.headers, captured.body);
      assert.deepEqual(replay, { status: 503, json: { detail: NONCE_UNVERIFIABLE_DETAIL } }, "the key survived the restart, the replay does not pass");
      assert.equal(((await client.post(server.url, ids.miner.ss58Address, "/echo", { pay: 2 })) as { pay: number }).pay, 2);
    } finally {
      assert.equal(await stopChild(server.child), 0);
    }
  });
  it("a second pmh serve on the same --store file refuses to start, naming the first; a SIGKILLed holder's lock is taken over", async () => {
    const file = join(dir, "shared.json");
    const args = (port: string) => ["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--port", port, "--store", file, "--storage-key", STORAGE_KEY];
    const first = await startServe(args("0"));
    const second = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [PMH_BIN, "serve", ...args("0")], { timeout: 20_000 }, (error, _out, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stderr }));
    });
    assert.equal(second.code, 1, second.stderr);
    assert.equal(second.stderr.trim(), `pmh serve: ${file} is in use by process ${first.child.pid} (lock file ${file}.lock): stop it or use another file`);
    assert.equal(await stopChild(first.child, "SIGKILL"), null); // leaves its lock behind
    assert.match(readFileSync(`${file}.lock`, "utf8"), new RegExp(`^${first.child.pid}@`));
    const third = await startServe(args("0"));
    assert.equal(await stopChild(third.child), 0);
  });
  it("refuses a --store file whose keys do not open (file untouched); a failed final save exits 1 with one line", async () => {
    const folder = join(dir, "final");
    const file = join(folder, "keys.json");
    const args = ["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--port", String(await freePort()), "--store", file, "--storage-key", STORAGE_KEY];
    let server = await startServe(args);
    const client = splitClient(server.url, { exchanges: 0 });
    try {
      await client.post(server.url, ids.miner.ss58Address, "/echo", { n: 1 });
    } finally {
      assert.equal(await stopChild(server.child), 0);
    }
    const bytes = readFileSync(file);
    const wrong = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [PMH_BIN, "serve", ...args.slice(0, -1), toHex(randomBytes(32))], { timeout: 20_000 }, (error, _out, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stderr }));
    });
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /keys\.json do not open: the storage key is probably wrong/);
    assert.equal(wrong.stderr.trim().split("\n").length, 1, "one line, no stack");
    assert.deepEqual(readFileSync(file), bytes, "file untouched");

    server = await startServe(args);
    rmSync(folder, { recursive: true });
    writeFileSync(folder, ""); // the store's folder cannot be created any more
    await assert.rejects(splitClient(server.url, { exchanges: 0 }).post(server.url, ids.miner.ss58Address, "/echo", { n: 2 }), (e: unknown) => (e as { status?: number }).status === 503);
    assert.equal(await stopChild(server.child), 1);
    assert.match(server.output(), /pmh serve: could not close cleanly: .*final/);
    assert.doesNotMatch(server.output(), /\n\s+at /, "no stack trace");
  });
  it("refuses to start, exit 1 with one line, a Redis that refuses the credentials or may evict keys (unless --allow-eviction)", needsRedis, async () => {
    const redis = await RedisServer.start(["--requirepass", "s3cret", "--maxmemory-policy", "allkeys-lru"]);
    const url = (auth: string) => `redis://${auth}127.0.0.1:${redis.port}`;
    const run = (args: string[]) =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, [PMH_BIN, "serve", "--port", "0", "--protocol", "encrypted", "--hotkey-seed", MINER_SEED, ...args], { timeout: 20_000 }, (error, _out, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stderr }));
      });
    try {
      const cases: [string[], number, RegExp][] = [
        [["--redis", url("")], 1, /requires a password \(NOAUTH\): give it in the URL/],
        [["--redis", url(":wrong@")], 1, /refused the user name or password \(WRONGPASS\)/],
        [["--redis", url(":s3cret@")], 1, /may evict keys, its maxmemory-policy is allkeys-lru \(CONFIG GET\).*maxmemory-policy noeviction.*--allow-eviction/],
        [["--allow-eviction"], 2, /--allow-eviction applies to --redis only/],
      ];
      for (const [args, code, message] of cases) {
        const r = await run(args);
        assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
        assert.doesNotMatch(r.stderr, /s3cret|wrong@/, "no password in the message");
      }
      const server = await startServe(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--redis", url(":s3cret@"), "--allow-eviction"]);
      assert.match(server.output(), /may evict keys .*each eviction refuses nonces minted before it/);
      assert.equal(await stopChild(server.child), 0, server.output());
    } finally {
      await redis.dispose();
    }
  });
  it("a signed-only miner over Redis neither makes nor publishes an RSA key; an encrypted one does", needsRedis, async () => {
    await withRedisClient(async (redis, raw) => {
      const signed = await startServe(["--protocol", "signed", "--hotkey-seed", MINER_SEED, "--redis", redis.url, "--redis-prefix", "signed:"]);
      try {
        assert.equal(await raw.get("signed:rsa"), null, "no RSA key published");
        assert.equal((await publicKey(signed.url)).status, 404);
      } finally {
        assert.equal(await stopChild(signed.child), 0);
      }
      const encrypted = await startServe(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--redis", redis.url, "--redis-prefix", "encrypted:"]);
      try {
        assert.match((await raw.get("encrypted:rsa")) ?? "", /^clear:/, "published, in the clear without --storage-key");
        assert.equal((await publicKey(encrypted.url)).status, 200);
      } finally {
        assert.equal(await stopChild(encrypted.child), 0);
      }
    });
  });

  it("with its output closed (pmh serve | head -1), a Redis blip is logged to nowhere and the miner keeps serving", needsRedis, async () => {
    await withRedisClient(async (redis, raw) => {
      const { child, url } = await startServeThenCloseOutput(["--protocol", "encrypted", "--hotkey-seed", MINER_SEED, "--redis", redis.url]);
      try {
        const client = splitClient(url, { exchanges: 0 });
        await client.post(url, ids.miner.ss58Address, "/echo", { before: 1 });
        // The miner logs "Redis unreachable…" and "Redis is back" into the closed pipe.
        await raw.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
        assert.ok(await eventually(async () => client.post(url, ids.miner.ss58Address, "/echo", { after: 1 }).then(() => true, () => false)), "serves after the blip");
        assert.equal((await publicKey(url)).status, 200);
        assert.equal(child.exitCode, null, "still running");
      } finally {
        assert.equal(await stopChild(child), 0);
      }
    });
  });
  it("refuses contradictory or incomplete store options with exit code 2, an unreachable Redis with 1", async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, [PMH_BIN, "serve", "--port", "0", "--protocol", "encrypted", "--hotkey-seed", MINER_SEED, ...args], { timeout: 20_000 }, (error, _out, stderr) =>
          resolve({ code: error === null ? 0 : Number(error.code), stderr }),
        );
      });
    const cases: [string[], number, RegExp][] = [
      [["--store", join(dir, "k.json")], 2, /--store needs --storage-key/],
      [["--store", join(dir, "k.json"), "--redis", "redis://127.0.0.1:1", "--storage-key", STORAGE_KEY], 2, /exclude each other/],
      [["--store", join(dir, "k.json"), "--storage-key", "abcd"], 2, /--storage-key: storage key must be 64 hex digits/],
      [["--cors", "https://a.example/path"], 2, /--cors/],
      [["--redis", "redis://127.0.0.1:1"], 1, /^pmh serve: Redis at redis:\/\/127\.0\.0\.1:1 refused the connection \(ECONNREFUSED\): is redis-server running/],
      [["--redis", "notaurl"], 2, /--redis must be a URL/],
      [["--store", dir, "--storage-key", STORAGE_KEY], 2, new RegExp(`${dir}: is a folder, not a file`)],
    ];
    for (const [args, code, message] of cases) {
      const r = await run(args);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});
