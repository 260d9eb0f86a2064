/** Shared setup of the Fiber end-to-end tests: fixed identities and raw signed requests. */
import { Keypair } from "../../src/fiber/keypair.js";
import { generateNonce } from "../../src/fiber/nonce.js";
import { signingMessage } from "../../src/fiber/constants.js";
import { toHex, randomBytes } from "../../src/common/bytes.js";

/** The spec's "old leopard" key plays the validator; //Alice-style seeds the others. */
export const VALIDATOR_MNEMONIC = "old leopard transfer rib spatial phone calm indicate online fire caution review";
export const MINER_SEED = "0x" + "11".repeat(32);
export const OTHER_SEED = "0x" + "22".repeat(32);

export interface Identities {
  validator: Keypair;
  miner: Keypair;
  other: Keypair;
}

export async function identities(): Promise<Identities> {
  const [validator, miner, other] = await Promise.all([Keypair.fromMnemonic(VALIDATOR_MNEMONIC), Keypair.fromSeed(MINER_SEED), Keypair.fromSeed(OTHER_SEED)]);
  return { validator, miner, other };
}

export interface SignedHeaderOptions {
  nonce?: string;
  uuid?: string;
  minerHotkey?: string;
  nowMs?: number;
  /** Sign this message instead of the right one. */
  signMessage?: string;
}

/** The five Fiber headers, correctly signed unless told otherwise. */
export async function signedHeaders(signer: Keypair, minerHotkey: string, options: SignedHeaderOptions = {}): Promise<Record<string, string>> {
  const nonce = options.nonce ?? generateNonce(options.nowMs ?? Date.now());
  const uuid = options.uuid ?? toHex(randomBytes(32));
  const miner = options.minerHotkey ?? minerHotkey;
  const signature = await signer.signHex(options.signMessage ?? signingMessage(nonce, miner, uuid));
  return { "validator-hotkey": signer.ss58Address, "miner-hotkey": miner, "symmetric-key-uuid": uuid, nonce, signature };
}

/** The status and the body of an answer: parsed JSON, or the text when it is not JSON. */
export async function statusAndJson(response: Response): Promise<{ status: number; json: any }> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

/** POSTs and returns the status and parsed JSON body. */
export async function post(url: string, headers: Record<string, string>, body: BodyInit): Promise<{ status: number; json: any }> {
  return statusAndJson(await fetch(url, { method: "POST", headers, body }));
}
