/**
 * `poorman-handshake/rsa`: the RSA helpers of poorman_handshake on Web Crypto (keys,
 * RSA-OAEP, RSA-PSS), isomorphic. Keys may be PEM strings, DER bytes or `CryptoKey`s.
 *
 * @module
 */
export {
  exportPrivateKeyPem,
  exportPublicKeyDer,
  exportPublicKeyPem,
  generateRSAKeyPair,
  importRSAKey,
  isCryptoKey,
  modulusBytes,
  publicKeyFingerprint,
  type OAEPHash,
  type RSAKeyInput,
  type RSAKeyUsage,
} from "./keys.js";
export { decryptRSA, encryptRSA, signRSA, verifyRSA, type EncryptRSAOptions, type OAEPOptions } from "./primitives.js";
export { WEB_CRYPTO_RSA, rsaPublicBackend, setRSAPublicBackend, type RSAPublicBackend } from "./public-backend.js";
export type { RSAPeerKeyOptions } from "./validate.js";
export { derToPem, pemToDer } from "./pem.js";
export { pkcs1ToPkcs8, pkcs8ToPkcs1 } from "./der.js";
export * as RSA_WIRE from "./constants.js";
export { hybridDecryptRSA, hybridEncryptRSA } from "./hybrid.js";
export {
  AES_GCM_MAX_NONCE_BYTES,
  AES_GCM_MIN_NONCE_BYTES,
  AES_GCM_TAG_BYTES,
  WEB_CRYPTO_AES_GCM,
  aesGcmBackend,
  aesGcmDecrypt,
  aesGcmEncrypt,
  setAesGcmBackend,
  type AesGcmBackend,
} from "./aes-gcm.js";
export { MemoryPinStore, TrustOnFirstUse, type PinResult, type PinStore } from "./tofu.js";
