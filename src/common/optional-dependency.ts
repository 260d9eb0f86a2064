/**
 * Optional peer dependencies, loaded on first use: a library user who never opens a
 * Redis store or runs `pmh` does not install `@redis/client` or `commander`, and
 * importing `poorman-handshake/node` does not pay for loading them. Portable: the chain
 * client (`polkadot-api`) is loaded the same way in every runtime.
 *
 * @module
 */
import { MissingDependencyError } from "./errors.js";

/** Whether an import failure is "this package is not installed" rather than a broken install. */
function isNotFound(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : "";
  return (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && message.includes(name);
}

/**
 * Imports the optional peer dependency `name`, or throws {@link MissingDependencyError}
 * saying what needs it and how to install it.
 * @param name - the npm package, e.g. `@redis/client`
 * @param neededBy - what needs it, for the message (e.g. "RedisFiberStores")
 * @param load - `() => import(name)` written at the call site, so bundlers and type checkers see the specifier
 */
export async function importOptional<T>(name: string, neededBy: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!isNotFound(error, name)) throw error;
    throw new MissingDependencyError(name, `${neededBy} needs the optional package ${name}, which is not installed: run \`npm install ${name}\``, { cause: error });
  }
}
