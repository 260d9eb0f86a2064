/**
 * Fiber's `nodes.json` with the field set of Fiber 2.3.0 to 2.5.0 (`fiber/chain/models.py`
 * `Node`, dTAO: `alpha_stake`, `tao_stake`, and `stake` the total): read, and written as
 * `Metagraph.save_nodes` writes it. A file with this field set loads in Fiber 2.5.0's
 * `Metagraph.load_nodes` and in 2.1.0's (which ignores the two new fields); 2.5.0 drops a
 * whole file that lacks them. The stake gate (`minStake`) reads `stake` through
 * `parseMetagraph`, which also reads 2.1's files.
 *
 * @module
 */
import { InvalidArgumentError } from "../common/errors.js";
import { pythonFloat } from "./authorize.js";

/** One neuron of Fiber 2.3.0+'s `Node` model, with Python's field names. */
export interface FiberNode {
  /** The neuron's hotkey (ss58). */
  hotkey: string;
  /** Its coldkey (ss58). */
  coldkey: string;
  /** Its uid in the subnet. */
  node_id: number;
  /** Its incentive (Fiber 2.3+: the chain's raw u16, 0 to 65535, as a float). */
  incentive: number;
  /** The subnet. */
  netuid: number;
  /**
   * Alpha stake in alpha units (rao × 1e-9). Absent, with `tao_stake`, in Fiber 2.1/2.2's
   * field set (what a runtime without `get_metagraph` gives; Fiber 2.5.0 drops such a file).
   */
  alpha_stake?: number;
  /** TAO stake in TAO (rao × 1e-9); absent with `alpha_stake`. */
  tao_stake?: number;
  /** The total stake the chain weighs (alpha + TAO × TaoWeight): what the stake gate compares. */
  stake: number;
  /** Trust (Fiber 2.3+: raw u16 as a float). */
  trust: number;
  /** Validator trust, the chain's `consensus` (Fiber 2.3+: raw u16 as a float). */
  vtrust: number;
  /** Block of its last update, as a float. */
  last_updated: number;
  /** Its axon IP: a decimal integer in Fiber 2.3+ (`"2130706433"`), dotted before. */
  ip: string;
  /** 4 or 6. */
  ip_type: number;
  /** Its axon port. */
  port: number;
  /** Its axon protocol; 4 when the file has none, as Fiber's default. */
  protocol: number;
}

/** The fields of {@link FiberNode} in the model's declaration order (the order `save_nodes` writes), with their JSON kind. */
const FIELDS: readonly (readonly [keyof FiberNode, "str" | "int" | "float"])[] = [
  ["hotkey", "str"],
  ["coldkey", "str"],
  ["node_id", "int"],
  ["incentive", "float"],
  ["netuid", "int"],
  ["alpha_stake", "float"],
  ["tao_stake", "float"],
  ["stake", "float"],
  ["trust", "float"],
  ["vtrust", "float"],
  ["last_updated", "float"],
  ["ip", "str"],
  ["ip_type", "int"],
  ["port", "int"],
  ["protocol", "int"],
];
/** `Node.protocol`'s default. */
const DEFAULT_PROTOCOL = 4;
/** The two fields of 2.3.0+ that 2.1/2.2's field set lacks. */
const DTAO_FIELDS: readonly (keyof FiberNode)[] = ["alpha_stake", "tao_stake"];

/** Options of {@link parseNodes}. */
export interface ParseNodesOptions {
  /**
   * Which field sets to accept: `"2.3+"` (the default) requires `alpha_stake` and
   * `tao_stake`, as Fiber 2.5.0's `load_nodes` does; `"any"` also reads Fiber 2.1/2.2's
   * entries, which lack both (kept absent).
   */
  fieldSet?: "2.3+" | "any" | undefined;
}

/** Whether an entry is of 2.1/2.2's field set: neither dTAO field (one without the other is an error). */
const lacksDtao = (entry: Partial<Record<keyof FiberNode, unknown>>): boolean => DTAO_FIELDS.every((name) => entry[name] === undefined);

