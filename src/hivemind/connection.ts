/**
 * One node-side connection attempt: the socket events turned into the v3 handshake
 * (HELLO, HANDSHAKE, shake m1..m3) driven by {@link HiveMindClient}, then the encrypted
 * HELLO. What it cannot finish it rejects with a typed error; {@link HiveMindNode} decides
 * about the retry.
 *
 * @module
 */
import { HandshakeRejectedError, NetworkError, PoormanError, ProtocolError } from "../common/errors.js";
import type { HiveMindClient } from "./client.js";
import { CLOSE, JSON_MAX_CHARS, MAX_CLOSE_REASON_BYTES } from "./constants.js";
import { parseJsonKeepingNumbers, RawNumber, type RawJsonValue } from "./json-parse.js";
import { type HiveMessage, serializeHiveMessage } from "./message.js";
import type { WebSocketLike } from "./websocket.js";

/** How an attempt ended before the handshake was done. */
export type AttemptFailure =
  | { kind: "error"; error: PoormanError }
  /** The hub closed while our KKpsk0 m1 was pending: most likely it refused our pin. */
  | { kind: "kk-refused"; error: PoormanError };

/** A handshake that completed: the socket is open and our HELLO was sent. */
export interface OpenAttempt {
  readonly socket: WebSocketLike;
  /**
   * Hands the socket to the caller: frames that arrived since the handshake (and a close,
   * if one came) are delivered to these callbacks first, in order.
   */
  handOver(onFrame: (frame: Uint8Array | string) => void, onClose: (code: number, reason: string) => void): void;
}

/** Truncates a close reason to what a WebSocket close frame can carry. */
export function closeReason(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return text;
  return new TextDecoder().decode(bytes.subarray(0, MAX_CLOSE_REASON_BYTES)).replace(/\uFFFD+$/, "");
}

/** A frame's data as bytes or text (ArrayBuffer from browsers, Buffer from `ws`). */
export function frameData(data: unknown): Uint8Array | string {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) return new Uint8Array(data.flatMap((part: Uint8Array) => [...part]));
  throw new ProtocolError("a WebSocket frame must be text or bytes");
}

/** A received handshake-phase text frame: its type and payload, numbers kept as received. */
function readTextFrame(text: string): { type: unknown; payload: RawJsonValue | undefined } {
  if (text.length > JSON_MAX_CHARS) throw new ProtocolError(`a handshake frame must be at most ${JSON_MAX_CHARS} characters`);
  const value = parseJsonKeepingNumbers(text);
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof RawNumber) throw new ProtocolError("a handshake frame must be a JSON object");
  const record = value as Record<string, RawJsonValue>;
  return { type: record.msg_type, payload: record.payload };
}

/**
 * Runs the handshake on an open-or-opening socket. Resolves once our encrypted HELLO
 * has been sent; rejects with a {@link AttemptFailure} (never hangs: the caller's
 * deadline closes the socket, which rejects).
 */
export function runAttempt(socket: WebSocketLike, client: HiveMindClient, hello: HiveMessage, url: string): Promise<OpenAttempt> {
  return new Promise<OpenAttempt>((resolve, reject) => {
    let opened = false;
    let hubHello: RawJsonValue | undefined;
    let settled = false;
    let chain: Promise<void> = Promise.resolve();
    const early: Uint8Array[] = [];
    let takeFrame: ((frame: Uint8Array | string) => void) | undefined;
    let takeClose: ((code: number, reason: string) => void) | undefined;
    let earlyClose: { code: number; reason: string } | undefined;
    const fail = (failure: AttemptFailure) => {
      if (settled) return;
      settled = true;
      if (socket.readyState < 2) socket.close(CLOSE.policy, closeReason(failure.error.message));
      reject(failure);
    };
    const step = async (data: Uint8Array | string) => {
      if (typeof data !== "string") {
        if (!client.done) throw new ProtocolError("the hub sent a binary frame before the handshake was complete");
        return;
      }
      if (client.done) return; // text after the handshake: dropped, as the real client does
      const { type, payload } = readTextFrame(data);
      if (type === "hello") {
        hubHello = payload;
      } else if (type === "shake") {
        if (client.pattern === undefined) {
          if (hubHello === undefined) throw new ProtocolError("the hub sent its HANDSHAKE before its HELLO");
          socket.send(serializeHiveMessage({ msg_type: "shake", payload: await client.start(hubHello, payload) }));
          return;
        }
        const reply = await client.receive(payload);
        if (reply !== null) socket.send(serializeHiveMessage({ msg_type: "shake", payload: reply }));
        socket.send(await client.encrypt(0, serializeHiveMessage(hello)).then((frames) => frames[0]!));
        settled = true;
        resolve({
          socket,
          handOver(onFrame, onClose) {
            takeFrame = onFrame;
            takeClose = onClose;
            for (const frame of early.splice(0)) onFrame(frame);
            if (earlyClose !== undefined) onClose(earlyClose.code, earlyClose.reason);
          },
        });
      }
    };
    socket.addEventListener("open", () => {
      opened = true;
    });
    socket.addEventListener("message", (event: { data: unknown }) => {
      let data: Uint8Array | string;
      try {
        data = frameData(event.data);
      } catch (error) {
        return fail({ kind: "error", error: error as PoormanError });
      }
      // One chain keeps the order: handshake steps, then buffered frames, then the caller's.
      chain = chain.then(() => (takeFrame !== undefined ? takeFrame(data) : settled ? void (typeof data !== "string" && early.push(data)) : step(data))).catch((error: unknown) => {
        const wrapped = error instanceof PoormanError ? error : new ProtocolError("handshake failed", { cause: error });
        fail({ kind: "error", error: wrapped });
      });
    });
    socket.addEventListener("close", (event: { code: number; reason: string }) => {
      if (settled) {
        // After the frames queued before it.
        chain = chain.then(() => (takeClose !== undefined ? takeClose(event.code, event.reason) : void (earlyClose = { code: event.code, reason: event.reason })));
        return;
      }
      const detail = `(close ${event.code}${event.reason ? `: ${event.reason}` : ""})`;
      if (!opened) return fail({ kind: "error", error: new NetworkError(`could not open a WebSocket to ${url} ${detail}`) });
      if (client.pattern === "KKpsk0" && !client.done) return fail({ kind: "kk-refused", error: new HandshakeRejectedError(`the hub refused the KKpsk0 handshake ${detail}`) });
      const when = hubHello === undefined ? "before its HELLO (access key refused?)" : "during the handshake";
      fail({ kind: "error", error: new HandshakeRejectedError(`the hub closed the connection ${when} ${detail}`) });
    });
    socket.addEventListener("error", () => {
      // A close event always follows; it says more.
    });
  });
}
