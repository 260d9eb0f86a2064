/**
 * Installs the `node:crypto` backends of Fernet and AES-GCM as the defaults, for the
 * Node entry points and the CLI (imported for this side effect only).
 *
 * @module
 */
import { setFernetBackend } from "../fiber/fernet.js";
import { setAesGcmBackend } from "../rsa/aes-gcm.js";
import { NODE_AES_GCM, NODE_FERNET } from "./symmetric-backends.js";

setFernetBackend(NODE_FERNET);
setAesGcmBackend(NODE_AES_GCM);
