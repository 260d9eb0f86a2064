/**
 * Which validators a miner serves: a pluggable check with two built-ins, an allowlist
 * and Fiber's metagraph stake gate.
 *
 * @module
 */
import { InvalidArgumentError } from "../common/errors.js";
import { DEFAULT_MIN_STAKE, DETAIL, NOT_ALLOWED_DETAIL } from "./constants.js";

/** The verdict of an {@link Authorizer}: allowed, or refused with a 403 `detail`. */
export type AuthDecision = { allowed: true } | { allowed: false; detail: string };

/**
 * Decides whether a validator hotkey may use the miner. Called with the raw
 * `validator-hotkey` header, before any signature is checked (as Python), so it must
 * be cheap and must not trust the hotkey beyond looking it up.
 */
export type Authorizer = (validatorHotkey: string) => AuthDecision | Promise<AuthDecision>;

const ALLOWED: AuthDecision = { allowed: true };

/** Allows every validator (the signature is still verified). */
export const allowAll: Authorizer = () => ALLOWED;


/**
 * Allows only the listed ss58 addresses.
 * @param addresses - the validators' ss58 addresses
 */
export function allowlist(addresses: Iterable<string>): Authorizer {
  const allowed = new Set(addresses);
  return (hotkey) => (allowed.has(hotkey) ? ALLOWED : { allowed: false, detail: NOT_ALLOWED_DETAIL });
}

/** A metagraph: ss58 hotkey → stake in TAO. */
export type Metagraph = Readonly<Record<string, number>>;

/**
 * Formats a stake as Python's `f"{float}"` does, so the 403 text is Python's byte for
 * byte: `1000.0`, `999.5`, `1e+16`.
 */
export function pythonFloat(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
  if (Object.is(value, -0)) return "-0.0";
  const [mantissa, exp] = value.toExponential().split("e") as [string, string];
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 16) {
    return `${mantissa}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

/**
 * Checks a metagraph JSON value and returns it typed. Two shapes are read, also mixed:
 * ours, hotkey → stake, and Fiber's `nodes.json` (what `Metagraph.save_nodes` writes),
 * hotkey → `Node` object, of which only `stake` is used: in Fiber 2.3.0+ files (with
 * `alpha_stake` and `tao_stake`) that is the total stake, which Fiber 2.5.0's gate
 * compares too; 2.1's files are read as well.
 * @param value - parsed JSON: an object mapping ss58 hotkeys to non-negative stakes or to `{stake, …}`
 * @throws InvalidArgumentError naming the first bad entry
 */
export function parseMetagraph(value: unknown): Metagraph {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidArgumentError("metagraph must be a JSON object mapping ss58 hotkeys to stakes (or to Fiber Node objects)");
  }
  const out: Record<string, number> = Object.create(null);
  for (const [hotkey, entry] of Object.entries(value)) {
    const isNode = entry !== null && typeof entry === "object" && !Array.isArray(entry);
    const stake: unknown = isNode ? (entry as { stake?: unknown }).stake : entry;
    if (typeof stake !== "number" || !Number.isFinite(stake) || stake < 0) {
      const what = isNode ? "a Node whose stake is a non-negative number" : "a non-negative number or a Node object";
      throw new InvalidArgumentError(`metagraph entry ${JSON.stringify(hotkey)} must be ${what}`);
    }
    out[hotkey] = stake;
  }
  return out;
}

/**
 * Fiber's stake gate: the hotkey must be in the metagraph with at least `minStake` TAO
 * (403 `Hotkey not found in metagraph` / `Insufficient stake of {stake} `). The stake is
 * a `nodes.json`'s `stake`, the total (alpha + TAO × TaoWeight) in Fiber 2.3.0+, as Fiber
 * 2.5.0 compares.
 * @param metagraph - the stakes, or a function returning the current ones (to reload them)
 * @param minStake - minimum stake in TAO; 1000 by default, as Fiber
 */
export function minStake(metagraph: Metagraph | (() => Metagraph), minStake: number = DEFAULT_MIN_STAKE): Authorizer {
  if (typeof minStake !== "number" || !Number.isFinite(minStake) || minStake < 0) {
    throw new InvalidArgumentError("minStake must be a non-negative number");
  }
  const current = typeof metagraph === "function" ? metagraph : () => metagraph;
  return (hotkey) => {
    const nodes = current();
    const stake = Object.hasOwn(nodes, hotkey) ? nodes[hotkey] : undefined;
    if (stake === undefined) return { allowed: false, detail: DETAIL.hotkeyNotInMetagraph };
    if (stake < minStake) return { allowed: false, detail: DETAIL.insufficientStake(pythonFloat(stake)) };
    return ALLOWED;
  };
}
