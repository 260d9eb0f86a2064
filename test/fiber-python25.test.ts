/**
 * Fiber 2.5.0 (chutesai/fiber) against what the real Python code did (vectors in
 * test/vectors/fiber/v2.5.0/, made as test/vectors/SOURCES.md says): the requests the real
 * 2.5.0 validator functions sent to the real 2.5.0 miners, replayed into our server, which
 * must answer as those miners did (byte for byte) but for our documented choices; the real
 * validator functions against `pmh serve`; our FiberClient against the real miners; and
 * `nodes.json` as 2.5.0 reads and writes it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { fromBase64Any } from "../src/common/bytes.js";
import { minStake, parseMetagraph } from "../src/fiber/authorize.js";
import { DETAIL, signedGetMessage, signingMessage } from "../src/fiber/constants.js";
import { Keypair } from "../src/fiber/keypair.js";
import { MemoryKeyStore } from "../src/fiber/keystore.js";
import { MemoryNonceStore, nonceTimestampMs } from "../src/fiber/nonce.js";
import { formatNodes, parseNodes, type FiberNode } from "../src/fiber/nodes.js";
import { FiberServer } from "../src/fiber/server.js";
import { loadMetagraphFile } from "../src/fiber/node/wallet.js";
import { minerHandler, type ServeFlags } from "../src/cli/miner.js";
import { identities, type Identities } from "./helpers/fiber.js";
import { loadVectors } from "./helpers/vectors.js";

interface RecordedRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body_hex: string;
}
interface RecordedAnswer {
  status: number;
  headers?: Record<string, string>;
  body_text?: string;
  lines?: string[];
}
interface RecordedCase {
  requests: RecordedRequest[] | null;
  answer: RecordedAnswer | null;
  answers?: RecordedAnswer[];
  symmetric_key_b64?: string;
  symmetric_key_uuid?: string;
}
interface CaseFile {
  identities: Record<"validator" | "miner" | "lowstake" | "stranger", string>;
  cases: Record<string, RecordedCase>;
}

const signedMode = loadVectors<CaseFile>("fiber/v2.5.0/signed_mode.json");
const encryptedMode = loadVectors<CaseFile>("fiber/v2.5.0/encrypted_mode.json");
const againstPmh = loadVectors<CaseFile>("fiber/v2.5.0/validator_vs_pmh_serve.json");
const clientRun = loadVectors<{ results: Record<string, { ok: boolean; answer?: unknown; status?: number; detail?: string }> }>("fiber/v2.5.0/client_vs_fiber25.json");
const loadCases = loadVectors<{ variants: Record<string, { input: unknown; loaded_nodes: number }> }>("fiber/v2.5.0/nodes_load_cases.json");
const writtenByUs = loadVectors<{ text: string; fiber250_loaded: number; fiber210_loaded: number; save_nodes_rewrites_identically: boolean }>("fiber/v2.5.0/nodes_written_by_us.json");
const NODES_25 = fileURLToPath(new URL("./vectors/fiber/v2.5.0/nodes.json", import.meta.url));

const GET_ANSWER = '{"status":"Example get request received"}';
const POST_ANSWER = { status: "Example request received" };
/** Hop-by-hop and transport headers httpx added, which a `Request` sets itself. */
const TRANSPORT = new Set(["host", "connection", "content-length", "accept-encoding"]);

let ids: Identities;
before(async () => {
  ids = await identities();
});

/** Every nonce of a file's requests, to pick a clock at which all but the stale one are in the window. */
function clockOf(file: CaseFile): number {
  let latest = 0;
  for (const c of Object.values(file.cases)) {
    for (const r of c.requests ?? []) {
      const nonce = r.headers.find(([k]) => k.toLowerCase() === "nonce")?.[1];
      const ms = nonce === undefined ? undefined : nonceTimestampMs(nonce);
      if (ms !== undefined && ms > latest) latest = ms;
    }
  }
  return latest + 1000;
}

/**
 * Our miner with the routes of Fiber 2.5.0's example `subnet.py` (signed or encrypted), the
 * 2.5.0 `nodes.json` at the default 1000, a nonce store that remembers from the epoch (the
 * recording is older than the server), and the case's exchanged key when it has one.
 */
