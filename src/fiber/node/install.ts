/**
 * Installs Fiber's Node backends: Fernet on `node:crypto`, and (through the RSA install)
 * the RSA public-key operations and AES-GCM. Imported for this effect only, by the `node`
 * entry of `./fiber` and the CLI.
 *
 * @module
 */
import "../../rsa/node/install.js";
import { setFernetBackend } from "../fernet.js";
import { NODE_FERNET } from "./fernet.js";

setFernetBackend(NODE_FERNET);
