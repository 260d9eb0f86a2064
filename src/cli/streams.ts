/**
 * Standard streams that may close under a long-running command: `pmh serve | head -1`
 * closes stdout after one line, and the next log line fails with EPIPE, which Node
 * raises as an uncaught `error` event that kills the process. A server must outlive its
 * log reader, so errors of stdout and stderr are dropped (with the lines that caused them).
 *
 * @module
 */

/** Makes every later write error of stdout and stderr (EPIPE, EIO) harmless: the line is dropped. */
export function surviveClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount("error") === 0) stream.on("error", () => {});
  }
}
