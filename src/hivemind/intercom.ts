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
 * hivemind_bus_client nodes seal and open another layout (`emit_intercom` /
 * `hybrid_encrypt`): `payload = {encrypted_key, ciphertext, tag, nonce, signature}`, all
 * base64, where `encrypted_key` is RSA-OAEP-SHA1 of a fresh AES-256 key, `ciphertext` and
 * `tag` its AES-GCM output under a 16-byte `nonce`, and `signature` RSA-PSS-SHA256 over the
 * ciphertext bytes; such a node opens no other layout. {@link sealIntercom} writes it with
 * `layout: "bus-client"`; {@link openIntercom} reads both.
 *
 * @module
 */
import { fromBase64, randomBytes, toBase64, toHex, utf8, wipe } from "../common/bytes.js";
import { DecryptionError, InvalidArgumentError, ProtocolError } from "../common/errors.js";
import { decryptRSA, encryptRSA, exportPublicKeyPem, hybridDecryptRSA, hybridEncryptRSA, importRSAKey, modulusBytes, signRSA, verifyRSA, type RSAKeyInput } from "../rsa/index.js";
import { aesGcmDecrypt, aesGcmEncrypt } from "../rsa/aes-gcm.js";
import { HYBRID_AES_KEY_BYTES, HYBRID_NONCE_BYTES } from "../rsa/constants.js";
import { parseKeyMaterial, publicDer } from "../rsa/pem.js";
import { type HiveMessage, parseHiveMessage, serializeHiveMessage } from "./message.js";

/** The payload of a sealed INTERCOM. */
export interface IntercomPayload {
  /** base64 of the RSA-OAEP ciphertext (or of the hybrid blob). */
  ciphertext: string;
  /** base64 of the sender's RSA-PSS signature over the ciphertext bytes. */
  signature: string;
}

/** The payload hivemind_bus_client's `emit_intercom` sends (its `hybrid_encrypt` envelope). */
export interface BusClientIntercomPayload extends IntercomPayload {
  /** base64 of the RSA-OAEP-SHA1 ciphertext of the AES-256 key. */
  encrypted_key: string;
  /** base64 of the AES-GCM tag. */
  tag: string;
  /** base64 of the 16-byte AES-GCM nonce. */
  nonce: string;
}

/** Options of {@link sealIntercom}. */
export interface SealIntercomOptions {
  /**
   * `hub` (default): the layout hivemind-core's hub opens (`encrypt_RSA`, or poorman's
   * `hybrid_encrypt_RSA` past one RSA block). `bus-client`: the envelope hivemind_bus_client
   * nodes open, the only one they accept.
   */
  layout?: "hub" | "bus-client" | undefined;
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
export async function sealIntercom(inner: HiveMessage, recipientPublicKey: string, senderPrivateKey: RSAKeyInput, options: SealIntercomOptions = {}): Promise<HiveMessage> {
  if (typeof recipientPublicKey !== "string") throw new InvalidArgumentError("recipientPublicKey must be a PEM string");
  const layout = options.layout ?? "hub";
  if (layout !== "hub" && layout !== "bus-client") throw new InvalidArgumentError(`options.layout must be "hub" or "bus-client", got ${JSON.stringify(layout)}`);
  const text = utf8(serializeHiveMessage(inner));
  if (layout === "bus-client") return { msg_type: "intercom", payload: await busClientEnvelope(text, recipientPublicKey, senderPrivateKey), target_pubkey: recipientPublicKey };
  const k = modulusBytes(await importRSAKey(recipientPublicKey, "encrypt", "SHA-1", "recipientPublicKey"));
  const ciphertext = text.length <= k - OAEP_SHA1_OVERHEAD ? await encryptRSA(recipientPublicKey, text) : await hybridEncryptRSA(recipientPublicKey, text);
  const signature = await signRSA(senderPrivateKey, ciphertext);
  const payload: IntercomPayload = { ciphertext: toBase64(ciphertext), signature: toBase64(signature) };
  return { msg_type: "intercom", payload, target_pubkey: recipientPublicKey };
}

/** hivemind_bus_client's `hybrid_encrypt(recipient, text, sign_key)`, keys in its order. */
async function busClientEnvelope(text: Uint8Array, recipientPublicKey: string, senderPrivateKey: RSAKeyInput): Promise<BusClientIntercomPayload> {
  const aesKey = randomBytes(HYBRID_AES_KEY_BYTES);
  const nonce = randomBytes(HYBRID_NONCE_BYTES);
  try {
    const [encryptedKey, { ciphertext, tag }] = await Promise.all([encryptRSA(recipientPublicKey, aesKey), aesGcmEncrypt(aesKey, nonce, text)]);
    const signature = await signRSA(senderPrivateKey, ciphertext);
    return { encrypted_key: toBase64(encryptedKey), ciphertext: toBase64(ciphertext), tag: toBase64(tag), nonce: toBase64(nonce), signature: toBase64(signature) };
  } finally {
    wipe(aesKey);
  }
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
  const payload = message.payload as Record<string, unknown>;
  if (typeof payload.encrypted_key === "string") return parseHiveMessage(await openBusClientEnvelope(payload, ciphertext, privateKey));
  const k = modulusBytes(await importRSAKey(privateKey, "decrypt", "SHA-1", "privateKey"));
  const plaintext = ciphertext.length === k ? await decryptRSA(privateKey, ciphertext) : await hybridDecryptRSA(privateKey, ciphertext);
  return parseHiveMessage(plaintext);
}

async function openBusClientEnvelope(payload: Record<string, unknown>, ciphertext: Uint8Array, privateKey: RSAKeyInput): Promise<Uint8Array> {
  let parts: { encryptedKey: Uint8Array; tag: Uint8Array; nonce: Uint8Array };
  try {
    parts = { encryptedKey: fromBase64(payload.encrypted_key as string, "encrypted_key"), tag: fromBase64(payload.tag as string, "tag"), nonce: fromBase64(payload.nonce as string, "nonce") };
  } catch (cause) {
    throw new ProtocolError("a hivemind_bus_client INTERCOM must carry base64 encrypted_key, tag and nonce", { cause });
  }
  const aesKey = await decryptRSA(privateKey, parts.encryptedKey);
  try {
    if (aesKey.length !== HYBRID_AES_KEY_BYTES || parts.nonce.length !== HYBRID_NONCE_BYTES) throw new DecryptionError();
    return await aesGcmDecrypt(aesKey, parts.nonce, ciphertext, parts.tag);
  } finally {
    wipe(aesKey);
  }
}

/** The PEM public key of an RSA key (what a HELLO's `pubkey` carries). */
export function rsaPublicKeyPem(key: RSAKeyInput): Promise<string> {
  return exportPublicKeyPem(key);
}
