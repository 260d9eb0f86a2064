/**
 * Noise protocol names: `Noise_<pattern>_<dh>_<cipher>_<hash>`.
 *
 * @module
 */
import { astring } from "../bytes.js";
import { InvalidArgumentError } from "../errors.js";
import { PROTOCOL_PREFIX } from "./constants.js";
import { type HandshakePattern, parsePattern } from "./patterns.js";
import { type NoiseBackend, noiseBackend } from "./backend.js";
import type { CipherFunction, DhFunction, HashFunction } from "./primitives.js";

/** A parsed protocol name: the pattern and the three crypto functions. */
export interface NoiseProtocol {
  /** The full name, e.g. `Noise_XXpsk2_25519_ChaChaPoly_SHA256`. */
  readonly name: string;
  /** The handshake pattern with its modifiers applied. */
  readonly pattern: HandshakePattern;
  /** The DH function. */
  readonly dh: DhFunction;
  /** The cipher function. */
  readonly cipher: CipherFunction;
  /** The hash function. */
  readonly hash: HashFunction;
}

function lookup<T>(table: Readonly<Record<string, T>>, key: string, what: string, name: string): T {
  const value = Object.hasOwn(table, key) ? table[key] : undefined;
  if (value === undefined) {
    throw new InvalidArgumentError(`protocol name ${JSON.stringify(name)} has an unsupported ${what} ${JSON.stringify(key)} (supported: ${Object.keys(table).join(", ")})`);
  }
  return value;
}

/**
 * Parses a protocol name.
 * @param name - e.g. `Noise_KKpsk0_25519_AESGCM_SHA256`
 * @param backend - the function tables; the current default backend when absent
 * @throws InvalidArgumentError for a malformed name or an unsupported function
 */
export function parseProtocolName(name: string, backend: NoiseBackend = noiseBackend()): NoiseProtocol {
  astring(name, "protocolName");
  const parts = name.split("_");
  if (parts.length !== 5 || parts[0] !== PROTOCOL_PREFIX) {
    throw new InvalidArgumentError(`protocolName must look like Noise_XX_25519_ChaChaPoly_SHA256, got ${JSON.stringify(name)}`);
  }
  const [, pattern, dh, cipher, hash] = parts as [string, string, string, string, string];
  return {
    name,
    pattern: parsePattern(pattern),
    dh: lookup(backend.dh, dh, "DH function", name),
    cipher: lookup(backend.cipher, cipher, "cipher", name),
    hash: lookup(backend.hash, hash, "hash", name),
  };
}
