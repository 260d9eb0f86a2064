/**
 * `poorman-handshake/node`: Node-only helpers: RSA key files (atomic, mode 0600) and
 * a JSON-file trust-on-first-use pin store.
 *
 * @module
 */
export { KEY_FILE_REPLACED_WARNING, createRSAKey, exportRSAKey, loadOrCreateRSAKey, loadRSAKey } from "./keyfile.js";
export { JsonFilePinStore } from "./pins.js";
export { PRIVATE_FILE_MODE, writeFileAtomic } from "./files.js";
