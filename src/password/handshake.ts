/**
 * `PasswordHandShake`: both sides prove knowledge of a shared password with an hsub,
 * then derive a 32-byte secret with PBKDF2-HMAC-SHA256 salted by `own_iv XOR peer_iv`.
 *
 * @module
 */
import { aint, astring, bufferSource, equalBytes, utf8, wipe, xorBytes } from "../common/bytes.js";
import { HandshakeRejectedError, HandshakeStateError, InvalidArgumentError } from "../common/errors.js";
import { DEFAULT_MIN_BITS, HSUB_MAX_LENGTH, HSUB_MIN_LENGTH, PBKDF2_ITERATIONS, SECRET_BYTES } from "./constants.js";
import { createHsub, generateIv, ivFromHsub, matchHsub } from "./hsub.js";
import { checkPasswordStrength } from "./strength.js";

/** Options of {@link PasswordHandShake}. Both peers must use the same values. */
export interface PasswordHandShakeOptions {
  /** PBKDF2 iteration count; 100000 on the wire of the reference. */
  iterations?: number | undefined;
  /**
   * Least guess resistance, in bits (zxcvbn, as Python's `min_bits`), the password must
   * have: 40 by default; `0` (or less) disables the check, for tests or a known
   * high-entropy machine secret. Not part of the wire.
   */
  minBits?: number | undefined;
}

/**
 * Derives the session secret with Web Crypto's native PBKDF2.
 * @param password - the shared password
 * @param salt - 8 bytes, `own_iv XOR peer_iv`
 * @param iterations - PBKDF2 iteration count
 */
export async function derivePasswordSecret(password: string, salt: Uint8Array, iterations: number = PBKDF2_ITERATIONS): Promise<Uint8Array> {
  const key = await globalThis.crypto.subtle.importKey("raw", utf8(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await globalThis.crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: bufferSource(salt), iterations }, key, SECRET_BYTES * 8);
  return new Uint8Array(bits);
}

/**
 * The password ("poor PAKE") handshake of poorman_handshake, wire-compatible with
 * the Python reference.
 *
 * Safer than the reference without changing the wire: our own hsub echoed back is
 * refused, hsubs are compared in constant time, and `receiveAndVerify` keeps no secret
 * when the peer used another password.
 *
 * Like today's Python class, it refuses a guessable password (`minBits`, 40 bits by
 * default) with `WeakPasswordError`. The estimator loads lazily, so the check runs in
 * the first async call ({@link generateHandshake}, {@link verify} or
 * {@link receiveHandshake}), before any hsub is made or accepted; use
 * {@link PasswordHandShake.create} to have it refused up front, as Python's constructor does.
 *
 * @example
 * ```ts
 * const pw = "correct horse battery staple";
 * const alice = await PasswordHandShake.create(pw), bob = await PasswordHandShake.create(pw);
 * const a = await alice.generateHandshake(), b = await bob.generateHandshake();
 * await alice.receiveAndVerify(b); await bob.receiveAndVerify(a);
 * // alice.secret and bob.secret are the same 32 bytes
 * ```
 */
export class PasswordHandShake {
  readonly #password: string;
  readonly #iterations: number;
  readonly #minBits: number;
  #strength: Promise<void> | undefined;
  #iv: Uint8Array | undefined;
  #secret: Uint8Array | undefined;

  /**
   * @param password - the shared password; any string (with `minBits: 0`, even the empty one)
   * @param options - see {@link PasswordHandShakeOptions}
   */
  constructor(password: string, options: PasswordHandShakeOptions = {}) {
    this.#password = astring(password, "password");
    if (options === null || typeof options !== "object") {
      throw new InvalidArgumentError("options must be an object");
    }
    this.#iterations = aint(options.iterations ?? PBKDF2_ITERATIONS, "options.iterations", 1, 2 ** 32 - 1);
    const minBits = options.minBits ?? DEFAULT_MIN_BITS;
    if (typeof minBits !== "number" || Number.isNaN(minBits)) throw new InvalidArgumentError("options.minBits must be a number");
    this.#minBits = minBits;
  }

