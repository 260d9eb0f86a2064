/**
 * One list of signed-request cases, run against any miner at a base URL: the real Python
 * Fiber 2.1 miner (to record `test/vectors/fiber/python_miner_answers.json`, see
 * test/vectors/SOURCES.md) and ours (test/fiber-signed-python.test.ts compares the two).
 * The miner must serve Fiber's example route `/example-subnet-request` (`{hi: str}`),
 * `/echo-signed` (any JSON back) and `/stream-signed` (`{lines}` back as text lines),
 * with a stake gate of 1000 where `validator` has more and `other` has 999.
 */
import { FiberClient } from "../../src/fiber/client.js";
import { HttpStatusError } from "../../src/common/errors.js";
import type { Keypair } from "../../src/fiber/keypair.js";
import { generateNonce } from "../../src/fiber/nonce.js";
import { signedRequestHeaders } from "../../src/fiber/signed.js";

/** The keys of the cases: the miner, a staked validator, a low-stake one and a stranger. */
export interface CaseKeys {
  miner: Keypair;
  validator: Keypair;
  other: Keypair;
  stranger: Keypair;
}

/** What a miner answered: the status and the `detail` (or the body) of each request in a case. */
export interface CaseAnswer {
  status: number[];
  body: unknown[];
}

const EXAMPLE = "/example-subnet-request";
const GOOD = '{"hi": "there"}';
const enc = new TextEncoder();

