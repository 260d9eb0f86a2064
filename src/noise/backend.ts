/**
 * The crypto backend the engine resolves protocol names against. The default is the
 * isomorphic one (`@noble/*` and Web Crypto); the `node` export condition of
 * `poorman-handshake/noise` and `/hivemind` installs libsodium (the optional `sodium-native`
 * addon) or, without it, `node:crypto` X25519, ChaCha20-Poly1305, AES-256-GCM and hashes
 * over it (same results, much faster, and synchronous: the engine then runs a message
 * without awaiting).
 *
 * @module
 */
import { ChosenOnFirstUse } from "../common/chosen-on-first-use.js";
import { CIPHER_FUNCTIONS, type CipherFunction, DH_FUNCTIONS, type DhFunction, HASH_FUNCTIONS, type HashFunction } from "./primitives.js";

/** Function tables by Noise name. */
export interface NoiseBackend {
  /**
   * What implements it, for reports (`portable`, `node:crypto`, `libsodium`); see
   * {@link noiseBackendInUse}. A backend without one reports as `custom`.
   */
  readonly name?: string;
  /** DH functions (`25519`, `448`). */
  readonly dh: Readonly<Record<string, DhFunction>>;
  /** Cipher functions (`ChaChaPoly`, `AESGCM`). */
  readonly cipher: Readonly<Record<string, CipherFunction>>;
  /** Hash functions (`SHA256`, ...). */
  readonly hash: Readonly<Record<string, HashFunction>>;
}

/** The isomorphic backend. */
export const PORTABLE_BACKEND: NoiseBackend = { name: "portable", dh: DH_FUNCTIONS, cipher: CIPHER_FUNCTIONS, hash: HASH_FUNCTIONS };

const current = new ChosenOnFirstUse(PORTABLE_BACKEND);

/** Builds a backend from the portable one with some functions replaced (and named `overrides.name`, if given). */
export function withOverrides(overrides: Partial<NoiseBackend>): NoiseBackend {
  return {
    ...(overrides.name === undefined ? {} : { name: overrides.name }),
    dh: { ...PORTABLE_BACKEND.dh, ...overrides.dh },
    cipher: { ...PORTABLE_BACKEND.cipher, ...overrides.cipher },
    hash: { ...PORTABLE_BACKEND.hash, ...overrides.hash },
  };
}

/** The backend new handshakes use. */
export function noiseBackend(): NoiseBackend {
  return current.get();
}

/**
 * The name of the backend new handshakes use: `portable` (the default), `node:crypto` or
 * `libsodium` (the `node` entries install the latter when the optional `sodium-native`
 * addon loads), or `custom` for a backend without a name.
 */
export function noiseBackendInUse(): string {
  return current.get().name ?? "custom";
}

/** Replaces the default backend (the Node entry points call this once). */
export function setNoiseBackend(backend: NoiseBackend): void {
  current.set(backend);
}

/**
 * Defers the choice of the default backend to its first use (the first handshake, or the
 * first {@link noiseBackend} or {@link noiseBackendInUse}): `choose` runs then, once. The
 * Node entries pass one that loads the optional libsodium addon, so importing them does not.
 */
export function chooseNoiseBackendOnFirstUse(choose: () => NoiseBackend | undefined): void {
  current.chooseOnFirstUse(choose);
}
