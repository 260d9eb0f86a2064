/**
 * The demo signed routes of `pmh serve`: `/echo-signed` answers the JSON body back,
 * `/stream-signed` answers the body's `lines`, one text line per chunk, and the GET routes
 * answer as Fiber's example router does.
 *
 * @module
 */
import { LINE_BREAKS } from "../fiber/constants.js";
import type { FiberRoute } from "../fiber/server-config.js";

/** Characters a streamed line may not contain: each would split it on the client. */
const BREAK = new RegExp(`[${LINE_BREAKS}]`, "u");

/** What Fiber 2.4.0+'s example GET route (`example_get_request`) answers. */
export const EXAMPLE_GET_ANSWER = { status: "Example get request received" } as const;

/**
 * A signed GET route answering as Fiber's `GET /example-subnet-get`: in `pmh serve`,
 * `/example-subnet-get` (signed) and `/example-encrypted-get` (encrypted).
 */
export const exampleGet: FiberRoute<unknown> = { method: "GET", handler: () => EXAMPLE_GET_ANSWER };

/** `POST /echo-signed`: any JSON body, answered back as JSON. */
export const echoSigned: FiberRoute<unknown> = { handler: (body) => body };

/** `POST /stream-signed`: `{"lines": [string, …]}`, answered as `text/plain`, each line flushed on its own. */
export const streamSigned: FiberRoute<string[]> = {
  parse: (value) => {
    const lines = (value as { lines?: unknown } | null)?.lines;
    if (value === null || typeof value !== "object" || Array.isArray(value) || !Array.isArray(lines)) throw new Error("the body must be an object with lines, an array of strings");
    const bad = lines.findIndex((line) => typeof line !== "string" || BREAK.test(line));
    if (bad >= 0) throw new Error(`lines[${bad}] must be a string without line breaks`);
    return lines as string[];
  },
  handler: (lines) => {
    const encoder = new TextEncoder();
    let next = 0;
    // One chunk per pull, so each line goes out in its own write.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (next < lines.length) controller.enqueue(encoder.encode(`${lines[next++]}\n`));
        else controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/plain; charset=utf-8" } });
  },
};
