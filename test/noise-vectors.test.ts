import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadVectors } from "./helpers/vectors.js";
import { type NoiseVector, replayNoiseVector } from "./helpers/noise-vectors.js";
import { NOISE_BACKENDS } from "./helpers/noise-backends.js";

// The full sets (1352 vectors, 448 in pure JS) take ~15 s on a shared 2-core machine.
// By default: every 25519/SHA256 vector (all patterns, both ciphers), and a few patterns
// of every other DH × hash combination. NOISE_ALL_VECTORS=1 runs everything.
const ALL = process.env.NOISE_ALL_VECTORS === "1";
const SAMPLED_PATTERNS = new Set(["XX", "KKpsk0", "IK", "NNpsk2", "XXpsk0+psk2"]);

function selected(vector: NoiseVector): boolean {
  const [, pattern, dh, , hash] = vector.protocol_name.split("_");
  return ALL || (dh === "25519" && hash === "SHA256") || SAMPLED_PATTERNS.has(pattern!);
}

for (const file of ["cacophony.txt", "snow.txt"]) {
  const { vectors } = loadVectors<{ vectors: NoiseVector[] }>(`noise/${file}`);
  const chosen = vectors.filter(selected);
  describe(`Noise vectors: ${file} (${chosen.length} of ${vectors.length})`, () => {
    if (chosen.length < vectors.length) {
      console.log(`# ${file}: ${vectors.length - chosen.length} slow vectors (448 / non-SHA256 sampling) left out; NOISE_ALL_VECTORS=1 runs them`);
    }
    for (const [name, backend] of NOISE_BACKENDS) {
      it(`${name} backend replays ${chosen.length} vectors: every ciphertext, payload and handshake hash`, async () => {
        for (const vector of chosen) await replayNoiseVector(vector, backend);
      });
    }
    it("covers KKpsk0 and XX in both ciphers with SHA256 (cacophony) and multi-PSK forms (snow)", () => {
      const names = new Set(chosen.map((v) => v.protocol_name));
      const required = file === "cacophony.txt"
        ? ["Noise_KKpsk0_25519_ChaChaPoly_SHA256", "Noise_KKpsk0_25519_AESGCM_SHA256", "Noise_XX_25519_ChaChaPoly_SHA256", "Noise_XX_25519_AESGCM_SHA256"]
        : ["Noise_XXpsk0+psk2_25519_ChaChaPoly_SHA256", "Noise_KKpsk0+psk2_25519_AESGCM_SHA256"];
      for (const name of required) assert.ok(names.has(name), `missing ${name}`);
    });
  });
}
