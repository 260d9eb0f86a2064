/**
 * Noise protocol names: `Noise_<pattern>_<dh>_<cipher>_<hash>`.
 *
 * @module
 */
import { astring } from "../common/bytes.js";
import { InvalidArgumentError } from "../common/errors.js";
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

/** Parsed protocols by backend and name (a handshake per connection parses the same few names). */
const parsed = new WeakMap<NoiseBackend, Map<string, NoiseProtocol>>();
const PARSED_LIMIT = 64;

function freezePattern(pattern: HandshakePattern): HandshakePattern {
  for (const tokens of [pattern.initiatorPre, pattern.responderPre, ...pattern.messages]) Object.freeze(tokens);
  Object.freeze(pattern.messages);
  return Object.freeze(pattern);
}

/**
 * Parses a protocol name. The result is frozen and shared: the same name on the same
 * backend returns the same object.
 * @param name - e.g. `Noise_KKpsk0_25519_AESGCM_SHA256`
 * @param backend - the function tables; the current default backend when absent
 * @throws InvalidArgumentError for a malformed name or an unsupported function
 */
export function parseProtocolName(name: string, backend: NoiseBackend = noiseBackend()): NoiseProtocol {
  astring(name, "protocolName");
  let byName = parsed.get(backend);
  const known = byName?.get(name);
  if (known !== undefined) return known;
  const parts = name.split("_");
  if (parts.length !== 5 || parts[0] !== PROTOCOL_PREFIX) {
    throw new InvalidArgumentError(`protocolName must look like Noise_XX_25519_ChaChaPoly_SHA256, got ${JSON.stringify(name)}`);
  }
  const [, pattern, dh, cipher, hash] = parts as [string, string, string, string, string];
  const protocol: NoiseProtocol = Object.freeze({
    name,
    pattern: freezePattern(parsePattern(pattern)),
    dh: lookup(backend.dh, dh, "DH function", name),
    cipher: lookup(backend.cipher, cipher, "cipher", name),
    hash: lookup(backend.hash, hash, "hash", name),
  });
  if (byName === undefined) parsed.set(backend, (byName = new Map()));
  byName.set(name, protocol);
  if (byName.size > PARSED_LIMIT) byName.delete(byName.keys().next().value!);
  return protocol;
}
