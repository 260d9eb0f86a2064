/**
 * Warnings: something is wrong but not fatal (a key file others can read, a corrupt key
 * file that was replaced). Functions that can warn take an `onWarning` hook; without
 * one, Node code emits a `process` warning of the same code.
 *
 * @module
 */

/** One warning. Match on `code`; the message may be reworded. */
export interface PoormanWarning {
  /** Stable code, such as `POORMAN_KEY_FILE_PERMISSIONS`. */
  readonly code: string;
  /** A human-readable explanation naming the file and what to do. */
  readonly message: string;
  /** The file concerned, when there is one. */
  readonly path?: string | undefined;
}

/** Receives warnings (for example to log them your way, or to refuse to start). */
export type WarningHandler = (warning: PoormanWarning) => void;
