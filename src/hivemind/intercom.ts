/**
 * INTERCOM: a HiveMessage sealed for one node's RSA key, in the layout hivemind-core's hub
 * reads (`handle_intercom_message`): `payload = {ciphertext, signature}`, both base64,
 * where `ciphertext` is poorman_handshake's `encrypt_RSA` (RSA-OAEP-SHA1) of the
 * serialized inner message and `signature` its `sign_RSA` (RSA-PSS-SHA256) over the
 * ciphertext bytes, with the recipient's PEM key in `target_pubkey`.
 *
 * An inner message too long for one RSA block (214 bytes with a 2048-bit key) is sealed
 * with poorman_handshake's `hybrid_encrypt_RSA` instead (RSA-OAEP wraps an AES-256-GCM
 * key); {@link openIntercom} tells the two apart by length. hivemind-core's hub decrypts
 * only the single-block form.
 *
 * @module
 */
import { fromBase64, toBase64, toHex, utf8 } from "../common/bytes.js";
import { InvalidArgumentError, ProtocolError } from "../common/errors.js";
import { decryptRSA, encryptRSA, exportPublicKeyPem, hybridDecryptRSA, hybridEncryptRSA, importRSAKey, modulusBytes, signRSA, verifyRSA, type RSAKeyInput } from "../rsa/index.js";
import { parseKeyMaterial, publicDer } from "../rsa/pem.js";
import { type HiveMessage, parseHiveMessage, serializeHiveMessage } from "./message.js";

/** The payload of a sealed INTERCOM. */
export interface IntercomPayload {
  /** base64 of the RSA-OAEP ciphertext (or of the hybrid blob). */
  ciphertext: string;
  /** base64 of the sender's RSA-PSS signature over the ciphertext bytes. */
  signature: string;
}

/** OAEP-SHA1 overhead: a k-byte key encrypts at most k - 42 bytes in one block. */
const OAEP_SHA1_OVERHEAD = 42;

/** True when `message` is an INTERCOM whose payload is sealed (`{ciphertext, ...}`). */
export function isSealedIntercom(message: HiveMessage): boolean {
  const payload = message.payload as Record<string, unknown> | null;
  return message.msg_type === "intercom" && payload !== null && typeof payload === "object" && typeof payload.ciphertext === "string";
}

/**
 * A stable identity of an RSA public key (hex of its SPKI DER), whatever PEM form
 * (SPKI or PKCS#1, any line length) carries it; `undefined` for text that is no RSA key.
 */
export function rsaKeyId(pem: unknown): string | undefined {
  if (typeof pem !== "string") return undefined;
  try {
    return toHex(publicDer(parseKeyMaterial(pem)));
  } catch {
    return undefined;
  }
}

/**
 * Seals `inner` for the holder of `recipientPublicKey`, signed with `senderPrivateKey`.
 * @param inner - the message to deliver (a `bus` message, usually)
 * @param recipientPublicKey - the target node's RSA public key, PEM (what it presented in its HELLO)
 * @param senderPrivateKey - this node's RSA private key (the key its HELLO presented)
 * @returns an `intercom` HiveMessage addressed by `target_pubkey`
 * @throws KeyFormatError when a key is refused
 */
export async function sealIntercom(inner: HiveMessage, recipientPublicKey: string, senderPrivateKey: RSAKeyInput): Promise<HiveMessage> {
  if (typeof recipientPublicKey !== "string") throw new InvalidArgumentError("recipientPublicKey must be a PEM string");
  const text = utf8(serializeHiveMessage(inner));
  const k = modulusBytes(await importRSAKey(recipientPublicKey, "encrypt", "SHA-1", "recipientPublicKey"));
  const ciphertext = text.length <= k - OAEP_SHA1_OVERHEAD ? await encryptRSA(recipientPublicKey, text) : await hybridEncryptRSA(recipientPublicKey, text);
  const signature = await signRSA(senderPrivateKey, ciphertext);
  const payload: IntercomPayload = { ciphertext: toBase64(ciphertext), signature: toBase64(signature) };
  return { msg_type: "intercom", payload, target_pubkey: recipientPublicKey };
}

function sealedParts(message: HiveMessage): { ciphertext: Uint8Array; signature: Uint8Array | undefined } {
  if (!isSealedIntercom(message)) throw new ProtocolError("not a sealed INTERCOM (its payload has no ciphertext)");
  const payload = message.payload as Record<string, unknown>;
  try {
    const ciphertext = fromBase64(payload.ciphertext as string, "ciphertext");
    const signature = typeof payload.signature === "string" ? fromBase64(payload.signature, "signature") : undefined;
    return { ciphertext, signature };
  } catch (cause) {
    throw new ProtocolError("a sealed INTERCOM must carry base64 ciphertext and signature", { cause });
  }
}

/**
 * Checks the sender's signature over a sealed INTERCOM's ciphertext.
 * @param senderPublicKey - the key the sender presented (PEM)
 * @returns false for a missing, malformed or wrong signature, or a key that is no RSA key
 */
export async function verifyIntercom(message: HiveMessage, senderPublicKey: string): Promise<boolean> {
  try {
    const { ciphertext, signature } = sealedParts(message);
    return signature !== undefined && (await verifyRSA(senderPublicKey, ciphertext, signature));
  } catch {
    return false;
  }
}

/**
 * Opens a sealed INTERCOM with our private key.
 * @param privateKey - the RSA private key whose public half the message was sealed for
 * @returns the inner HiveMessage
 * @throws DecryptionError when it was not sealed for this key or was changed;
 *   ProtocolError when it is not a sealed INTERCOM or the plaintext is not a HiveMessage
 */
export async function openIntercom(message: HiveMessage, privateKey: RSAKeyInput): Promise<Required<HiveMessage>> {
  const { ciphertext } = sealedParts(message);
  const k = modulusBytes(await importRSAKey(privateKey, "decrypt", "SHA-1", "privateKey"));
  const plaintext = ciphertext.length === k ? await decryptRSA(privateKey, ciphertext) : await hybridDecryptRSA(privateKey, ciphertext);
  return parseHiveMessage(plaintext);
}

/** The PEM public key of an RSA key (what a HELLO's `pubkey` carries). */
export function rsaPublicKeyPem(key: RSAKeyInput): Promise<string> {
  return exportPublicKeyPem(key);
}