  /**
   * Makes the handshake and checks the password's strength now, as Python's constructor.
   * @throws WeakPasswordError below `options.minBits` (40 bits by default)
   */
  static async create(password: string, options: PasswordHandShakeOptions = {}): Promise<PasswordHandShake> {
    const handshake = new PasswordHandShake(password, options);
    await handshake.#checkStrength();
    return handshake;
  }

  /** The strength check, once per object (the estimator loads on first use). */
  #checkStrength(): Promise<void> {
    this.#strength ??= checkPasswordStrength(this.#password, this.#minBits);
    return this.#strength;
  }

  /** The 32-byte shared secret, or `undefined` until a handshake was received. */
  get secret(): Uint8Array | undefined {
    return this.#secret;
  }

  /**
   * Makes the hsub to send to the peer, with a fresh iv. Only the latest iv is kept,
   * so send the latest hsub.
   * @returns 48 lowercase hex digits
   * @throws WeakPasswordError for a password below `minBits`
   */
  async generateHandshake(): Promise<string> {
    await this.#checkStrength();
    wipe(this.#iv);
    this.#iv = generateIv();
    return createHsub(this.#password, this.#iv);
  }

  /**
   * Checks that the peer's hsub was made with our password. Our own hsub reflected
   * back does not verify.
   * @param shake - the peer's hsub
   * @throws WeakPasswordError for a password below `minBits`
   */
  async verify(shake: string): Promise<boolean> {
    astring(shake, "shake");
    await this.#checkStrength();
    if (this.#isReflection(shake)) return false;
    return matchHsub(shake, this.#password);
  }

  /**
   * Derives the secret from the peer's hsub without checking it (as the reference
   * does); prefer {@link receiveAndVerify}.
   * @param shake - the peer's hsub, 48 to 80 hex digits
   * @throws HandshakeStateError before {@link generateHandshake}
   * @throws HandshakeRejectedError when `shake` carries our own iv (reflection)
   * @throws InvalidArgumentError when `shake` is not 48 to 80 hex digits
   * @throws WeakPasswordError for a password below `minBits`
   */
  async receiveHandshake(shake: string): Promise<void> {
    astring(shake, "shake");
    await this.#checkStrength();
    const peerIv = shake.length >= HSUB_MIN_LENGTH && shake.length <= HSUB_MAX_LENGTH ? ivFromHsub(shake) : null;
    if (peerIv === null || !/^[0-9a-fA-F]*$/.test(shake)) {
      throw new InvalidArgumentError(
        `shake must be ${HSUB_MIN_LENGTH} to ${HSUB_MAX_LENGTH} hex digits, got a string of length ${shake.length}`,
      );
    }
    const ownIv = this.#iv;
    if (ownIv === undefined) {
      throw new HandshakeStateError("call generateHandshake() before receiveHandshake(): the salt needs our own iv");
    }
    if (equalBytes(peerIv, ownIv)) {
      throw new HandshakeRejectedError("shake carries our own iv: a reflected handshake would give an all-zero salt");
    }
    const salt = xorBytes(ownIv, peerIv);
    // The previous secret is not wiped here: the caller may still hold and use it.
    this.#secret = await derivePasswordSecret(this.#password, salt, this.#iterations);
  }

  /**
   * Verifies the peer's hsub and, only if it verifies, derives the secret.
   * @param shake - the peer's hsub
   * @returns whether the peer used the same password; on `false` no secret is kept
   */
  async receiveAndVerify(shake: string): Promise<boolean> {
    if (!(await this.verify(shake))) {
      this.#secret = undefined;
      return false;
    }
    await this.receiveHandshake(shake);
    return true;
  }

  /** Overwrites the secret and iv with zeros and forgets them. */
  destroy(): void {
    wipe(this.#secret);
    wipe(this.#iv);
    this.#secret = undefined;
    this.#iv = undefined;
  }

  #isReflection(shake: string): boolean {
    const peerIv = ivFromHsub(shake);
    return this.#iv !== undefined && peerIv !== null && equalBytes(peerIv, this.#iv);
  }
}
