/**
 * Password guess resistance, as poorman_handshake's `symmetric/strength.py`: log2 of
 * zxcvbn's guess estimate. The hsub on the wire is an offline-crackable image of the
 * password, so `PasswordHandShake` refuses guessable ones.
 *
 * The estimator is Dropbox's zxcvbn 4.4.2 (the npm `zxcvbn` package, the original that
 * Python's zxcvbn ports), about 400 KB gzipped with its word lists. It is loaded with a
 * dynamic `import()` on first use, so bundles that never estimate a password never
 * load it, and a bundler with code splitting puts it in a chunk of its own: hence every
 * function here is async. {@link loadPasswordEstimator} loads it ahead of time.
 *
 * @module
 */
import { InvalidArgumentError, WeakPasswordError } from "../common/errors.js";
import { DEFAULT_MIN_BITS, ZXCVBN_MAX_LENGTH, ZXCVBN_REFERENCE_YEAR } from "./constants.js";

/** What zxcvbn says about a password. */
export interface PasswordEstimate {
  /** Bits of guess resistance: `guessesLog10 * log2(10)` (Python's `password_bits`). */
  readonly bits: number;
  /** zxcvbn's `guesses_log10`. */
  readonly guessesLog10: number;
  /** zxcvbn's score, 0 (too guessable) to 4 (very unguessable). */
  readonly score: 0 | 1 | 2 | 3 | 4;
  /** zxcvbn's warning, worded as Python's zxcvbn words it, or "" when it has none. */
  readonly warning: string;
  /** zxcvbn's suggestions. */
  readonly suggestions: readonly string[];
}

type Zxcvbn = (password: string) => {
  guesses_log10: number;
  score: 0 | 1 | 2 | 3 | 4;
  feedback: { warning: string; suggestions: string[] };
};

const BITS_PER_LOG10 = Math.log2(10);
let estimator: Promise<Zxcvbn> | undefined;

/** The CommonJS module object, whatever interop the loader applies. */
const moduleValue = <T>(mod: unknown): T => ((mod as { default?: T }).default ?? mod) as T;

/**
 * Loads zxcvbn (once; later calls share the promise). Optional: the functions below load
 * it themselves. Call it early to keep the first estimate fast, or to fail early where
 * the package cannot load.
 */
export function loadPasswordEstimator(): Promise<void> {
  estimator ??= (async () => {
    const [main, scoring] = await Promise.all([import("zxcvbn"), import("zxcvbn/lib/scoring.js")]);
    // Python's port pins the reference year that scores dates and years at 2017; the npm
    // package takes the current year. Pin it so both estimate alike (this sets it for
    // every user of the zxcvbn package in the process).
    moduleValue<{ REFERENCE_YEAR: number }>(scoring).REFERENCE_YEAR = ZXCVBN_REFERENCE_YEAR;
    return moduleValue<Zxcvbn>(main);
  })();
  estimator.catch(() => (estimator = undefined));
  return estimator.then(() => undefined);
}

/**
 * zxcvbn's feedback worded as the Python port words it: every sentence ends with a
 * period, and the sequence warning quotes its examples.
 */
function asPython(hint: string | undefined): string {
  if (!hint) return "";
  const quoted = hint.replace(/^Sequences like abc or 6543/, 'Sequences like "abc" or "6543"');
  return quoted.endsWith(".") ? quoted : `${quoted}.`;
}

function text(password: string | Uint8Array): string {
  if (typeof password === "string") return password;
  if (password instanceof Uint8Array) return new TextDecoder("utf-8").decode(password); // invalid UTF-8 -> U+FFFD, as Python's "replace"
  throw new InvalidArgumentError(`password must be a string or bytes, got ${typeof password}`);
}

/**
 * zxcvbn's estimate of `password`. Like Python, only the first 72 characters are
 * scored (zxcvbn refuses longer input; a 72-character prefix of a real secret is far
 * above any sensible threshold).
 * @param password - text, or UTF-8 bytes
 */
export async function estimatePassword(password: string | Uint8Array): Promise<PasswordEstimate> {
  const pw = Array.from(text(password)).slice(0, ZXCVBN_MAX_LENGTH).join("");
  await loadPasswordEstimator();
  const zxcvbn = await estimator!;
  const result = zxcvbn(pw);
  const guessesLog10 = pw.length === 0 ? 0 : result.guesses_log10;
  return {
    bits: guessesLog10 * BITS_PER_LOG10,
    guessesLog10,
    score: result.score,
    warning: asPython(result.feedback.warning),
    suggestions: (result.feedback.suggestions ?? []).map(asPython),
  };
}

/**
 * Python's `password_bits`: log2 of zxcvbn's guess count (0 for the empty password).
 * @param password - text, or UTF-8 bytes
 */
export async function passwordBits(password: string | Uint8Array): Promise<number> {
  return (await estimatePassword(password)).bits;
}

/**
 * Python's `check_password_strength`: throws unless `password` has at least `minBits`
 * bits of guess resistance. `minBits <= 0` disables the check.
 * @param password - text, or UTF-8 bytes
 * @param minBits - the requirement, {@link DEFAULT_MIN_BITS} (40) by default
 * @throws WeakPasswordError with the estimate, zxcvbn's hint and how to bypass
 */
export async function checkPasswordStrength(password: string | Uint8Array, minBits: number = DEFAULT_MIN_BITS): Promise<void> {
  if (typeof minBits !== "number" || Number.isNaN(minBits)) throw new InvalidArgumentError("minBits must be a number");
  if (minBits <= 0) return;
  if (text(password).length === 0) throw new WeakPasswordError("password must be a non-empty string", 0, minBits);
  const estimate = await estimatePassword(password);
  if (estimate.bits >= minBits) return;
  const hint = estimate.warning || estimate.suggestions[0] || "";
  throw new WeakPasswordError(
    `password is too guessable (~${Math.round(estimate.bits)} bits of resistance; ${Math.round(minBits)} required).` +
      `${hint ? ` ${hint}` : ""} Use a longer passphrase, or NoiseHandShake with a high-entropy secret.` +
      " Pass minBits: 0 to bypass this check (not recommended).",
    estimate.bits,
    minBits,
  );
}
