/**
 * HiveMind v3 transport frames: one Noise transport message per websocket binary frame,
 * plaintext `marker || body`, bodies over 65000 bytes split into chunk frames.
 *
 * @module
 */
import { abytes, concatBytes, utf8 } from "../common/bytes.js";
import { HandshakeStateError, InvalidArgumentError, PoormanError, ProtocolError } from "../common/errors.js";
import { NOISE_WIRE, type CipherState } from "../noise/index.js";
import { CHUNK_BYTES, MARKER, MAX_MESSAGE_BYTES } from "./constants.js";

const EMPTY = new Uint8Array(0);

/** A whole HiveMind message: `0x00` JSON (UTF-8) or `0x01` HIVEMIND-WIRE-1 bitstring. */
export interface HiveMindFrameMessage {
  /** `0` (JSON) or `1` (binary bitstring); chunk markers never surface here. */
  readonly marker: 0 | 1;
  /** The message body. */
  readonly body: Uint8Array;
}

interface Reassembly {
  readonly marker: 0 | 1;
  readonly parts: Uint8Array[];
  size: number;
}

/**
 * Bytes held, across connections, for multi-frame messages still being reassembled.
 * Each chunk takes its size from the budget as it arrives; a complete, failed or closed
 * message gives all of it back.
 */
export class ReassemblyBudget {
  /** The most bytes held at once. */
  readonly maxBytes: number;
  #used = 0;

  /** @param maxBytes - the most bytes held at once (a positive integer) */
  constructor(maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new InvalidArgumentError(`maxBytes must be a positive integer, got ${String(maxBytes)}`);
    this.maxBytes = maxBytes;
  }

  /** The bytes held now. */
  get used(): number {
    return this.#used;
  }

