/**
 * `poorman-handshake/password`: the hsub helpers, the password handshake, and the
 * password strength check (zxcvbn, loaded on first use).
 *
 * @module
 */
export { createHsub, generateIv, ivFromHsub, matchHsub } from "./hsub.js";
export { PasswordHandShake, derivePasswordSecret, type PasswordHandShakeOptions } from "./handshake.js";
export { checkPasswordStrength, estimatePassword, loadPasswordEstimator, passwordBits, type PasswordEstimate } from "./strength.js";
export { DEFAULT_MIN_BITS } from "./constants.js";
export { WeakPasswordError } from "../common/errors.js";
export * as PASSWORD_WIRE from "./constants.js";