async function exampleMiner(clock: () => number, key?: { uuid: string; b64: string }): Promise<{ server: FiberServer; encrypted: FiberServer }> {
  const authorize = minStake(await loadMetagraphFile(NODES_25));
  const keyStore = new MemoryKeyStore({ clock });
  if (key !== undefined) await keyStore.set(ids.validator.ss58Address, key.uuid, fromBase64Any(key.b64, "key"), 60_000);
  const common = { keypair: ids.miner, authorize, clock, keyStore, nonceStore: new MemoryNonceStore({ clock, floorMs: 0 }) };
  const handler = () => POST_ANSWER;
  const get = { method: "GET" as const, handler: () => ({ status: "Example get request received" }) };
  const server = (await FiberServer.create(common)).signedRoute("/example-subnet-request", { handler }).signedRoute("/example-subnet-get", get);
  const encrypted = (await FiberServer.create(common)).route("/example-subnet-request", { handler }).route("/example-subnet-get", get);
  return { server, encrypted };
}

async function send(handler: (r: Request) => Promise<Response>, r: RecordedRequest): Promise<RecordedAnswer> {
  const headers = r.headers.filter(([k]) => !TRANSPORT.has(k.toLowerCase()));
  const body = r.body_hex === "" ? undefined : Buffer.from(r.body_hex, "hex");
  const response = await handler(new Request(r.url, { method: r.method, headers, ...(body === undefined ? {} : { body }) }));
  const text = await response.text();
  return { status: response.status, headers: { "content-type": response.headers.get("content-type") ?? "" }, body_text: text };
}

/** Where our miner answers differently from the real 2.5.0 one, on purpose (docs/protocol.md). */
const OUR_CHOICES: Record<string, { status: number; body_text: string }[]> = {
  // The miner-hotkey check comes before the nonce is spent: the replay is refused for the same reason.
  "signed: GET signed for another miner, then replayed": [
    { status: 401, body_text: JSON.stringify({ detail: DETAIL.invalidMinerHotkey }) },
    { status: 401, body_text: JSON.stringify({ detail: DETAIL.invalidMinerHotkey }) },
  ],
  // 2.5.0 raises TypeError (500); no input gets a 5xx from us.
  "signed: GET signature without 0x": [{ status: 401, body_text: JSON.stringify({ detail: DETAIL.invalidSignature }) }],
  // 2.5.0 checks miner-hotkey in signed mode only; we check it in both.
  "encrypted: GET signed for another miner": [{ status: 401, body_text: JSON.stringify({ detail: DETAIL.invalidMinerHotkey }) }],
  "encrypted: POST signed for another miner": [{ status: 401, body_text: JSON.stringify({ detail: DETAIL.invalidMinerHotkey }) }],
};

function expectedAnswers(name: string, c: RecordedCase): { status: number; body_text: string }[] {
  if (OUR_CHOICES[name] !== undefined) return OUR_CHOICES[name]!;
  const recorded = c.answers ?? [c.answer!];
  // A streamed answer's lines are the JSON answer's one line.
  return recorded.map((a) => ({ status: a.status, body_text: a.lines !== undefined ? a.lines.join("\n") : a.body_text! }));
}

describe("requests of the real Fiber 2.5.0 validator, replayed into our miner (routes of 2.5.0's subnet.py)", () => {
  it("the vectors name our keys", () => {
    assert.deepEqual(signedMode.identities, { validator: ids.validator.ss58Address, miner: ids.miner.ss58Address, lowstake: ids.other.ss58Address, stranger: signedMode.identities.stranger });
  });
  for (const [file, mode] of [
    [signedMode, "signed"],
    [encryptedMode, "encrypted"],
  ] as const) {
    const now = clockOf(file);
    const key = Object.values(file.cases).find((c) => c.symmetric_key_uuid !== undefined);
    for (const [name, c] of Object.entries(file.cases)) {
      // The handshake needs the Python miner's RSA key; the key it exchanged is in the vectors.
      if (name === "encrypted: perform_handshake") continue;
      it(`${name}: ${OUR_CHOICES[name] ? "our documented answer" : "the same status and bytes as 2.5.0"}`, async () => {
        const miners = await exampleMiner(() => now, key && { uuid: key.symmetric_key_uuid!, b64: key.symmetric_key_b64! });
        const handler = mode === "signed" ? miners.server.fetch : miners.encrypted.fetch;
        // A replay case's first sending was the case before it (another server here): send it once first.
        if (name.endsWith("GET replayed (same nonce)")) assert.equal((await send(handler, c.requests![0]!)).body_text, GET_ANSWER);
        const got = [];
        for (const r of c.requests!) got.push(await send(handler, r));
        const want = expectedAnswers(name, c);
        assert.deepEqual(
          got.map((a) => ({ status: a.status, body_text: a.body_text!.replace(/\n$/, "") })),
          want,
        );
        for (const a of got) assert.match(a.headers!["content-type"]!, /^application\/json/);
      });
    }
  }

  it("2.5.0's messages: a signed GET over nonce:miner, an encrypted GET over nonce:miner:uuid (recorded signatures verify)", async () => {
    const header = (r: RecordedRequest, n: string) => r.headers.find(([k]) => k.toLowerCase() === n)?.[1] ?? "";
    const s = signedMode.cases["signed: make_non_streamed_get"]!.requests![0]!;
    assert.equal(await Keypair.verify(signedGetMessage(header(s, "nonce"), ids.miner.ss58Address), header(s, "signature"), ids.validator.ss58Address), true);
    const e = encryptedMode.cases["encrypted: make_non_streamed_get"]!.requests![0]!;
    assert.equal(await Keypair.verify(signingMessage(header(e, "nonce"), ids.miner.ss58Address, header(e, "symmetric-key-uuid")), header(e, "signature"), ids.validator.ss58Address), true);
    // The headers, in the order Python sends them.
    assert.deepEqual(s.headers.map(([k]) => k).slice(5), ["Content-Type", "validator-hotkey", "miner-hotkey", "nonce", "signature"]);
    assert.equal(header(s, "content-type"), "application/json");
    assert.deepEqual(e.headers.map(([k]) => k).slice(5), ["Content-Type", "symmetric-key-uuid", "validator-hotkey", "miner-hotkey", "nonce", "signature"]);
    assert.equal(header(e, "content-type"), "application/octet-stream");
  });
});

