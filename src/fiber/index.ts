/**
 * `poorman-handshake/fiber`: Bittensor's Fiber handshake, isomorphic core.
 *
 * @module
 */
export {
  Fernet,
  WEB_CRYPTO_FERNET,
  fernetBackend,
  setFernetBackend,
  type FernetBackend,
  type FernetDecryptOptions,
  type FernetEncryptOptions,
  type FernetKeys,
  type FernetOptions,
} from "./fernet.js";
export { Keypair, generateMnemonic, mnemonicToMiniSecret } from "./keypair.js";
export { ss58Decode, ss58Encode, isSs58Address, type Ss58Decoded } from "./ss58.js";
export { sr25519Verify } from "./sr25519.js";
export {
  MemoryNonceStore,
  generateNonce,
  nonceRetentionMs,
  nonceTimestampMs,
  randomAlphanumeric,
  type MemoryNonceStoreOptions,
  type NonceStore,
} from "./nonce.js";
export { MemoryKeyStore, type MemoryKeyStoreOptions, type SymmetricKeyStore } from "./keystore.js";
export * as FIBER_WIRE from "./constants.js";
export { allowAll, allowlist, minStake, parseMetagraph, pythonFloat, NOT_ALLOWED_DETAIL, type AuthDecision, type Authorizer, type Metagraph } from "./authorize.js";
export { FiberServer, FiberHttpError, BAD_BASE64_DETAIL, BAD_TOKEN_DETAIL, DEFAULT_MAX_BODY_BYTES, STORE_UNAVAILABLE_DETAIL, type FiberRoute, type FiberRouteContext, type FiberServerOptions } from "./server.js";
export { withCors } from "./cors.js";
export { FiberClient, DEFAULT_REQUEST_TIMEOUT_MS, type FiberClientOptions, type FiberSession } from "./client.js";
export { signingMessage, WRONG_MINER_DETAIL, BAD_UUID_DETAIL, BUSY_DETAIL, type FiberHeaders } from "./verify.js";
export { publicKeyMessage, verifyPublicKeyResponse, PUBLIC_KEY_SIGNATURE_CONTEXT, type PublicKeyResponse } from "./pubkey.js";
