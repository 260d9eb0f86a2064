/**
 * The signed public key extension: the miner signs its RSA public key and the response
 * timestamp with its hotkey, so a validator that knows the miner's hotkey can detect a
 * swapped key (an active man in the middle). Python clients ignore the extra fields.
 *
 * @module
 */
import { NONCE_WINDOW_MS } from "./constants.js";
import { Keypair } from "./keypair.js";

/** Domain separation: this signature can never be mistaken for a Fiber request signature. */
export const PUBLIC_KEY_SIGNATURE_CONTEXT = "poorman-handshake fiber public-encryption-key v1";

/** The message the miner signs: context, miner address, timestamp and PEM, one per line. */
export function publicKeyMessage(publicKeyPem: string, timestamp: number, minerHotkey: string): string {
  return `${PUBLIC_KEY_SIGNATURE_CONTEXT}\n${minerHotkey}\n${String(timestamp)}\n${publicKeyPem}`;
}

/** The body of `GET /public-encryption-key`. */
export interface PublicKeyResponse {
  /** SPKI PEM of the miner's RSA key (Fiber's ends with a newline; clients accept it with or without). */
  public_key: string;
  /** Response time in seconds (float). */
  timestamp: number;
  /** Extension: the miner's ss58 address. */
  miner_hotkey?: string | undefined;
  /** Extension: `"0x"` + hex sr25519 signature of {@link publicKeyMessage}. */
  signature?: string | undefined;
}

/**
 * Checks the signature of a public key response: present, by `minerHotkey`, and dated
 * within the nonce window of `nowMs`. Returns false when anything is missing or wrong.
 */
export async function verifyPublicKeyResponse(body: PublicKeyResponse, minerHotkey: string, nowMs: number): Promise<boolean> {
  if (typeof body.signature !== "string" || body.miner_hotkey !== minerHotkey) return false;
  if (Math.abs(nowMs - body.timestamp * 1000) > NONCE_WINDOW_MS) return false;
  return Keypair.verify(publicKeyMessage(body.public_key, body.timestamp, minerHotkey), body.signature, minerHotkey);
}