describe("the real Fiber 2.5.0 validator functions against pmh serve (recorded)", () => {
  it("make_non_streamed_get, make_non_streamed_post, make_streamed_post and the encrypted handshake and requests all got 200", () => {
    const c = againstPmh.cases;
    for (const name of ["signed: make_non_streamed_get", "encrypted: make_non_streamed_get"]) {
      assert.equal(c[name]!.answer!.status, 200, name);
      assert.equal(c[name]!.answer!.body_text, GET_ANSWER, name);
      assert.equal(c[name]!.answer!.headers!["content-length"], "41", name);
    }
    assert.equal(c["signed: make_non_streamed_post"]!.answer!.body_text, '{"hi":"there"}');
    assert.deepEqual(c["signed: make_streamed_post"]!.answer!.lines, ["alpha", "", "gamma é"]);
    assert.ok(/^[0-9a-f]{64}$/.test(c["encrypted: perform_handshake"]!.symmetric_key_uuid!));
    assert.equal(c["encrypted: make_non_streamed_post"]!.answer!.body_text, '{"hi":"there"}');
    assert.deepEqual(c["encrypted: make_streamed_post"]!.answer!.lines, ['{"hi":"there"}']);
  });

  it("pmh serve answered every other case as the real 2.5.0 miner did, but for our documented choices", () => {
    const real = { ...signedMode.cases, ...encryptedMode.cases };
    const routeBodies = new Set(["signed: make_non_streamed_post", "signed: make_streamed_post", "encrypted: make_non_streamed_post", "encrypted: make_streamed_post", "encrypted: perform_handshake"]);
    for (const [name, c] of Object.entries(againstPmh.cases)) {
      if (routeBodies.has(name)) continue; // pmh's routes echo; 2.5.0's answer a fixed text
      const got = (c.answers ?? [c.answer!]).map((a) => ({ status: a.status, body_text: a.body_text! }));
      assert.deepEqual(got, expectedAnswers(name, real[name]!), name);
    }
  });

  it("today's pmh serve handler answers its recorded header refusals byte for byte (no clock involved)", async () => {
    const flags = { host: "127.0.0.1", port: 0, protocol: "both" } as ServeFlags;
    const stores = { nonceStore: new MemoryNonceStore(), keyStore: new MemoryKeyStore(), rsaPrivateKey: undefined };
    const handler = await minerHandler(flags, ids.miner, minStake(await loadMetagraphFile(NODES_25)), stores);
    for (const name of ["signed: GET without any Fiber header", "signed: GET with only validator-hotkey", "signed: GET low stake, only validator-hotkey", "encrypted: GET without any Fiber header"]) {
      const c = againstPmh.cases[name]!;
      const got = await send(handler, c.requests![0]!);
      assert.deepEqual({ status: got.status, body_text: got.body_text }, { status: c.answer!.status, body_text: c.answer!.body_text }, name);
    }
  });
});

