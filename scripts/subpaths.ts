/**
 * Which subpaths of the exports map are Node-only by design (never bundled for browsers
 * nor run in other runtimes). Pure, so every runtime's test entry can share it.
 *
 * @module
 */

/** True for `./package.json`, `./node` and `./cli` (and anything under them). */
export function isNodeOnlySubpath(subpath: string): boolean {
  return subpath === "./package.json" || /^\.\/(node|cli)(\/|$)/.test(subpath);
}
