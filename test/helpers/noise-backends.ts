/**
 * Every Noise backend this machine has, for the vector suites: the portable one
 * (@noble, Web Crypto), node:crypto, and libsodium when the optional `sodium-native`
 * addon loads (otherwise its runs are skipped, saying why).
 */
import { after, before } from "node:test";
import { NODE_BACKEND, SODIUM_BACKEND } from "../../src/node/index.js";
import { type NoiseBackend, PORTABLE_BACKEND, noiseBackend, setNoiseBackend } from "../../src/noise/index.js";

/** Why the libsodium runs are skipped, or `false` when `sodium-native` loaded. */
export const SODIUM_SKIP: string | false = SODIUM_BACKEND === undefined ? "the optional sodium-native addon does not load here" : false;
if (SODIUM_SKIP !== false) console.log(`# libsodium Noise backend not tested: ${SODIUM_SKIP}`);

/** The backends to run every vector on, by label: portable, node:crypto, libsodium (when it loads). */
export const NOISE_BACKENDS: readonly (readonly [string, NoiseBackend])[] = [
  ["portable", PORTABLE_BACKEND],
  ["node:crypto", NODE_BACKEND],
  ...(SODIUM_BACKEND === undefined ? [] : [["libsodium", SODIUM_BACKEND] as const]),
];

/** The native backends (node:crypto, libsodium when it loads), for comparisons with the portable one. */
export const NATIVE_BACKENDS = NOISE_BACKENDS.filter(([, backend]) => backend !== PORTABLE_BACKEND);

/** Inside a `describe`: installs `backend` as the default for its tests, and restores the previous one after. */
export function useNoiseBackend(backend: NoiseBackend): void {
  let previous: NoiseBackend | undefined;
  before(() => {
    previous = noiseBackend();
    setNoiseBackend(backend);
  });
  after(() => setNoiseBackend(previous!));
}
