/**
 * Installs Fiber's Node backends: Fernet and the signed bodies' SHA-256 on `node:crypto`,
 * and (through the RSA install) the RSA public-key operations and AES-GCM. Imported for
 * this effect only, by the `node` entry of `./fiber` and the CLI.
 *
 * @module
 */
import { createHash } from "node:crypto";
import "../../rsa/node/install.js";
import { setFernetBackend } from "../fernet.js";
import { setBodyHashBackend } from "../signed.js";
import { NODE_FERNET } from "./fernet.js";

setFernetBackend(NODE_FERNET);
setBodyHashBackend((bytes) => createHash("sha256").update(bytes).digest("hex"));
