/**
 * The crypto backend the engine resolves protocol names against. The default is the
 * isomorphic one (`@noble/*` and Web Crypto); the `node` export condition of
 * `poorman-handshake/noise` and `/hivemind` installs `node:crypto` X25519, ChaCha20-Poly1305,
 * AES-256-GCM and hashes over it (same results, much faster, and synchronous: the engine
 * then runs a message without awaiting).
 *
 * @module
 */
import { CIPHER_FUNCTIONS, type CipherFunction, DH_FUNCTIONS, type DhFunction, HASH_FUNCTIONS, type HashFunction } from "./primitives.js";

/** Function tables by Noise name. */
export interface NoiseBackend {
  /** DH functions (`25519`, `448`). */
  readonly dh: Readonly<Record<string, DhFunction>>;
  /** Cipher functions (`ChaChaPoly`, `AESGCM`). */
  readonly cipher: Readonly<Record<string, CipherFunction>>;
  /** Hash functions (`SHA256`, ...). */
  readonly hash: Readonly<Record<string, HashFunction>>;
}

/** The isomorphic backend. */
export const PORTABLE_BACKEND: NoiseBackend = { dh: DH_FUNCTIONS, cipher: CIPHER_FUNCTIONS, hash: HASH_FUNCTIONS };

let current: NoiseBackend = PORTABLE_BACKEND;

/** Builds a backend from the portable one with some functions replaced. */
export function withOverrides(overrides: Partial<NoiseBackend>): NoiseBackend {
  return {
    dh: { ...PORTABLE_BACKEND.dh, ...overrides.dh },
    cipher: { ...PORTABLE_BACKEND.cipher, ...overrides.cipher },
    hash: { ...PORTABLE_BACKEND.hash, ...overrides.hash },
  };
}

/** The backend new handshakes use. */
export function noiseBackend(): NoiseBackend {
  return current;
}

/** Replaces the default backend (the Node entry points call this once). */
export function setNoiseBackend(backend: NoiseBackend): void {
  current = backend;
}