describe("our FiberClient against the real Fiber 2.5.0 miners (recorded)", () => {
  const r = clientRun.results;
  it("getSigned, postSigned, streamSigned, handshake, getEncrypted and post got 2.5.0's answers", () => {
    assert.deepEqual(r["signed: getSigned /example-subnet-get"], { ok: true, answer: { status: "Example get request received" } });
    assert.deepEqual(r["signed: postSigned /example-subnet-request"], { ok: true, answer: POST_ANSWER });
    assert.deepEqual(r["signed: streamSigned /example-subnet-request"], { ok: true, answer: [JSON.stringify(POST_ANSWER)] });
    assert.deepEqual(r["encrypted: handshake"], { ok: true, answer: 64 });
    assert.deepEqual(r["encrypted: getEncrypted /example-subnet-get"], { ok: true, answer: { status: "Example get request received" } });
    assert.deepEqual(r["encrypted: post /example-subnet-request"], { ok: true, answer: POST_ANSWER });
  });
  it("the unsigned get of 2.1 is refused (422), a foreign miner gets 2.5.0's 401, a low stake its 403", () => {
    assert.equal(r["signed: get (unsigned, 2.1 style) /example-subnet-get"]!.status, 422);
    assert.equal(r["encrypted: get (unsigned, 2.1 style) /example-subnet-get"]!.status, 422);
    assert.deepEqual(r["signed: getSigned for another miner"], { ok: false, status: 401, detail: DETAIL.invalidMinerHotkey });
    assert.deepEqual(r["signed: getSigned low stake"], { ok: false, status: 403, detail: "Insufficient stake of 999.0 " });
    assert.deepEqual(r["encrypted: getEncrypted low stake"], { ok: false, status: 403, detail: "Insufficient stake of 999.0 " });
  });
});

describe("nodes.json of Fiber 2.3.0+ (dTAO)", () => {
  it("formatNodes writes the bytes the real Metagraph.save_nodes wrote", () => {
    const text = readFileSync(NODES_25, "utf8");
    assert.equal(formatNodes(parseNodes(JSON.parse(text))), text);
  });

  it("a file we wrote loaded in the real 2.5.0 load_nodes and 2.1.0's Node, and save_nodes wrote it back unchanged (recorded)", () => {
    assert.deepEqual([writtenByUs.fiber250_loaded, writtenByUs.fiber210_loaded, writtenByUs.save_nodes_rewrites_identically], [3, 3, true]);
    assert.equal(formatNodes(parseNodes(JSON.parse(writtenByUs.text))), writtenByUs.text);
  });

  it("parseNodes takes what 2.5.0's load_nodes takes, and refuses what it drops (numeric strings aside: stricter)", () => {
    for (const [name, v] of Object.entries(loadCases.variants)) {
      let ok = true;
      try {
        parseNodes(v.input);
      } catch {
        ok = false;
      }
      const expected = name === "stake as a numeric string" ? false : v.loaded_nodes > 0;
      assert.equal(ok, expected, name);
    }
  });

  it("the stake gate reads stake, the total: 2.5.0's and 2.1's files alike", async () => {
    const graph = await loadMetagraphFile(NODES_25);
    assert.equal(graph[ids.validator.ss58Address], 5000); // alpha 4100 + 0.18 × tao 5000
    const gate = minStake(graph);
    assert.deepEqual(await gate(ids.other.ss58Address), { allowed: false, detail: "Insufficient stake of 999.0 " });
    assert.deepEqual(await gate(ids.validator.ss58Address), { allowed: true });
    const v21 = JSON.parse(readFileSync(fileURLToPath(new URL("./vectors/fiber/nodes.json", import.meta.url)), "utf8"));
    assert.equal(parseMetagraph(v21)[ids.validator.ss58Address], 5000);
    assert.throws(() => parseNodes(v21), /alpha_stake must be a finite number \(a Fiber 2\.1\/2\.2 nodes\.json lacks it/);
  });

  it("property: what formatNodes writes is JSON that parseNodes and parseMetagraph read back unchanged", () => {
    const float = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
    const node = fc.record({
      hotkey: fc.string(),
      coldkey: fc.string({ unit: "binary" }),
      node_id: fc.nat(),
      incentive: float,
      netuid: fc.nat(65535),
      alpha_stake: float,
      tao_stake: float,
      stake: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
      trust: float,
      vtrust: float,
      last_updated: float,
      ip: fc.string(),
      ip_type: fc.constantFrom(4, 6),
      port: fc.nat(65535),
      protocol: fc.nat(10),
    }) satisfies fc.Arbitrary<FiberNode>;
    fc.assert(
      fc.property(fc.dictionary(fc.string(), node, { maxKeys: 4 }), (nodes) => {
        const text = formatNodes(nodes);
        assert.match(text, /^[\x20-\x7e]*$/); // ensure_ascii
        const back = parseNodes(JSON.parse(text));
        const plain = (x: Record<string, FiberNode>) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, { ...v }]));
        assert.deepEqual(plain(back), plain(nodes));
        assert.equal(formatNodes(back), text);
        const stakes = parseMetagraph(JSON.parse(text));
        for (const [k, n] of Object.entries(nodes)) assert.equal(stakes[k], n.stake);
      }),
      { numRuns: 150 },
    );
  });
});