function checkField(hotkey: string, name: string, kind: "str" | "int" | "float", value: unknown): void {
  const ok = kind === "str" ? typeof value === "string" : typeof value === "number" && Number.isFinite(value) && (kind === "float" || Number.isInteger(value));
  if (!ok) {
    const what = kind === "str" ? "a string" : kind === "int" ? "an integer" : "a finite number";
    const hint = name === "alpha_stake" || name === "tao_stake" ? " (a Fiber 2.1/2.2 nodes.json lacks it: read it with parseMetagraph, or parseNodes with fieldSet \"any\")" : "";
    throw new InvalidArgumentError(`nodes.json entry ${JSON.stringify(hotkey)}: ${name} must be ${what}${hint}`);
  }
}

/**
 * Checks a parsed `nodes.json` of Fiber 2.3.0+ (map key → `Node`) and returns it typed.
 * Every field but `protocol` is required, as Fiber 2.5.0's model requires it; extra fields
 * are dropped. Stricter than pydantic: numbers must be JSON numbers (not numeric strings).
 * @param value - the parsed JSON
 * @param options - see {@link ParseNodesOptions}
 * @throws InvalidArgumentError naming the first bad entry and field (by default a 2.1 file,
 *   without `alpha_stake`, is refused: Fiber 2.5.0 drops it too; `parseMetagraph` reads it)
 */
export function parseNodes(value: unknown, options: ParseNodesOptions = {}): Record<string, FiberNode> {
  const older = options.fieldSet === "any";
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new InvalidArgumentError("nodes.json must be a JSON object mapping hotkeys to Node objects");
  const out: Record<string, FiberNode> = Object.create(null);
  for (const [key, entry] of Object.entries(value)) {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) throw new InvalidArgumentError(`nodes.json entry ${JSON.stringify(key)} must be a Node object`);
    const node: Record<string, unknown> = {};
    const skipDtao = older && lacksDtao(entry as Record<string, unknown>);
    for (const [name, kind] of FIELDS) {
      if (skipDtao && DTAO_FIELDS.includes(name)) continue;
      const field = (entry as Record<string, unknown>)[name];
      if (name === "protocol" && field === undefined) {
        node[name] = DEFAULT_PROTOCOL;
        continue;
      }
      checkField(key, name, kind, field);
      node[name] = field;
    }
    out[key] = node as unknown as FiberNode;
  }
  return out;
}

/** A string as Python's `json.dumps` writes it (`ensure_ascii`: every non-ASCII character as `\uXXXX`). */
function pythonJsonString(text: string): string {
  return JSON.stringify(text).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * The text `Metagraph.save_nodes` of Fiber 2.3.0+ writes for these nodes: `json.dump` of
 * map key → `model_dump()`, fields in declaration order, Python's separators (`", "`,
 * `": "`), floats as Python's `repr`, `ensure_ascii`, no trailing newline. It loads in
 * Fiber 2.5.0's and 2.1.0's `load_nodes`. A node without `alpha_stake` and `tao_stake`
 * (2.1/2.2's field set) is written without them, as Fiber 2.1 wrote it.
 * @param nodes - map key (the hotkey) → node, e.g. from {@link parseNodes}
 * @throws InvalidArgumentError for a field of the wrong kind (as {@link parseNodes})
 */
export function formatNodes(nodes: Readonly<Record<string, FiberNode>>): string {
  if (nodes === null || typeof nodes !== "object" || Array.isArray(nodes)) throw new InvalidArgumentError("nodes must be an object mapping hotkeys to FiberNode objects");
  const entries = Object.entries(nodes).map(([key, node]) => {
    const older = node !== null && typeof node === "object" && lacksDtao(node);
    const fields = FIELDS.filter(([name]) => !(older && DTAO_FIELDS.includes(name))).map(([name, kind]) => {
      const field = name === "protocol" ? (node?.protocol ?? DEFAULT_PROTOCOL) : node?.[name];
      checkField(key, name, kind, field);
      const text = kind === "str" ? pythonJsonString(field as string) : kind === "float" ? pythonFloat(field as number) : String(field);
      return `"${name}": ${text}`;
    });
    return `${pythonJsonString(key)}: {${fields.join(", ")}}`;
  });
  return `{${entries.join(", ")}}`;
}
