/**
 * Man in the middle against static (pre-distributed) keys: Alice and Bob already hold
 * each other's genuine public keys. Mallory can neither decrypt Alice's shake (it is
 * encrypted to Bob) nor sign a replacement as Alice. The attack is DETECTED.
 * Run: npm run example examples/mitm-static.ts
 */
import { DecryptionError, HandShake, HandshakeRejectedError } from "poorman-handshake";
import { report } from "./report.js";

const alice = await HandShake.create();
const bob = await HandShake.create();
const mallory = await HandShake.create();
await alice.loadPublic(bob.pubkey); // distributed beforehand, trusted
await bob.loadPublic(alice.pubkey);

const fromAlice = await alice.generateHandshake();
await bob.generateHandshake();

// Mallory tries to read Alice's shake: it is encrypted to Bob.
await mallory.generateHandshake(alice.pubkey);
const cannotRead = await mallory.receiveHandshake(fromAlice).then(
  () => false,
  (e: unknown) => e instanceof DecryptionError,
);
console.log(`Mallory decrypts Alice's shake: ${!cannotRead}`);

// Mallory sends Bob her own shake, pretending to be Alice.
const forged = await mallory.generateHandshake(bob.pubkey);
const rejected = await bob.receiveAndVerify(forged).then(
  () => false,
  (e: unknown) => e instanceof HandshakeRejectedError,
);
console.log(`Bob rejects Mallory's shake: ${rejected} (its signature does not verify with Alice's key)`);
report({ detected: rejected, malloryCannotDecrypt: cannotRead });
