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
export { KEY_FILE_REPLACED_WARNING, createRSAKey, exportRSAKey, loadOrCreateRSAKey, loadRSAKey } from "./keyfile.js";
export { JsonFilePinStore } from "./pins.js";
export { PRIVATE_FILE_MODE, writeFileAtomic } from "./files.js";
export { KEY_FILE_PERMISSIONS_WARNING, type KeyFileOptions } from "./key-file-access.js";
export { serve, type CloseOptions, type FetchHandler, type RunningServer, type ServeOptions } from "./serve.js";
export { loadMetagraphFile, loadWalletHotkey, walletHotkeyPath, type WalletOptions } from "./wallet.js";
export { X25519PinStore, loadOrCreateX25519KeyFile, loadX25519KeyFile, saveX25519KeyFile, type X25519KeyPair } from "./hivemind/keys.js";
export { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_REASSEMBLY_BYTES, DEFAULT_MAX_UNREAD_BYTES, NOT_READING_REASON, serveHiveMind, type ServeHiveMindOptions, type HiveMindHubServer, type HiveMindConnectedClient, type HiveMindRateLimit, type HiveMindRefusal } from "./hivemind/server.js";
export { type HiveMindClientRecord, type HiveMindClientStore } from "./hivemind/clients.js";
export { NODE_BACKEND, nodeAesGcm, nodeChaChaPoly, nodeX25519 } from "./noise-backend.js";
export { NODE_DEFAULT_BACKEND, SODIUM_BACKEND } from "./noise/backends.js";
export { loadSodiumNoiseBackend } from "./noise/sodium.js";
export { NODE_AES_GCM, NODE_FERNET } from "./symmetric-backends.js";
export { loadNativeArgon2id } from "./argon2.js";
export { NoiseHandShake } from "./noise.js";
export { DEFAULT_REDIS_PREFIX, RedisFiberStores, redactRedisUrl, type RedisStoresOptions } from "./redis.js";
export { FileKeyStore, type FileKeyStoreOptions } from "./file-keystore.js";
export { STORAGE_KEY_BYTES, StorageKey, decodeAtRest, encodeAtRest } from "./storage-key.js";
export { SignatureVerifyPool, type SignatureVerifyPoolOptions } from "./fiber/verify-pool.js";
export { ClusterFiberStores, ClusterStoreHost, DEFAULT_CLUSTER_STORE_TIMEOUT_MS, type ClusterFiberStoresOptions, type ClusterStoreHostOptions } from "./fiber/cluster-stores.js";
