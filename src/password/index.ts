/**
 * `poorman-handshake/password`: the hsub helpers and the password handshake.
 *
 * @module
 */
export { createHsub, generateIv, ivFromHsub, matchHsub } from "./hsub.js";
export { PasswordHandShake, derivePasswordSecret, type PasswordHandShakeOptions } from "./handshake.js";
export * as PASSWORD_WIRE from "./constants.js";
