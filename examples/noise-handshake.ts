/**
 * Noise handshake (poorman_handshake's `NoiseHandShake`, upstream `noise_handshake.py`):
 * the recommended path. The password enters as the Noise PSK (argon2id), so unlike the
 * hsub it gives an observer nothing to crack offline; session keys come from ephemeral
 * X25519 (forward secrecy); nobody without the password completes the handshake.
 * XXpsk2: neither side needs the other's static key in advance, each learns it (TOFU).
 * Run: npm run example examples/noise-handshake.ts
 */
import { NoiseHandShake } from "poorman-handshake/noise";
import { fingerprint } from "poorman-handshake";
import { report } from "./report.js";

const password = "correct horse battery staple";
const nodeId = "server-01"; // the server's node id salts the PSK: two servers, two keys

const alice = await NoiseHandShake.create({ initiator: true, password, nodeId }); // the connecting node
const bob = await NoiseHandShake.create({ initiator: false, password, nodeId }); // the server

// Three messages over any untrusted channel (no TLS needed):
const m1 = await alice.writeMessage(); // -> e
await bob.readMessage(m1);
const m2 = await bob.writeMessage(); // <- e, ee, s, es, psk
await alice.readMessage(m2);
const m3 = await alice.writeMessage(); // -> s, se
await bob.readMessage(m3);
console.log(`handshake: ${m1.length} + ${m2.length} + ${m3.length} bytes, finished: ${alice.handshakeFinished && bob.handshakeFinished}`);

// Trust on first use: each side now holds the other's static key and should pin it.
const learned = alice.remotePubkey!.every((x, i) => x === bob.pubkeyBytes[i]) && bob.remotePubkey!.every((x, i) => x === alice.pubkeyBytes[i]);
console.log(`alice pins bob's key ${bob.pubkey.slice(0, 16)}..., bob pins alice's ${alice.pubkey.slice(0, 16)}...`);
// The handshake hash fingerprints the whole transcript (channel binding).
const sameHash = fingerprint(alice.handshakeHash!) === fingerprint(bob.handshakeHash!);
console.log(`handshake hash ${fingerprint(alice.handshakeHash!)} on both sides: ${sameHash}`);

// Transport messages carry counter nonces: a replayed or reordered one fails.
const ciphertext = await alice.encrypt(new TextEncoder().encode("hello over the mesh"));
const text = new TextDecoder().decode(await bob.decrypt(ciphertext));
console.log(`bob decrypts: ${text}`);
const replayRefused = await bob.decrypt(ciphertext).then(() => false, () => true);
const reply = new TextDecoder().decode(await alice.decrypt(await bob.encrypt(new TextEncoder().encode("ack"))));
console.log(`alice decrypts: ${reply}; a replay is refused: ${replayRefused}`);

// Someone with another password cannot finish the handshake.
const mallory = await NoiseHandShake.create({ initiator: false, password: "a different password", nodeId });
const carol = await NoiseHandShake.create({ initiator: true, password, nodeId });
await mallory.readMessage(await carol.writeMessage());
const wrongPasswordRefused = await carol.readMessage(await mallory.writeMessage()).then(() => false, () => true);
console.log(`wrong password refused: ${wrongPasswordRefused}`);
report({ finished: alice.handshakeFinished && bob.handshakeFinished, keysLearned: learned, sameHash, decrypted: text === "hello over the mesh" && reply === "ack", replayRefused, wrongPasswordRefused });
