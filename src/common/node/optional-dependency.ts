/**
 * Optional peer dependencies, loaded on first use (re-exported from the portable
 * `shared/optional-dependency.ts`, where the loader now lives).
 *
 * @module
 */
export { importOptional } from "../optional-dependency.js";
