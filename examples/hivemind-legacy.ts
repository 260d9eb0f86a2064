/**
 * The legacy HiveMind flow (hubs before protocol v3): the password handshake derives a
 * 32-byte secret, then messages travel as JSON frames
 * `{"ciphertext": ..., "tag": ..., "nonce": ...}` (AES-GCM, 16-byte nonce, JSON-HEX)
 * or binary frames `nonce || ciphertext || tag`.
 * Run: npm run build && node --import tsx examples/hivemind-legacy.ts
 */
import { fingerprint } from "poorman-handshake";
import { LegacyTransport } from "poorman-handshake/hivemind";
import { PasswordHandShake } from "poorman-handshake/password";

const password = "correct horse battery staple";
const client = new PasswordHandShake(password);
const hub = new PasswordHandShake(password);

// 1. Negotiation in cleartext: the hub offers, the client answers with its hsub
//    envelope, the hub picks from the client's lists and answers with its own.
console.log('hub -> client: HANDSHAKE {"handshake": true, "password": true, "encodings": ["JSON-HEX"], "ciphers": ["AES-GCM"], ...}');
const clientShake = await client.generateHandshake();
console.log(`client -> hub: {"binarize": false, "encodings": ["JSON-HEX"], "ciphers": ["AES-GCM"], "envelope": "${clientShake}"}`);
const hubShake = await hub.generateHandshake();
console.log(`hub -> client: {"envelope": "${hubShake}", "encoding": "JSON-HEX", "cipher": "AES-GCM"}`);
const accepted = (await hub.receiveAndVerify(clientShake)) && (await client.receiveAndVerify(hubShake));
console.log(`secrets: client ${fingerprint(client.secret!)}  hub ${fingerprint(hub.secret!)}`);

// 2. Legacy frames under the shared secret (the key is imported once per transport).
const clientSide = await LegacyTransport.create(client.secret!, { cipher: "AES-GCM", encoding: "JSON-HEX" });
const hubSide = await LegacyTransport.create(hub.secret!, { cipher: "AES-GCM", encoding: "JSON-HEX" });
const message = JSON.stringify({ msg_type: "bus", payload: { type: "speak", data: { utterance: "hello" } } });
const frame = await clientSide.encryptJson(message);
console.log(`client -> hub: ${frame.slice(0, 90)}...`);
const frameDecrypted = new TextDecoder().decode(await hubSide.decryptJson(frame)) === message;

// 3. A tampered frame fails with one uniform error.
const tampered = JSON.parse(frame);
tampered.ciphertext = (tampered.ciphertext[0] === "0" ? "1" : "0") + tampered.ciphertext.slice(1);
let tamperedRefused = false;
try {
  await hubSide.decryptJson(tampered);
} catch (error) {
  tamperedRefused = (error as { code?: string }).code === "ERR_DECRYPTION_FAILED";
  console.log(`tampered frame: ${(error as Error).message}`);
}

console.log(`RESULT ${JSON.stringify({ accepted, sameSecret: fingerprint(client.secret!) === fingerprint(hub.secret!), frameDecrypted, tamperedRefused })}`);
