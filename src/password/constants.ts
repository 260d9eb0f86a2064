/**
 * Wire constants of poorman_handshake's password path. Both sides must agree on all
 * of them; changing one changes the wire.
 *
 * @module
 */

/** Length in bytes of the random iv at the front of every hsub. */
export const IV_BYTES = 8;
/** Hex digits of the iv at the front of an hsub. */
export const IV_HEX_DIGITS = 2 * IV_BYTES;
/** Length in hex digits of the hsub the handshake sends. */
export const HSUB_LENGTH = 48;
/** Shortest hsub `matchHsub` accepts. */
export const HSUB_MIN_LENGTH = 48;
/** Longest hsub `matchHsub` accepts. */
export const HSUB_MAX_LENGTH = 80;
/** PBKDF2-HMAC-SHA256 iteration count of the reference. */
export const PBKDF2_ITERATIONS = 100_000;
/** Length in bytes of the derived secret. */
export const SECRET_BYTES = 32;
/** Default least guess resistance, in bits, that `PasswordHandShake` requires (Python `DEFAULT_MIN_BITS`). */
export const DEFAULT_MIN_BITS = 40;
/** Characters (code points) of a password that zxcvbn scores; Python scores `password[:72]`. */
export const ZXCVBN_MAX_LENGTH = 72;
/** zxcvbn's reference year in the Python port (the npm package uses the current year). */
export const ZXCVBN_REFERENCE_YEAR = 2017;
