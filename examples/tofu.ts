/**
 * Trust on first use: the client pins the hub's public-key fingerprint the first time
 * it connects (in a JSON file) and checks it on every later connection.
 * Run: npm run example examples/tofu.ts
 */
import { join } from "node:path";
import { HandShake, fingerprint } from "poorman-handshake";
import { JsonFilePinStore } from "poorman-handshake/node";
import { TrustOnFirstUse } from "poorman-handshake/rsa";
import { report, scratchFolder } from "./report.js";

const folder = scratchFolder();
const hub = await HandShake.create({ path: join(folder, "hub.pem") });
const pins = new TrustOnFirstUse(new JsonFilePinStore(join(folder, "client-pins.json")));

async function connect(): Promise<{ firstUse: boolean; same: boolean }> {
  const client = await HandShake.create();
  // The hub sends its public key; the client checks it against the pin before using it.
  const { fingerprint: seen, firstUse } = await pins.check("hub.example", hub.pubkey);
  console.log(`hub key ${seen}: ${firstUse ? "pinned (first use)" : "matches the pin"}`);
  await client.loadPublic(hub.pubkey);
  await hub.loadPublic(client.pubkey);
  const [toHub, toClient] = await Promise.all([client.generateHandshake(), hub.generateHandshake()]);
  await Promise.all([hub.receiveAndVerify(toHub), client.receiveAndVerify(toClient)]);
  return { firstUse, same: fingerprint(client.secret!) === fingerprint(hub.secret!) };
}

const first = await connect();
const second = await connect();
report({ firstConnectionPinned: first.firstUse, secondConnectionChecked: !second.firstUse, sameSecret: first.same && second.same });
