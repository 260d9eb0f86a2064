/** Raw HiveMind clients over `ws` for attacks on a hub: a password guess, a HELLO then gone. */
import WebSocket from "ws";
import { HiveMindClient } from "../../src/hivemind/client.js";
import type { HiveMessage } from "../../src/hivemind/message.js";

const authorization = (accessKey: string, useragent = "ua") => encodeURIComponent(Buffer.from(`${useragent}:${accessKey}`).toString("base64"));

/**
 * One raw password guess: connects from `address`, sends an XXpsk2 m1 made with
 * `password`, and says whether the hub answered it with m2 (which lets the guesser test
 * the password offline) or closed first (and with which code).
 */
export async function guess(url: string, accessKey: string, password: string, address: string): Promise<"answered" | number> {
  const client = await HiveMindClient.create({ password });
  const raw = new WebSocket(`${url}/?authorization=${authorization(accessKey)}`, { localAddress: address });
  raw.on("error", () => undefined);
  return new Promise((resolve) => {
    const frames: Record<string, unknown>[] = [];
    raw.on("message", (data) => {
      frames.push(JSON.parse(data.toString()) as Record<string, unknown>);
      if (frames.length === 2) {
        client.start(frames[0]!.payload as Record<string, unknown>, frames[1]!.payload as Record<string, unknown>)
          .then((m1) => raw.send(JSON.stringify({ msg_type: "shake", payload: m1 })), () => raw.close());
      } else if (frames.length === 3) {
        resolve("answered");
        raw.close();
      }
    });
    raw.on("close", (code) => resolve(code));
  });
}

/**
 * Completes an XXpsk2 handshake, sends the encrypted HELLO and closes in the same turn:
 * the client a hub must not keep as a ghost. Resolves once the socket is closed.
 */
export async function helloThenGone(url: string, accessKey: string, password: string): Promise<void> {
  const client = await HiveMindClient.create({ password });
  const raw = new WebSocket(`${url}/?authorization=${authorization(accessKey)}`);
  raw.on("error", () => undefined);
  const frames: Record<string, unknown>[] = [];
  await new Promise<void>((resolve) => {
    raw.on("close", () => resolve());
    raw.on("message", (data) => {
      frames.push(JSON.parse(data.toString()) as Record<string, unknown>);
      const step = async () => {
        if (frames.length === 2) {
          const m1 = await client.start(frames[0]!.payload as Record<string, unknown>, frames[1]!.payload as Record<string, unknown>);
          raw.send(JSON.stringify({ msg_type: "shake", payload: m1 }));
        } else if (frames.length === 3) {
          const m3 = await client.receive(frames[2]!.payload as Record<string, unknown>);
          raw.send(JSON.stringify({ msg_type: "shake", payload: m3 }));
          const [hello] = await client.encrypt(0, JSON.stringify({ msg_type: "hello", payload: { session: { session_id: "ghost", site_id: "x" } } }));
          raw.send(hello!);
          raw.close();
        }
      };
      step().catch(() => raw.close());
    });
  });
}

/**
 * An utterance (with `marker` as its text) in every envelope a client might use to get
 * around `allowedTypes`: `shared_bus`, each wrapper around a `bus` and around the bare
 * OVOS message, nested wrappers, `hello` and a made-up type (not plain `bus`).
 */
export function smuggledUtterances(sessionId: string, marker = "smuggled"): HiveMessage[] {
  const utterance = { type: "recognizer_loop:utterance", data: { utterances: [marker] }, context: { session: { session_id: sessionId } } };
  const wrappers = ["propagate", "broadcast", "escalate", "intercom", "cascade", "query"];
  return [
    { msg_type: "shared_bus", payload: utterance },
    ...wrappers.map((msg_type) => ({ msg_type, payload: { msg_type: "bus", payload: utterance } })),
    ...wrappers.map((msg_type) => ({ msg_type, payload: utterance })),
    { msg_type: "propagate", payload: { msg_type: "broadcast", payload: { msg_type: "shared_bus", payload: utterance } } },
    { msg_type: "hello", payload: utterance },
    { msg_type: "made-up", payload: utterance },
  ];
}
