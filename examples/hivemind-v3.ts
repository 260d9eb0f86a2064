/**
 * HiveMind protocol v3 in one process: a client and a hub run the Noise handshake keyed
 * by the password (XXpsk2 on first contact), pin each other's static keys, reconnect
 * with KKpsk0, and exchange transport frames (one of them chunked). A client with the
 * wrong password is refused.
 * Run: npm run build && node --import tsx examples/hivemind-v3.ts
 */
import { fingerprint } from "poorman-handshake";
import { HiveMindClient, HiveMindHub } from "poorman-handshake/hivemind";

const password = "correct horse battery staple";
const nodeId = "tcp4:0.0.0.0:5678";
const hubKey = crypto.getRandomValues(new Uint8Array(32));
const clientKey = crypto.getRandomValues(new Uint8Array(32));

/** One connection: HELLO and HANDSHAKE from the hub, then the Noise messages. */
async function connect(hub: HiveMindHub, client: HiveMindClient) {
  // On a websocket each payload is a JSON text frame; the objects travel as text here too.
  const first = await client.start(JSON.stringify(hub.hello), JSON.stringify(hub.handshake));
  console.log(`client -> hub: ${first.noise.pattern} ${first.noise.suite}, m1 ${first.noise.msg.length / 2} bytes`);
  const second = await hub.receive(JSON.stringify(first));
  const third = await client.receive(JSON.stringify(second));
  if (third !== null) await hub.receive(JSON.stringify(third));
  console.log(`  done: ${hub.done && client.done}, handshake hash ${fingerprint(client.handshakeHash!)}`);
  return first.noise.pattern;
}

// First contact: nobody has pins, so XXpsk2 (the static keys travel encrypted).
const hub1 = await HiveMindHub.create({ password, nodeId, staticKey: hubKey }); // derives the argon2id PSK once
const client1 = await HiveMindClient.create({ password, staticKey: clientKey });
const firstPattern = await connect(hub1, client1);

// Both sides pin what they learned (on disk: X25519PinStore from poorman-handshake/node).
const hubPin = client1.remoteStaticKey!;
const clientPin = hub1.remoteStaticKey!;
console.log(`client pins hub ${fingerprint(hubPin)}, hub pins client ${fingerprint(clientPin)}`);

// Reconnect: both pinned, so KKpsk0 (two messages). The PSK comes from the cache.
const hub2 = await HiveMindHub.create({ password, nodeId, staticKey: hubKey, pinnedClients: [clientPin] });
const client2 = await HiveMindClient.create({ password, staticKey: clientKey, pinnedHubKey: hubPin });
const secondPattern = await connect(hub2, client2);

// Transport: marker 0 is a JSON HiveMessage; bodies over 65000 bytes are chunked.
const hello = JSON.stringify({ msg_type: "hello", payload: { pubkey: "", session: {}, site_id: "home" } });
const big = JSON.stringify({ msg_type: "bus", payload: { data: "x".repeat(150_000) } });
let delivered = 0;
for (const [from, to, body] of [[client2, hub2, hello], [hub2, client2, big]] as const) {
  const frames = await from.encrypt(0, body);
  for (const frame of frames) {
    const message = await to.decrypt(frame);
    if (message !== undefined && new TextDecoder().decode(message.body) === body) delivered++;
  }
  console.log(`${from === client2 ? "client -> hub" : "hub -> client"}: ${body.length} bytes in ${frames.length} frame(s)`);
}

// A client with the wrong password cannot complete the handshake.
const hub3 = await HiveMindHub.create({ password, nodeId });
const eve = await HiveMindClient.create({ password: "guess" });
let wrongPasswordRefused = false;
try {
  await eve.receive(await hub3.receive(await eve.start(hub3.hello, hub3.handshake)));
} catch (error) {
  wrongPasswordRefused = (error as { code?: string }).code === "ERR_HANDSHAKE_REJECTED";
  console.log(`eve: ${(error as Error).message}`);
}

console.log(`RESULT ${JSON.stringify({ firstPattern, secondPattern, messagesDelivered: delivered === 2, wrongPasswordRefused })}`);
