/**
 * The main entry on Node (export condition `node`): everything of the isomorphic
 * entry, plus key files for `HandShake.create({ path })`, `exportPrivateKey` and
 * `loadPrivate`. Browser bundles resolve `./index.js` and never see `node:` imports.
 *
 * @module
 */
import { installHandShakeKeyFiles } from "./rsa/handshake.js";
import { nodeHandShakeKeyFiles } from "./rsa/node/keyfile.js";
import "./rsa/node/install.js";

installHandShakeKeyFiles(nodeHandShakeKeyFiles);

export * from "./index.js";
