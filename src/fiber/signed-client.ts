/**
 * The client side of Fiber 2's signed requests, as the functions of Python's
 * `fiber.validator.client`: the request of `make_non_streamed_post` /
 * `make_streamed_post` (sending exactly the bytes it signed), the headers of
 * `make_non_streamed_get`, and the line reader of a streamed answer. `FiberClient`
 * exposes them as `postSigned`, `streamSigned` and `get`.
 *
 * @module
 */
import { HttpStatusError, NetworkError, RequestTimeoutError } from "../common/errors.js";
import { JSON_CONTENT_TYPE, VALIDATOR_HOTKEY_HEADER } from "./constants.js";
import type { Keypair } from "./keypair.js";
import { LineSplitter } from "./lines.js";
import { exceedsJsonDepth } from "./limits.js";
import { jsonBody, signedRequestHeaders } from "./signed.js";

/** Options of one signed or plain request of `FiberClient`. */
export interface SignedRequestOptions {
  /**
   * Timeout in milliseconds; the client's `timeoutMs` by default. For a stream it bounds
   * the wait for the answer's headers and then for each chunk (as httpx's read timeout),
   * not the whole stream.
   */
  timeoutMs?: number | undefined;
}

/** Most bytes of an error answer read for its `detail`. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * The `RequestInit` of a signed POST of `body` (as JSON) to a miner: the body bytes and
 * the headers signed over exactly those bytes.
 * @param keypair - the validator's hotkey
 * @param minerHotkey - the miner's ss58 address
 * @param body - any JSON-serialisable value
 * @param nowMs - current time for the nonce
 */
export async function signedPostInit(keypair: Keypair, minerHotkey: string, body: unknown, nowMs: number): Promise<RequestInit> {
  const bytes = jsonBody(body);
  const headers = await signedRequestHeaders(keypair, minerHotkey, bytes, { nowMs });
  return { method: "POST", headers, body: bytes as Uint8Array<ArrayBuffer> };
}

/**
 * The headers of Python's `make_non_streamed_get`: `Content-Type` and
 * `validator-hotkey` only. Nothing is signed, so the miner learns a claim, not a proof.
 * @param validatorHotkey - the validator's ss58 address
 */
export function plainHeaders(validatorHotkey: string): Record<string, string> {
  return { "content-type": JSON_CONTENT_TYPE, [VALIDATOR_HOTKEY_HEADER]: validatorHotkey };
}

/** The {@link HttpStatusError} of an error answer: its `detail` (a list as JSON) or its first 500 characters. */
export function httpStatusError(status: number, text: string, url: string): HttpStatusError {
  let detail: unknown;
  try {
    // Too deep to write back with JSON.stringify: keep the raw text instead.
    detail = exceedsJsonDepth(text) ? undefined : (JSON.parse(text) as { detail?: unknown } | null)?.detail;
  } catch {
    detail = undefined;
  }
  return new HttpStatusError(status, typeof detail === "string" ? detail : detail !== undefined ? JSON.stringify(detail) : text.slice(0, 500), url);
}

/** The typed error of a failed `fetch` or body read. */
function transportError(cause: unknown, what: string, timedOut: boolean, timeoutMs: number): Error {
  if (timedOut) return new RequestTimeoutError(`${what} took longer than ${timeoutMs} ms`, { cause });
  if (cause instanceof Error && cause.name === "TimeoutError") return new RequestTimeoutError(`${what} took longer than ${timeoutMs} ms`, { cause });
  return new NetworkError(`${what} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}

/** The text decoder of an answer's charset (UTF-8 by default, as httpx), keeping a BOM as Python does. */
function decoderOf(contentType: string | null): TextDecoder {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? "")?.[1];
  try {
    return new TextDecoder(charset ?? "utf-8", { ignoreBOM: true });
  } catch {
    return new TextDecoder("utf-8", { ignoreBOM: true });
  }
}

/** Reads at most {@link MAX_ERROR_BODY_BYTES} of an answer as text. */
async function limitedText(response: Response): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let total = 0;
  try {
    while (total < MAX_ERROR_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text + decoder.decode();
}

/** What {@link streamLines} needs. */
export interface StreamLinesRequest {
  /** The `fetch` to use. */
  fetch: typeof globalThis.fetch;
  /** The full URL. */
  url: string;
  /** The request, e.g. from {@link signedPostInit}. */
  init: RequestInit;
  /** Timeout of the headers and of each chunk. */
  timeoutMs: number;
}

/**
 * Sends a request and yields its answer's lines as httpx's `aiter_lines` does: each
 * without its line ending, empty lines as `""`. An error status throws
 * {@link HttpStatusError} before any line (as `raise_for_status`); a timeout throws
 * `RequestTimeoutError`, a broken connection `NetworkError`. Leaving the loop early
 * cancels the request.
 */
export async function* streamLines(request: StreamLinesRequest): AsyncGenerator<string, void, undefined> {
  const { url, timeoutMs } = request;
  const what = `${request.init.method ?? "GET"} ${url}`;
  const controller = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
  };
  const disarm = () => clearTimeout(timer);
  try {
    let response: Response;
    arm();
    try {
      response = await request.fetch(url, { ...request.init, signal: controller.signal });
    } catch (cause) {
      throw transportError(cause, what, timedOut, timeoutMs);
    } finally {
      disarm();
    }
    if (!response.ok) throw httpStatusError(response.status, await limitedText(response).catch(() => ""), url);
    if (response.body === null) return;
    const reader = response.body.getReader();
    const decoder = decoderOf(response.headers.get("content-type"));
    const splitter = new LineSplitter();
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        arm();
        try {
          chunk = await reader.read();
        } catch (cause) {
          throw transportError(cause, what, timedOut, timeoutMs);
        } finally {
          disarm();
        }
        if (chunk.done) break;
        yield* splitter.push(decoder.decode(chunk.value, { stream: true }));
      }
      yield* splitter.push(decoder.decode());
      yield* splitter.flush();
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  } finally {
    disarm();
    controller.abort();
  }
}
