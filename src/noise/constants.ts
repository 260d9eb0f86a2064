/**
 * Constants of the Noise Protocol Framework (revision 34) that this engine relies on.
 *
 * @module
 */

/** Largest Noise message, handshake or transport, in bytes. */
export const MAX_MESSAGE_BYTES = 65535;
/** Length in bytes of every AEAD tag (ChaChaPoly and AESGCM). */
export const TAG_BYTES = 16;
/** Length in bytes of a cipher key. */
export const KEY_BYTES = 32;
/** The nonce 2^64-1 is reserved (rekey); no message may use it. */
export const MAX_NONCE = 0xffff_ffff_ffff_ffffn;
/** Prefix of every protocol name. */
export const PROTOCOL_PREFIX = "Noise";
