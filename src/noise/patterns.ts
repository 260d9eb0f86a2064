/**
 * Noise handshake patterns as data (Noise spec revision 34, sections 7 and 9).
 * A pattern is its pre-messages and its message token lists; PSK modifiers
 * (`psk0`, `psk2`, `psk0+psk2`, ...) are applied by {@link parsePattern}.
 *
 * @module
 */
import { InvalidArgumentError } from "../common/errors.js";

/** A message token. */
export type Token = "e" | "s" | "ee" | "es" | "se" | "ss" | "psk";

/** A handshake pattern, ready to run. */
export interface HandshakePattern {
  /** Full pattern name with modifiers, e.g. `XXpsk2`. */
  readonly name: string;
  /** Pre-message tokens the initiator's keys contribute (`s`, `e`). */
  readonly initiatorPre: readonly Token[];
  /** Pre-message tokens the responder's keys contribute. */
  readonly responderPre: readonly Token[];
  /** Messages in order; even indexes go initiator → responder. */
  readonly messages: readonly (readonly Token[])[];
  /** True for one-way patterns (N, K, X): every message goes initiator → responder. */
  readonly oneWay: boolean;
  /** Number of PSK tokens. */
  readonly pskCount: number;
}

/** `[initiator pre, responder pre, ...messages]`, each a space-separated token list. */
const BASE_PATTERNS: Readonly<Record<string, readonly string[]>> = {
  // One-way (7.4)
  N: ["", "s", "e es"],
  K: ["s", "s", "e es ss"],
  X: ["", "s", "e es s ss"],
  // Fundamental interactive (7.4)
  NN: ["", "", "e", "e ee"],
  NK: ["", "s", "e es", "e ee"],
  NX: ["", "", "e", "e ee s es"],
  XN: ["", "", "e", "e ee", "s se"],
  XK: ["", "s", "e es", "e ee", "s se"],
  XX: ["", "", "e", "e ee s es", "s se"],
  KN: ["s", "", "e", "e ee se"],
  KK: ["s", "s", "e es ss", "e ee se"],
  KX: ["s", "", "e", "e ee se s es"],
  IN: ["", "", "e s", "e ee se"],
  IK: ["", "s", "e es s ss", "e ee se"],
  IX: ["", "", "e s", "e ee se s es"],
  // Deferred (7.6)
  NK1: ["", "s", "e", "e ee es"],
  NX1: ["", "", "e", "e ee s", "es"],
  X1N: ["", "", "e", "e ee", "s", "se"],
  X1K: ["", "s", "e es", "e ee", "s", "se"],
  XK1: ["", "s", "e", "e ee es", "s se"],
  X1K1: ["", "s", "e", "e ee es", "s", "se"],
  X1X: ["", "", "e", "e ee s es", "s", "se"],
  XX1: ["", "", "e", "e ee s", "es s se"],
  X1X1: ["", "", "e", "e ee s", "es s", "se"],
  K1N: ["s", "", "e", "e ee", "se"],
  K1K: ["s", "s", "e es", "e ee", "se"],
  KK1: ["s", "s", "e", "e ee se es"],
  K1K1: ["s", "s", "e", "e ee es", "se"],
  K1X: ["s", "", "e", "e ee s es", "se"],
  KX1: ["s", "", "e", "e ee se s", "es"],
  K1X1: ["s", "", "e", "e ee s", "se es"],
  I1N: ["", "", "e s", "e ee", "se"],
  I1K: ["", "s", "e es s", "e ee", "se"],
  IK1: ["", "s", "e s", "e ee se es"],
  I1K1: ["", "s", "e s", "e ee es", "se"],
  I1X: ["", "", "e s", "e ee s es", "se"],
  IX1: ["", "", "e s", "e ee se s", "es"],
  I1X1: ["", "", "e s", "e ee s", "se es"],
};

const tokens = (list: string): Token[] => (list === "" ? [] : (list.split(" ") as Token[]));

/** Names of the base patterns this engine knows (without modifiers). */
export const BASE_PATTERN_NAMES: readonly string[] = Object.keys(BASE_PATTERNS);

/**
 * Parses a pattern name with optional PSK modifiers: `psk0` puts a `psk` token at the
 * start of the first message, `pskN` (N ≥ 1) at the end of message N.
 * @param name - e.g. `XX`, `XXpsk2`, `KKpsk0+psk2`
 */
export function parsePattern(name: string): HandshakePattern {
  const match = /^([A-Z1]+?)((?:psk\d+)(?:\+psk\d+)*)?$/.exec(name);
  const base = match && Object.hasOwn(BASE_PATTERNS, match[1]!) ? BASE_PATTERNS[match[1]!] : undefined;
  if (!match || !base) throw new InvalidArgumentError(`pattern must be a known Noise pattern, got ${JSON.stringify(name)}`);
  const messages = base.slice(2).map(tokens);
  const positions = match[2] ? match[2].split("+").map((m) => Number(m.slice(3))) : [];
  for (const position of positions) {
    if (position > messages.length || new Set(positions).size !== positions.length) {
      throw new InvalidArgumentError(`pattern ${name} has an invalid psk modifier psk${position}`);
    }
    if (position === 0) messages[0]!.unshift("psk");
    else messages[position - 1]!.push("psk");
  }
  return {
    name,
    initiatorPre: tokens(base[0]!),
    responderPre: tokens(base[1]!),
    messages,
    oneWay: match[1]!.length === 1,
    pskCount: positions.length,
  };
}
