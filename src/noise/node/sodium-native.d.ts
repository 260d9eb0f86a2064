/** `sodium-native` ships no types; `src/noise/node/sodium.ts` describes the part it calls. */
declare module "sodium-native" {
  /** The CommonJS exports object (libsodium's functions). */
  const sodium: unknown;
  export default sodium;
}
