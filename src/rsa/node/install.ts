/**
 * Installs the `node:crypto` backends of AES-GCM (the hybrid blob's cipher) and of the
 * RSA public-key operations as the defaults. Imported for this effect only, by the Node
 * entries that use RSA (the main entry, `./rsa`, `./fiber`) and the CLI.
 *
 * @module
 */
import { setAesGcmBackend } from "../aes-gcm.js";
import { setRSAPublicBackend } from "../public-backend.js";
import { NODE_AES_GCM } from "./aes-gcm.js";
import { NODE_RSA } from "./public-backend.js";

setAesGcmBackend(NODE_AES_GCM);
setRSAPublicBackend(NODE_RSA);
