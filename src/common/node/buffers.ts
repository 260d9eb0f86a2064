/**
 * Zero-copy views between `Uint8Array` and Node's `Buffer`, shared by the `node:crypto`
 * backends (a copy per call would cost more than the small ciphers themselves).
 *
 * @module
 */

/** A Buffer over the same memory as `bytes` (no copy). */
export const bufferView = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A plain Uint8Array over the same memory as `buffer` (no copy). */
export const bytesView = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

/** One Uint8Array of two cipher outputs (update and final); no copy when the tail is empty. */
export function joinedOutput(head: Buffer, tail: Buffer): Uint8Array {
  if (tail.length === 0) return bytesView(head);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
