/**
 * The HiveMind v3 pre-shared key: argon2id of the password salted by the hub's node id
 * (or the PBKDF2 variant a hub may advertise), cached so each (password, node id) pair
 * costs one 64 MiB derivation per process.
 *
 * @module
 */
import { aint, astring } from "../common/bytes.js";
import { HandshakeRejectedError, InvalidArgumentError } from "../common/errors.js";
import { ARGON2ID_KDF, deriveNoisePsk, type PskKdf } from "../noise/psk.js";
import { PBKDF2_DEFAULT_ITERATIONS, PBKDF2_MAX_ITERATIONS } from "./constants.js";
import { RawNumber } from "./json-parse.js";

export {
  ARGON2ID_KDF,
  HASH_WASM_ARGON2ID,
  argon2idImplementationInUse,
  clearPskCache,
  pskSalt,
  setArgon2idImplementation,
  type Argon2idFunction,
  type PskKdf,
} from "../noise/psk.js";

/**
 * Reads the KDF a hub advertises in `handshake.noise.kdf` (absent: argon2id).
 * @throws HandshakeRejectedError for an unknown KDF or an out-of-range iteration count
 */
export function pskKdfFromHandshake(handshake: Record<string, unknown>): PskKdf {
  const noise = handshake.noise as Record<string, unknown> | undefined;
  const kdf = noise?.kdf as Record<string, unknown> | undefined | null;
  if (kdf === undefined || kdf === null) return ARGON2ID_KDF;
  if (kdf.name === "argon2id") return ARGON2ID_KDF;
  if (kdf.name !== "pbkdf2") throw new HandshakeRejectedError(`the hub asks for an unknown PSK kdf ${JSON.stringify(kdf.name)}`);
  // Python's pbkdf2_hmac takes an int only: a float token (`1e5`, `100000.0`) is refused.
  const raw = kdf.iterations ?? PBKDF2_DEFAULT_ITERATIONS;
  const iterations = raw instanceof RawNumber ? (raw.isInteger ? raw.value : Number.NaN) : raw;
  if (typeof iterations !== "number" || !Number.isInteger(iterations) || iterations < 1 || iterations > PBKDF2_MAX_ITERATIONS) {
    throw new HandshakeRejectedError(`the hub's PBKDF2 iteration count must be an integer from 1 to ${PBKDF2_MAX_ITERATIONS}`);
  }
  return { name: "pbkdf2", iterations };
}

/**
 * The HiveMind v3 PSK of a hub: the derivation of `derivePsk` in
 * `poorman-handshake/noise` (Python's `derive_psk`), with HiveMind's positional
 * arguments and the kdf the hub advertises. Memoised; each call returns a fresh copy.
 * @param password - the shared HiveMind password
 * @param nodeId - the node_id of the hub's HELLO; null or undefined without one
 * @param kdf - argon2id by default; see {@link pskKdfFromHandshake}
 */
export async function deriveHiveMindPsk(password: string, nodeId: string | null | undefined, kdf: PskKdf = ARGON2ID_KDF): Promise<Uint8Array> {
  astring(password, "password");
  if (nodeId !== null && nodeId !== undefined) astring(nodeId, "nodeId");
  if (kdf.name === "pbkdf2") aint(kdf.iterations, "kdf.iterations", 1, PBKDF2_MAX_ITERATIONS);
  else if (kdf.name !== "argon2id") throw new InvalidArgumentError("kdf.name must be argon2id or pbkdf2");
  return deriveNoisePsk(password, { nodeId, kdf });
}

/**
 * The former name of {@link deriveHiveMindPsk}.
 * @deprecated Use `deriveHiveMindPsk` (the Noise module's `deriveNoisePsk` took the same name with other arguments).
 */
export const derivePsk: typeof deriveHiveMindPsk = deriveHiveMindPsk;
