/**
 * HiveMind v3 transport frames: one Noise transport message per websocket binary frame,
 * plaintext `marker || body`, bodies over 65000 bytes split into chunk frames.
 *
 * @module
 */
import { abytes, concatBytes, utf8 } from "../shared/bytes.js";
import { HandshakeStateError, InvalidArgumentError, PoormanError, ProtocolError } from "../shared/errors.js";
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

  /**
   * @param send - the cipher state for our direction (from `split()`)
   * @param receive - the cipher state for the peer's direction
   */
  constructor(send: CipherState, receive: CipherState) {
    this.#send = send;
    this.#receive = receive;
  }

  #check(): void {
    if (this.#fatal !== undefined) throw new HandshakeStateError("the session was closed by an earlier fatal error", { cause: this.#fatal });
  }

  #die(error: unknown): never {
    this.#fatal = error instanceof PoormanError ? error : new ProtocolError("transport failure", { cause: error });
    this.#pending = undefined;
    this.#send.destroy();
    this.#receive.destroy();
    throw this.#fatal;
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
    if (plaintext.length === 0) this.#die(new ProtocolError("a transport frame must start with a marker byte"));
    const marker = plaintext[0]!;
    const body = plaintext.subarray(1);
    const pending = this.#pending;
    if (pending === undefined) {
      if (marker === MARKER.json || marker === MARKER.binary) return { marker, body };
      if (marker === MARKER.firstJsonChunk || marker === MARKER.firstBinaryChunk) {
        this.#pending = { marker: marker === MARKER.firstJsonChunk ? 0 : 1, parts: [body], size: body.length };
        return undefined;
      }
      this.#die(new ProtocolError(`unexpected transport marker 0x${marker.toString(16).padStart(2, "0")} outside a multi-frame message`));
    }
    if (marker !== MARKER.middleChunk && marker !== MARKER.lastChunk) {
      this.#die(new ProtocolError(`expected the next chunk of a multi-frame message, got marker 0x${marker.toString(16).padStart(2, "0")}`));
    }
    pending.size += body.length;
    if (pending.size > MAX_MESSAGE_BYTES) this.#die(new ProtocolError(`a multi-frame message exceeds ${MAX_MESSAGE_BYTES} bytes`));
    pending.parts.push(body);
    if (marker === MARKER.middleChunk) return undefined;
    this.#pending = undefined;
    return { marker: pending.marker, body: concatBytes(...pending.parts) };
  }
}
