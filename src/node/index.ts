/**
 * `poorman-handshake/node`: Node-only helpers: RSA key files (atomic, mode 0600), a
 * JSON-file trust-on-first-use pin store, an HTTP adapter for fetch-style handlers
 * (such as `FiberServer.fetch`), Bittensor wallet files and metagraph files, HiveMind
 * X25519 static key files and pins, the node:crypto and libsodium Noise
 * backends, and Fiber stores
 * shared through Redis or kept in a file, sealed at rest under a storage key, or shared
 * by the workers of a `node:cluster` through its primary.
 *
 * @module
 */
export { KEY_FILE_REPLACED_WARNING, createRSAKey, exportRSAKey, loadOrCreateRSAKey, loadRSAKey } from "../rsa/node/keyfile.js";
export { JsonFilePinStore } from "../rsa/node/pins.js";
export { PRIVATE_FILE_MODE, writeFileAtomic } from "../common/node/files.js";
export { KEY_FILE_PERMISSIONS_WARNING, type KeyFileOptions } from "../common/node/key-file-access.js";
export { serve, type CloseOptions, type FetchHandler, type RunningServer, type ServeOptions } from "../fiber/node/serve.js";
export { DEFAULT_ANSWER_TIMEOUT_MS, DEFAULT_MAX_QUEUED_ANSWER_BYTES } from "../fiber/node/answer-writer.js";
export { loadMetagraphFile, loadNodesFile, loadWalletHotkey, saveNodesFile, walletHotkeyPath, type WalletOptions } from "../fiber/node/wallet.js";
export { X25519PinStore, loadOrCreateX25519KeyFile, loadX25519KeyFile, saveX25519KeyFile, type X25519KeyPair } from "../noise/node/x25519-key-files.js";
export { serveHiveMind } from "../hivemind/node/server.js";
export { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_REASSEMBLY_BYTES, DEFAULT_MAX_UNREAD_BYTES, DEFAULT_FLOOD_COOLDOWN_MS, NOT_READING_REASON, type ServeHiveMindOptions, type HiveMindHubServer, type HiveMindConnectedClient, type HiveMindRateLimit, type HiveMindRefusal } from "../hivemind/node/server-config.js";
export { type HiveMindClientRecord, type HiveMindClientStore } from "../hivemind/node/clients.js";
export { INTERCOM_REFUSED, QUERY_NO_ANSWER_TYPE, RELAY_RATE_LIMITED, ROUTE_TOO_LONG } from "../hivemind/node/router.js";
export type { HiveMindUpstreamEvent, HiveMindUpstreamLink, HiveMindUpstreamOptions } from "../hivemind/node/upstream.js";
export { NODE_BACKEND, nodeAesGcm, nodeChaChaPoly, nodeX25519 } from "../noise/node/node-crypto.js";
export { NODE_DEFAULT_BACKEND, SODIUM_BACKEND } from "../noise/node/default-backend.js";
export { loadSodiumNoiseBackend } from "../noise/node/sodium.js";
export { NODE_AES_GCM } from "../rsa/node/aes-gcm.js";
export { NODE_FERNET } from "../fiber/node/fernet.js";
export { loadNativeArgon2id } from "../noise/node/argon2.js";
export { NoiseHandShake } from "../noise/node/index.js";
export { DEFAULT_REDIS_PREFIX, RedisFiberStores, redactRedisUrl, type RedisStoresOptions } from "../fiber/node/stores/redis.js";
export { FileKeyStore, type FileKeyStoreOptions } from "../fiber/node/stores/file-keystore.js";
export { STORAGE_KEY_BYTES, StorageKey, decodeAtRest, encodeAtRest } from "../fiber/node/stores/storage-key.js";
export { SignatureVerifyPool, type SignatureVerifyPoolOptions } from "../fiber/node/verify-pool.js";
export { ClusterFiberStores, ClusterStoreHost, DEFAULT_CLUSTER_STORE_MAX_CALLS_IN_FLIGHT, DEFAULT_CLUSTER_STORE_TIMEOUT_MS, type ClusterFiberStoresOptions, type ClusterStoreHostOptions } from "../fiber/node/stores/cluster.js";
