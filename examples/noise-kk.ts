/**
 * Noise KKpsk0 (upstream `noise_kk.py`): both peers already hold each other's static
 * public key (pinned after an XXpsk2 first contact, or provisioned out of band). KK
 * authenticates both keys from the first message and takes two messages; the password
 * is still the PSK. Static keys live in key files (hex, mode 0600), as in Python.
 * Run: npm run example examples/noise-kk.ts
 */
import { join } from "node:path";
import { NoiseHandShake, KK_PSK0 } from "poorman-handshake/noise";
import { report, scratchFolder } from "./report.js";

const password = "correct horse battery staple";
const nodeId = "server-01";
const folder = scratchFolder();
const aliceKey = join(folder, "alice_noise.key");
const bobKey = join(folder, "bob_noise.key");

// First learn each other's static public keys (any earlier channel, or pins); the key
// files are created on first use and reloaded afterwards.
const alicePub = (await NoiseHandShake.create({ initiator: true, password, nodeId, path: aliceKey })).pubkey;
const bobPub = (await NoiseHandShake.create({ initiator: false, password, nodeId, path: bobKey })).pubkey;

// Giving remotePubkey selects KKpsk0.
const alice = await NoiseHandShake.create({ initiator: true, password, nodeId, path: aliceKey, remotePubkey: bobPub });
const bob = await NoiseHandShake.create({ initiator: false, password, nodeId, path: bobKey, remotePubkey: alicePub });
console.log(`pattern ${alice.pattern}; alice's key reloaded from its file: ${alice.pubkey === alicePub}`);

await bob.readMessage(await alice.writeMessage()); // -> psk, e, es, ss
await alice.readMessage(await bob.writeMessage()); // <- e, ee, se
console.log(`KK handshake finished: ${alice.handshakeFinished && bob.handshakeFinished} (mutual static-key authentication from message one)`);
const text = new TextDecoder().decode(await bob.decrypt(await alice.encrypt(new TextEncoder().encode("hello again"))));
console.log(`bob decrypts: ${text}`);

// An impostor with the password but another static key is refused at the first message.
const impostor = await NoiseHandShake.create({ initiator: true, password, nodeId, remotePubkey: bobPub });
const bob2 = await NoiseHandShake.create({ initiator: false, password, nodeId, path: bobKey, remotePubkey: alicePub });
const impostorRefused = await bob2.readMessage(await impostor.writeMessage()).then(() => false, () => true);
console.log(`a peer with another static key refused: ${impostorRefused}`);
report({ pattern: alice.pattern === KK_PSK0, keysReloaded: alice.pubkey === alicePub, finished: alice.handshakeFinished && bob.handshakeFinished, decrypted: text === "hello again", impostorRefused });
