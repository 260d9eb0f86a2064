/**
 * Half handshake: only the sender generates; the receiver's secret is the sender's
 * 32 random bytes. This is what HiveMind hubs do on the RSA path.
 * Run: npm run example examples/half.ts
 */
import { HalfHandShake, fingerprint } from "poorman-handshake";
import { report } from "./report.js";

const hub = await HalfHandShake.create();
const client = await HalfHandShake.create();

// The client sends its public key; the hub answers with one shake.
const shake = await hub.generateHandshake(client.pubkey);
await client.receiveAndVerify(shake, hub.pubkey);

console.log(`hub's secret:    ${fingerprint(hub.secret!)}`);
console.log(`client's secret: ${fingerprint(client.secret!)}`);
report({ sameSecret: fingerprint(hub.secret!) === fingerprint(client.secret!) });
