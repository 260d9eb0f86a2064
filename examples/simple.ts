/**
 * Simple mutual RSA handshake with fresh keys: each side encrypts 32 random bytes to
 * the other and signs the ciphertext; the secret is the XOR of both halves.
 * Run: npm run example examples/simple.ts
 */
import { HandShake, fingerprint } from "poorman-handshake";
import { report } from "./report.js";

const alice = await HandShake.create();
const bob = await HandShake.create();

// 1. Exchange public keys (over an insecure channel: see mitm-simple.ts for the risk).
await alice.loadPublic(bob.pubkey);
await bob.loadPublic(alice.pubkey);

// 2. Exchange shakes: hex(signature || ciphertext).
const toBob = await alice.generateHandshake();
const toAlice = await bob.generateHandshake();
console.log(`alice -> bob: ${toBob.slice(0, 32)}... (${toBob.length} hex digits)`);

// 3. Verify the signature, decrypt, combine.
await bob.receiveAndVerify(toBob);
await alice.receiveAndVerify(toAlice);

console.log(`alice's secret: ${fingerprint(alice.secret!)}`);
console.log(`bob's secret:   ${fingerprint(bob.secret!)}`);
report({ sameSecret: fingerprint(alice.secret!) === fingerprint(bob.secret!) });