  /** Takes `bytes`; false (nothing taken) when that would exceed `maxBytes`. */
  take(bytes: number): boolean {
    if (this.#used + bytes > this.maxBytes) return false;
    this.#used += bytes;
    return true;
  }

  /** Gives back `bytes` taken earlier. */
  give(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

/** Limits of what a {@link HiveMindTransport} reassembles. */
export interface TransportLimits {
  /** Largest reassembled message in bytes (default and most: 32 MiB, `MAX_MESSAGE_BYTES`). */
  maxMessageBytes?: number | undefined;
  /** A budget shared with other transports for the bytes of unfinished messages. */
  budget?: ReassemblyBudget | undefined;
}

/**
 * A received message refused by a {@link TransportLimits} bound: `closeCode` is 1009 (the
 * message is too big) or 1013 (the shared budget is spent: try again later).
 */
export class TransportLimitError extends ProtocolError {
  /** The WebSocket close code that says why. */
  readonly closeCode: 1009 | 1013;

  /**
   * @param message - what was exceeded
   * @param closeCode - 1009 or 1013
   */
  constructor(message: string, closeCode: 1009 | 1013) {
    super(message);
    this.closeCode = closeCode;
  }
}

/**
 * Encrypts and decrypts HiveMind transport frames over a pair of Noise cipher states.
 * Calls are serialised internally, so concurrent `encrypt`s never interleave chunks.
 * Every receive-side violation (a bad tag, an unknown marker, a chunk out of order, a
 * message over 32 MiB) is fatal: the error is thrown and every later call fails.
 */
export class HiveMindTransport {
  readonly #send: CipherState;
  readonly #receive: CipherState;
  #sendQueue: Promise<unknown> = Promise.resolve();
  #receiveQueue: Promise<unknown> = Promise.resolve();
  #pending: Reassembly | undefined;
  #fatal: PoormanError | undefined;
  readonly #maxMessageBytes: number;
  readonly #budget: ReassemblyBudget | undefined;

  /**
   * @param send - the cipher state for our direction (from `split()`)
   * @param receive - the cipher state for the peer's direction
   * @param limits - bounds on what is reassembled
   */
  constructor(send: CipherState, receive: CipherState, limits: TransportLimits = {}) {
    this.#send = send;
    this.#receive = receive;
    const max = limits.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    if (!Number.isSafeInteger(max) || max < 1 || max > MAX_MESSAGE_BYTES) throw new InvalidArgumentError(`maxMessageBytes must be an integer from 1 to ${MAX_MESSAGE_BYTES}, got ${String(max)}`);
    this.#maxMessageBytes = max;
    this.#budget = limits.budget;
  }

  #check(): void {
    if (this.#fatal !== undefined) throw new HandshakeStateError("the session was closed by an earlier fatal error", { cause: this.#fatal });
  }

  /** Drops the message being reassembled, giving its bytes back to the budget. */
  #drop(): void {
    if (this.#pending !== undefined) this.#budget?.give(this.#pending.size);
    this.#pending = undefined;
  }

  #die(error: unknown): never {
    this.#fatal = error instanceof PoormanError ? error : new ProtocolError("transport failure", { cause: error });
    this.#drop();
    this.#send.destroy();
    this.#receive.destroy();
    throw this.#fatal;
  }

  /**
   * Ends the session's receive side (the connection closed): drops the message being
   * reassembled (its bytes go back to the budget); every later `decrypt` fails.
   */
  close(): void {
    this.#fatal ??= new ProtocolError("the connection is closed");
    this.#drop();
  }

  /** Takes a chunk's bytes for the message being reassembled, or dies with the limit it exceeds. */
  #hold(pending: Reassembly, bytes: number): void {
    if (pending.size + bytes > this.#maxMessageBytes) this.#die(new TransportLimitError(`a multi-frame message exceeds ${this.#maxMessageBytes} bytes`, 1009));
    if (this.#budget !== undefined && !this.#budget.take(bytes)) this.#die(new TransportLimitError("too many bytes of unfinished messages held; try again later", 1013));
    pending.size += bytes;
  }

  /**
   * Encrypts one message into one or more frames (chunked above 65000 bytes).
   * @param marker - `0` for JSON, `1` for a binary bitstring
   * @param body - the message; a string is UTF-8 encoded
   */
  async encrypt(marker: 0 | 1, body: Uint8Array | string): Promise<Uint8Array[]> {
    this.#check();
    if (marker !== MARKER.json && marker !== MARKER.binary) throw new InvalidArgumentError(`marker must be 0 (JSON) or 1 (binary), got ${String(marker)}`);
    const bytes = typeof body === "string" ? utf8(body) : abytes(body, "body");
    if (bytes.length > MAX_MESSAGE_BYTES) throw new InvalidArgumentError(`body must be at most ${MAX_MESSAGE_BYTES} bytes, got ${bytes.length}`);
    const plaintexts: Uint8Array[] = [];
    if (bytes.length <= CHUNK_BYTES) {
      plaintexts.push(concatBytes(Uint8Array.of(marker), bytes));
    } else {
      for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
        const last = offset + CHUNK_BYTES >= bytes.length;
        const chunkMarker = offset === 0 ? (marker === MARKER.json ? MARKER.firstJsonChunk : MARKER.firstBinaryChunk) : last ? MARKER.lastChunk : MARKER.middleChunk;
        plaintexts.push(concatBytes(Uint8Array.of(chunkMarker), bytes.subarray(offset, offset + CHUNK_BYTES)));
      }
    }
    const run = this.#sendQueue.then(() => Promise.all(plaintexts.map((p) => this.#send.encryptWithAd(EMPTY, p))));
    this.#sendQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * Decrypts one frame.
   * @param frame - a websocket binary frame
   * @returns the message, or `undefined` while a multi-frame message is incomplete
   * @throws DecryptionError or ProtocolError, both fatal
   */
  decrypt(frame: Uint8Array): Promise<HiveMindFrameMessage | undefined> {
    const run = this.#receiveQueue.then(() => this.#decryptNow(frame));
    this.#receiveQueue = run.catch(() => undefined);
    return run;
  }

  async #decryptNow(frame: Uint8Array): Promise<HiveMindFrameMessage | undefined> {
    this.#check();
    if (!(frame instanceof Uint8Array)) this.#die(new ProtocolError(`a transport frame must be binary bytes, got ${typeof frame}`));
    if (frame.length > NOISE_WIRE.MAX_MESSAGE_BYTES) this.#die(new ProtocolError(`a transport frame must be at most ${NOISE_WIRE.MAX_MESSAGE_BYTES} bytes`));
    let plaintext: Uint8Array;
    try {
      plaintext = await this.#receive.decryptWithAd(EMPTY, frame);
    } catch (error) {
      this.#die(error);
    }
    // Closed while decrypting: nothing more is held.
    this.#check();
    if (plaintext.length === 0) this.#die(new ProtocolError("a transport frame must start with a marker byte"));
    const marker = plaintext[0]!;
    const body = plaintext.subarray(1);
    const pending = this.#pending;
    if (pending === undefined) {
      if (marker === MARKER.json || marker === MARKER.binary) return { marker, body };
      if (marker === MARKER.firstJsonChunk || marker === MARKER.firstBinaryChunk) {
        const started: Reassembly = { marker: marker === MARKER.firstJsonChunk ? 0 : 1, parts: [], size: 0 };
        this.#hold(started, body.length);
        started.parts.push(body);
        this.#pending = started;
        return undefined;
      }
      this.#die(new ProtocolError(`unexpected transport marker 0x${marker.toString(16).padStart(2, "0")} outside a multi-frame message`));
    }
    if (marker !== MARKER.middleChunk && marker !== MARKER.lastChunk) {
      this.#die(new ProtocolError(`expected the next chunk of a multi-frame message, got marker 0x${marker.toString(16).padStart(2, "0")}`));
    }
    this.#hold(pending, body.length);
    pending.parts.push(body);
    if (marker === MARKER.middleChunk) return undefined;
    const whole = concatBytes(...pending.parts);
    this.#drop();
    return { marker: pending.marker, body: whole };
  }
}
