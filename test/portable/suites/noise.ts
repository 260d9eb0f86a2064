/**
 * Portable vector suite: the Noise Protocol Framework against the cacophony and snow
 * vectors (`noise/*.txt`, JSON), through the public `poorman-handshake/noise` API with
 * the runtime's default backend (node:crypto under Node, @noble + Web Crypto elsewhere).
 *
 * A sample keeps every runtime fast: every 25519/SHA256 vector of cacophony (all
 * patterns, both ciphers) and snow's multi-PSK and BLAKE2/SHA512 forms of a few patterns.
 * The Node suite (test/noise-vectors.test.ts) replays the larger set.
 */
import type { Kit, PackageApi, PortableCase, PortableSuite } from "../harness.js";

interface NoiseVector {
  protocol_name: string;
  handshake_hash?: string;
  messages: { payload: string; ciphertext: string }[];
  [field: string]: unknown;
}

const SNOW_PATTERNS = new Set(["XXpsk0+psk2", "KKpsk0+psk2", "XX", "IK"]);

/** Whether a vector is in the portable sample. */
function sampled(file: "cacophony" | "snow", name: string): boolean {
  const [, pattern, dh, , hash] = name.split("_");
  if (dh !== "25519") return false;
  return file === "cacophony" ? hash === "SHA256" : SNOW_PATTERNS.has(pattern!);
}

/** Runs both sides of `vector` and checks every ciphertext, payload and the handshake hash. */
async function replay(noise: PackageApi[string], kit: Kit, vector: NoiseVector): Promise<void> {
  const { HandshakeState, parseProtocolName } = noise;
  const protocol = parseProtocolName(vector.protocol_name);
  const opt = (field: string) => (typeof vector[field] === "string" ? kit.bytes(vector[field] as string) : undefined);
  const side = (initiator: boolean) => {
    const p = initiator ? "init" : "resp";
    return HandshakeState.initialize({
      protocol,
      initiator,
      prologue: kit.bytes(vector[`${p}_prologue`] as string),
      psks: ((vector[`${p}_psks`] as string[] | undefined) ?? []).map(kit.bytes),
      staticKey: opt(`${p}_static`),
      ephemeralKey: opt(`${p}_ephemeral`),
      remoteStaticKey: opt(`${p}_remote_static`),
    });
  };
  const initiator = side(true), responder = side(false);
  const { oneWay, messages } = initiator.protocol.pattern;
  let transports: [any, any] | undefined;
  for (const [i, message] of vector.messages.entries()) {
    const fromInitiator = oneWay || i % 2 === 0;
    const payload = kit.bytes(message.payload);
    let ciphertext: Uint8Array, received: Uint8Array;
    if (i < messages.length) {
      const [writer, reader] = fromInitiator ? [initiator, responder] : [responder, initiator];
      ciphertext = await writer.writeMessage(payload);
      received = await reader.readMessage(ciphertext);
      if (i === messages.length - 1) {
        kit.ok(initiator.isComplete && responder.isComplete, "handshake complete");
        if (vector.handshake_hash !== undefined) {
          kit.equal(kit.hex(initiator.handshakeHash), vector.handshake_hash, "initiator handshake hash");
          kit.equal(kit.hex(responder.handshakeHash), vector.handshake_hash, "responder handshake hash");
        }
        transports = [await initiator.split(), await responder.split()];
      }
    } else {
      const [writer, reader] = fromInitiator ? transports! : [transports![1], transports![0]];
      ciphertext = await writer.send.encryptWithAd(new Uint8Array(0), payload);
      received = await reader.receive.decryptWithAd(new Uint8Array(0), ciphertext);
    }
    kit.equal(kit.hex(ciphertext), message.ciphertext, `message ${i} ciphertext`);
    kit.equal(kit.hex(received), message.payload, `message ${i} payload`);
  }
}

export default {
  name: "noise",
  requires: ["./noise"],
  vectors: { cacophony: "noise/cacophony.txt", snow: "noise/snow.txt" },
  cases({ api, vectors, kit }) {
    const cases: PortableCase[] = [];
    for (const file of ["cacophony", "snow"] as const) {
      for (const vector of (vectors[file].vectors as NoiseVector[]).filter((v) => sampled(file, v.protocol_name))) {
        cases.push([`${file}: ${vector.protocol_name}`, () => replay(api["./noise"]!, kit, vector)]);
      }
    }
    return cases;
  },
} satisfies PortableSuite;
