/**
 * poorman-handshake: bootstrap symmetric keys over insecure channels,
 * wire-compatible with the Python originals.
 *
 * @module
 */
export { PasswordHandShake, type PasswordHandShakeOptions } from "./password/handshake.js";
export { checkPasswordStrength, estimatePassword, loadPasswordEstimator, passwordBits, type PasswordEstimate } from "./password/strength.js";
export { DEFAULT_MIN_BITS } from "./password/constants.js";
export { fingerprint } from "./common/fingerprint.js";
export { HalfHandShake, HandShake, type HandShakeOptions, type RSAHandShakeOptions } from "./rsa/handshake.js";
export type { PoormanWarning, WarningHandler } from "./common/warnings.js";
export {
  DecryptionError,
  HandshakeRejectedError,
  HandshakeStateError,
  InvalidArgumentError,
  KeyFormatError,
  UnsupportedKeyError,
  FileError,
  KeyMismatchError,
  PoormanError,
  StoreFullError,
  StoreUnavailableError,
  NonceUnverifiableError,
  NonceExhaustedError,
  ProtocolError,
  WeakPasswordError,
  HttpStatusError,
  RequestTimeoutError,
  NetworkError,
  ResponseTooLargeError,
  MissingDependencyError,
  type PoormanErrorCode,
} from "./common/errors.js";
