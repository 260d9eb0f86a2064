/** Replays a vector of the common Noise "vectors" JSON format (cacophony, snow). */
import assert from "node:assert/strict";
import { fromHex, toHex } from "../../src/common/bytes.js";
import { HandshakeState, type NoiseBackend, type NoiseTransport, PORTABLE_BACKEND, parseProtocolName } from "../../src/noise/index.js";

/** One vector of cacophony.txt / snow.txt. */
export interface NoiseVector {
  protocol_name: string;
  init_prologue: string;
  init_psks?: string[];
  init_static?: string;
  init_ephemeral: string;
  init_remote_static?: string;
  resp_prologue: string;
  resp_psks?: string[];
  resp_static?: string;
  resp_ephemeral?: string;
  resp_remote_static?: string;
  handshake_hash?: string;
  messages: { payload: string; ciphertext: string }[];
}

const hex = (value: string | undefined) => (value === undefined ? undefined : fromHex(value));

/**
 * Runs both sides of `vector` and asserts every ciphertext, every decrypted payload and
 * the handshake hash (when given).
 */
export async function replayNoiseVector(vector: NoiseVector, backend: NoiseBackend = PORTABLE_BACKEND): Promise<void> {
  const protocol = parseProtocolName(vector.protocol_name, backend);
  const side = (initiator: boolean) => {
    const p = initiator ? "init" : "resp";
    const v = vector as unknown as Record<string, string | string[] | undefined>;
    return HandshakeState.initialize({
      protocol,
      initiator,
      prologue: fromHex(v[`${p}_prologue`] as string),
      psks: ((v[`${p}_psks`] as string[] | undefined) ?? []).map((k) => fromHex(k)),
      staticKey: hex(v[`${p}_static`] as string | undefined),
      ephemeralKey: hex(v[`${p}_ephemeral`] as string | undefined),
      remoteStaticKey: hex(v[`${p}_remote_static`] as string | undefined),
    });
  };
  const initiator = side(true);
  const responder = side(false);
  const oneWay = initiator.protocol.pattern.oneWay;
  const handshakeLength = initiator.protocol.pattern.messages.length;
  let transports: [NoiseTransport, NoiseTransport] | undefined;
  const empty = new Uint8Array(0);
  for (const [i, message] of vector.messages.entries()) {
    const fromInitiator = oneWay || i % 2 === 0;
    const payload = fromHex(message.payload);
    let ciphertext: Uint8Array;
    let received: Uint8Array;
    if (i < handshakeLength) {
      const [writer, reader] = fromInitiator ? [initiator, responder] : [responder, initiator];
      ciphertext = await writer.writeMessage(payload);
      received = await reader.readMessage(ciphertext);
      if (i === handshakeLength - 1) {
        assert.ok(initiator.isComplete && responder.isComplete);
        if (vector.handshake_hash !== undefined) {
          assert.equal(toHex(initiator.handshakeHash), vector.handshake_hash);
          assert.equal(toHex(responder.handshakeHash), vector.handshake_hash);
        }
        transports = [await initiator.split(), await responder.split()];
      }
    } else {
      const [init, resp] = transports!;
      const [writer, reader] = fromInitiator ? [init, resp] : [resp, init];
      ciphertext = await writer.send.encryptWithAd(empty, payload);
      received = await reader.receive.decryptWithAd(empty, ciphertext);
    }
    assert.equal(toHex(ciphertext), message.ciphertext, `${vector.protocol_name} message ${i}`);
    assert.equal(toHex(received), message.payload, `${vector.protocol_name} payload ${i}`);
  }
}
