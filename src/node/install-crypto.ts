/**
 * Installs the `node:crypto` backends of Fernet, AES-GCM and the RSA public-key
 * operations as the defaults, for the
 * Node entry points and the CLI (imported for this side effect only).
 *
 * @module
 */
import { setFernetBackend } from "../fiber/fernet.js";
import { setAesGcmBackend } from "../rsa/aes-gcm.js";
import { setRSAPublicBackend } from "../rsa/public-backend.js";
import { NODE_RSA } from "./rsa/public-backend.js";
import { NODE_AES_GCM, NODE_FERNET } from "./symmetric-backends.js";

setFernetBackend(NODE_FERNET);
setAesGcmBackend(NODE_AES_GCM);
setRSAPublicBackend(NODE_RSA);
