/**
 * `poorman-handshake/noise`: a small Noise Protocol Framework engine (revision 34).
 * Patterns are data (all fundamental, one-way and deferred patterns, with any `pskN`
 * modifiers); DH 25519 and 448, ciphers ChaChaPoly and AESGCM, hashes SHA256, SHA512,
 * BLAKE2s and BLAKE2b. Isomorphic: `@noble/*`, Web Crypto, and `hash-wasm` for argon2id.
 *
 * On top of it, {@link NoiseHandShake}: poorman_handshake's password-keyed XXpsk2 /
 * KKpsk0 exchange (Python `poorman_handshake.noise`), with {@link derivePsk} (Python
 * `derive_psk`).
 *
 * @example
 * ```ts
 * const protocol = "Noise_XX_25519_ChaChaPoly_SHA256";
 * const alice = HandshakeState.initialize({ protocol, initiator: true, staticKey: a });
 * const bob = HandshakeState.initialize({ protocol, initiator: false, staticKey: b });
 * await bob.readMessage(await alice.writeMessage());
 * await alice.readMessage(await bob.writeMessage());
 * await bob.readMessage(await alice.writeMessage());
 * const [ta, tb] = [await alice.split(), await bob.split()];
 * await tb.receive.decryptWithAd(new Uint8Array(0), await ta.send.encryptWithAd(new Uint8Array(0), data));
 * ```
 *
 * @module
 */
export { NoiseHandShake, type NoiseHandShakeOptions, type NoiseHandShakePattern } from "./noise-handshake.js";
export { deriveNoisePsk, derivePsk, pskSalt, clearPskCache, ARGON2ID_KDF, type DerivePskOptions, type PskKdf } from "./psk.js";
export { XX_PSK2, KK_PSK0 } from "./constants.js";
export { HandshakeState, type HandshakeOptions, type HandshakeStateOptions, type NoiseTransport } from "./handshake.js";
export { CipherState, SymmetricState } from "./symmetric.js";
export { parseProtocolName, type NoiseProtocol } from "./protocol.js";
export { parsePattern, BASE_PATTERN_NAMES, type HandshakePattern, type Token } from "./patterns.js";
export {
  CIPHER_FUNCTIONS,
  DH_FUNCTIONS,
  HASH_FUNCTIONS,
  aesGcm,
  chaChaPoly,
  type AeadKey,
  type CipherFunction,
  type DhFunction,
  type HashFunction,
  type KeyPair,
} from "./primitives.js";
export { PORTABLE_BACKEND, noiseBackend, noiseBackendInUse, setNoiseBackend, withOverrides, type NoiseBackend } from "./backend.js";
export * as NOISE_WIRE from "./constants.js";