/** Runs every case against `baseUrl` and returns the answers by case name. */
export async function runSignedCases(baseUrl: string, keys: CaseKeys): Promise<Record<string, CaseAnswer>> {
  const miner = keys.miner.ss58Address;
  const send = async (path: string, headers: Record<string, string>, body: string | Uint8Array) => {
    const init = { method: "POST", headers, body: body as BodyInit };
    // Python's 500 closes the connection under the kept-alive socket: the next request then
    // fails before reaching the server, and is sent once more.
    const response = await fetch(baseUrl + path, init).catch(() => fetch(baseUrl + path, init));
    const text = await response.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // Python's 500 is text/plain "Internal Server Error".
    }
    return { status: response.status, body: json };
  };
  const sign = (body: string | Uint8Array, signer = keys.validator, options: { nonce?: string; minerHotkey?: string } = {}) =>
    signedRequestHeaders(signer, options.minerHotkey ?? miner, body, options.nonce === undefined ? {} : { nonce: options.nonce });
  const one = async (path: string, headers: Record<string, string>, body: string | Uint8Array): Promise<CaseAnswer> => {
    const r = await send(path, headers, body);
    return { status: [r.status], body: [r.body] };
  };
  const twice = async (path: string, headers: Record<string, string>, body: string | Uint8Array): Promise<CaseAnswer> => {
    const a = await send(path, headers, body);
    const b = await send(path, headers, body);
    return { status: [a.status, b.status], body: [a.body, b.body] };
  };
  const without = (headers: Record<string, string>, ...names: string[]) => Object.fromEntries(Object.entries(headers).filter(([k]) => !names.includes(k)));
  const client = new FiberClient({ keypair: keys.validator });
  const nsAgo = (ms: number) => `${BigInt(Date.now() - ms) * 1_000_000n}_abcdefghij`;

  const out: Record<string, CaseAnswer> = {};
  out["FiberClient.postSigned to the example route"] = { status: [200], body: [await client.postSigned(baseUrl, miner, EXAMPLE, { hi: "there" })] };
  out["FiberClient.postSigned to /echo-signed"] = { status: [200], body: [await client.postSigned(baseUrl, miner, "/echo-signed", { a: [1, "é", null], b: { c: true } })] };
  const lines: string[] = [];
  for await (const line of client.streamSigned(baseUrl, miner, "/stream-signed", { lines: ["one", "", "three"] })) lines.push(line);
  out["FiberClient.streamSigned to /stream-signed"] = { status: [200], body: [lines] };
  try {
    await client.postSigned(baseUrl, miner, EXAMPLE, { hi: 5 });
    out["FiberClient.postSigned with a body the model refuses"] = { status: [200], body: [null] };
  } catch (error) {
    out["FiberClient.postSigned with a body the model refuses"] = { status: [(error as HttpStatusError).status], body: [null] };
  }
  out["replay of a valid request"] = await twice(EXAMPLE, await sign(GOOD), GOOD);
  out["signed by another key"] = await one(EXAMPLE, { ...(await sign(GOOD, keys.other)), "validator-hotkey": keys.validator.ss58Address }, GOOD);
  out["body changed after signing"] = await one(EXAMPLE, await sign(GOOD), '{"hi": "thera"}');
  out["signed for another miner"] = await one(EXAMPLE, await sign(GOOD, keys.validator, { minerHotkey: keys.other.ss58Address }), GOOD);
  out["low stake"] = await one(EXAMPLE, await sign(GOOD, keys.other), GOOD);
  out["hotkey not in the metagraph"] = await one(EXAMPLE, await sign(GOOD, keys.stranger), GOOD);
  out["low stake, no nonce header"] = await one(EXAMPLE, without(await sign(GOOD, keys.other), "nonce"), GOOD);
  out["no validator-hotkey header"] = await one(EXAMPLE, without(await sign(GOOD), "validator-hotkey"), GOOD);
  out["no nonce header"] = await one(EXAMPLE, without(await sign(GOOD), "nonce"), GOOD);
  out["invalid JSON from a stranger"] = await one(EXAMPLE, await sign("{nope", keys.stranger), "{nope");
  const latin1 = new Uint8Array([0x7b, 0x22, 0x68, 0x69, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]);
  out["not UTF-8 from a stranger"] = await one(EXAMPLE, await sign(latin1, keys.stranger), latin1);
  out["empty body, then its replay"] = await twice(EXAMPLE, await sign(""), "");
  out["body the model refuses, then its replay"] = await twice(EXAMPLE, await sign('{"hi": 1}'), '{"hi": 1}');
  out["valid JSON sent as text/plain, then its replay"] = await twice(EXAMPLE, { ...(await sign(GOOD)), "content-type": "text/plain" }, GOOD);
  out["a JSON array for the object model"] = await one(EXAMPLE, await sign('["hi"]'), '["hi"]');
  out["nonce 121 s old"] = await one(EXAMPLE, await sign(GOOD, keys.validator, { nonce: nsAgo(121_000) }), GOOD);
  out["nonce 121 s ahead"] = await one(EXAMPLE, await sign(GOOD, keys.validator, { nonce: nsAgo(-121_000) }), GOOD);
  out["nonce not a number"] = await one(EXAMPLE, await sign(GOOD, keys.validator, { nonce: "soon_abcdefghij" }), GOOD);
  const good = await sign(GOOD);
  out["signature without 0x"] = await one(EXAMPLE, { ...good, signature: good.signature!.slice(2) }, GOOD);
  out["signature not hex"] = await one(EXAMPLE, { ...(await sign(GOOD)), signature: "0xzz" }, GOOD);
  out["signature too short"] = await one(EXAMPLE, { ...(await sign(GOOD)), signature: "0xabcd" }, GOOD);
  // A forger's request (bad signature) with a fresh nonce, then the real validator's request with that nonce.
  const nonce = generateNonce();
  const forged = await one(EXAMPLE, { ...(await sign(GOOD, keys.other, { nonce })), "validator-hotkey": keys.validator.ss58Address }, GOOD);
  const real = await one(EXAMPLE, await sign(GOOD, keys.validator, { nonce }), GOOD);
  out["a forged request burns the nonce of the real one"] = { status: [...forged.status, ...real.status], body: [...forged.body, ...real.body] };
  const big = enc.encode(JSON.stringify({ hi: "é".repeat(20) }));
  out["non-ASCII body sent as UTF-8"] = await one(EXAMPLE, await sign(big), big);
  return out;
}
