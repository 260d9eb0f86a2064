/**
 * `nodes.json` files: what Fiber's `Metagraph.save_nodes` writes and `load_nodes` reads
 * (hotkey → Node), written atomically.
 *
 * @module
 */
import { astring } from "../../../shared/bytes.js";
import { InvalidArgumentError } from "../../../shared/errors.js";
import { readTextFile, writeFileAtomic } from "../../../shared/node/files.js";
import { parseNodes, serializeNodes } from "../metagraph.js";
import type { Node } from "../nodes.js";

/**
 * Reads a `nodes.json` (Fiber 2.1's field set or 2.5's).
 * @param path - the file
 * @throws FileError when it cannot be read; InvalidArgumentError when it is not such a file
 */
export async function loadNodesFile(path: string): Promise<Record<string, Node>> {
  astring(path, "path");
  const text = await readTextFile(path, "a nodes.json file (hotkey to Fiber Node)");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new InvalidArgumentError(`${path} is not JSON`, { cause });
  }
  return parseNodes(json);
}

/**
 * Writes a `nodes.json` atomically (a reader never sees half a file).
 * @param path - the file
 * @param nodes - hotkey → Node
 */
export async function saveNodesFile(path: string, nodes: Readonly<Record<string, Node>>): Promise<void> {
  astring(path, "path");
  await writeFileAtomic(path, serializeNodes(nodes));
}
