/**
 * SS58 addresses: base58(prefix ‖ public key ‖ blake2b-512("SS58PRE" ‖ prefix ‖ public key)[0..2]).
 *
 * @module
 */
import { blake2b } from "@noble/hashes/blake2.js";
import { base58 } from "@scure/base";
import { abytes, aint, astring, concatBytes, equalBytes, utf8 } from "../common/bytes.js";
import { InvalidArgumentError } from "../common/errors.js";
import { SS58_FORMAT } from "./constants.js";

const PREFIX = utf8("SS58PRE");
/** Account ids: 32-byte sr25519/ed25519 keys, 33-byte compressed ECDSA keys. */
const PUBLIC_KEY_LENGTHS = [32, 33];
const CHECKSUM_BYTES = 2;
/** Longest address we decode (2-byte format + 33-byte key + checksum is ~51 base58 digits). */
const MAX_ADDRESS_CHARS = 64;

/** A decoded ss58 address. */
export interface Ss58Decoded {
  /** The public key (account id): 32 bytes, or 33 for ECDSA. */
  publicKey: Uint8Array;
  /** The network format (0..16383); 42 for generic Substrate and Bittensor. */
  format: number;
}

function checksum(payload: Uint8Array): Uint8Array {
  return blake2b(concatBytes(PREFIX, payload), { dkLen: 64 }).subarray(0, CHECKSUM_BYTES);
}

function encodeFormat(format: number): Uint8Array {
  if (format < 64) return Uint8Array.of(format);
  return Uint8Array.of(((format & 0b1111_1100) >> 2) | 0b0100_0000, (format >> 8) | ((format & 0b11) << 6));
}

/**
 * Encodes a public key as an ss58 address.
 * @param publicKey - 32 bytes (sr25519, ed25519) or 33 (compressed ECDSA)
 * @param format - network format, 0..16383 (46 and 47 are reserved); 42 by default
 */
export function ss58Encode(publicKey: Uint8Array, format: number = SS58_FORMAT): string {
  abytes(publicKey, "publicKey", ...PUBLIC_KEY_LENGTHS);
  aint(format, "format", 0, 16383);
  if (format === 46 || format === 47) throw new InvalidArgumentError("format 46 and 47 are reserved");
  const payload = concatBytes(encodeFormat(format), publicKey);
  return base58.encode(concatBytes(payload, checksum(payload)));
}

/**
 * Decodes an ss58 address of any format holding a 32- or 33-byte public key.
 * @param address - the address
 * @throws InvalidArgumentError for bad base58, a wrong length or a bad checksum
 */
export function ss58Decode(address: string): Ss58Decoded {
  astring(address, "address");
  if (address.length === 0 || address.length > MAX_ADDRESS_CHARS) {
    throw new InvalidArgumentError(`address must be 1 to ${MAX_ADDRESS_CHARS} base58 characters, got ${address.length}`);
  }
  let data: Uint8Array;
  try {
    data = base58.decode(address);
  } catch {
    throw new InvalidArgumentError("address must be base58");
  }
  const first = data[0] ?? 0;
  const formatBytes = first < 64 ? 1 : first < 128 ? 2 : 0;
  const keyBytes = data.length - formatBytes - CHECKSUM_BYTES;
  if (formatBytes === 0 || !PUBLIC_KEY_LENGTHS.includes(keyBytes)) {
    throw new InvalidArgumentError("address must hold a 1- or 2-byte format and a 32- or 33-byte public key");
  }
  const payload = data.subarray(0, data.length - CHECKSUM_BYTES);
  if (!equalBytes(checksum(payload), data.subarray(data.length - CHECKSUM_BYTES))) {
    throw new InvalidArgumentError("address has a bad checksum");
  }
  const second = data[1]!;
  const format = formatBytes === 1 ? first : (((first & 0b0011_1111) << 2) | (second >> 6)) | ((second & 0b0011_1111) << 8);
  return { publicKey: data.slice(formatBytes, formatBytes + keyBytes), format };
}

/** True when `address` is a well-formed ss58 address (any format) with a valid checksum. */
export function isSs58Address(address: unknown): address is string {
  if (typeof address !== "string") return false;
  try {
    ss58Decode(address);
    return true;
  } catch {
    return false;
  }
}
