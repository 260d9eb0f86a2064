/**
 * poorman-handshake: bootstrap symmetric keys over insecure channels,
 * wire-compatible with the Python originals.
 *
 * @module
 */
export { PasswordHandShake, type PasswordHandShakeOptions } from "./password/handshake.js";
export { checkPasswordStrength, estimatePassword, loadPasswordEstimator, passwordBits, type PasswordEstimate } from "./password/strength.js";
export { DEFAULT_MIN_BITS } from "./password/constants.js";
export { fingerprint } from "./fingerprint.js";
export { HalfHandShake, HandShake, type HandShakeOptions } from "./rsa/handshake.js";
export {
  DecryptionError,
  HandshakeRejectedError,
  HandshakeStateError,
  InvalidArgumentError,
  KeyFormatError,
  KeyMismatchError,
  PoormanError,
  StoreFullError,
  StoreUnavailableError,
  WeakPasswordError,
  HttpStatusError,
  RequestTimeoutError,
  NetworkError,
  type PoormanErrorCode,
} from "./errors.js";
