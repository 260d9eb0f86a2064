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
  refuseBeforeFloor,
  type MemoryNonceStoreOptions,
  type NonceStore,
} from "./nonce.js";
export { MemoryKeyStore, type MemoryKeyStoreOptions, type SymmetricKeyStore } from "./keystore.js";
export * as FIBER_WIRE from "./constants.js";
export { allowAll, allowlist, minStake, parseMetagraph, pythonFloat, type AuthDecision, type Authorizer, type Metagraph } from "./authorize.js";
export { FiberServer } from "./server.js";
export { FiberHttpError } from "./http.js";
export { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_BUFFERED_BYTES, type FiberRoute, type FiberRouteContext, type FiberServerOptions } from "./server-config.js";
export { BOTH_PROTOCOLS_WARNING, FIBER_PROTOCOLS, type FiberProtocol } from "./server-config.js";
export { withCors } from "./cors.js";
export { type FiberRawAnswer, type FiberRawRequest, type HeaderLookup } from "./raw.js";
export { MAX_JSON_DEPTH, type ReadBoundedOptions } from "./limits.js";
export { DEFAULT_ENCRYPTED_BODY_TTL_S, SMALL_BODY_BYTES } from "./server-config.js";
export { FiberClient } from "./client.js";
export { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_NONCE_RETRY_DELAY_MS, DEFAULT_REQUEST_TIMEOUT_MS, MAX_HANDSHAKE_RESPONSE_BYTES, type FiberClientOptions, type FiberPostOptions, type FiberSession } from "./client-config.js";
export { type FiberHeaders, type SignatureVerifier } from "./verify.js";
export {
  signedGetMessage,
  signingMessage,
  ANSWERS_BUSY_DETAIL,
  BAD_BASE64_DETAIL,
  BAD_TOKEN_DETAIL,
  BAD_UUID_DETAIL,
  BODIES_BUSY_DETAIL,
  BUSY_DETAIL,
  NONCE_UNVERIFIABLE_DETAIL,
  NOT_ALLOWED_DETAIL,
  SLOW_BODY_DETAIL,
  STORE_UNAVAILABLE_DETAIL,
  WRONG_MINER_DETAIL,
} from "./constants.js";
export { publicKeyMessage, verifyPublicKeyResponse, PUBLIC_KEY_SIGNATURE_CONTEXT, type PublicKeyResponse } from "./pubkey.js";
export { formatNodes, parseNodes, type FiberNode, type ParseNodesOptions } from "./nodes.js";
export { bodyHash, jsonBody, signedGetHeaders, signedRequestHeaders, signedRequestMessage, type SignedRequestHeaderOptions } from "./signed.js";
export { plainHeaders, type SignedRequestOptions } from "./signed-client.js";
export { LineSplitter, splitLines, DEFAULT_MAX_LINE_LENGTH, type LineSplitterOptions } from "./lines.js";
