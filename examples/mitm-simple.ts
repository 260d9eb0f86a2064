/**
 * Man in the middle against the simple handshake: public keys travel over the same
 * insecure channel, so Mallory swaps them for her own and runs one handshake with each
 * side. Nothing fails, yet Mallory knows both secrets. The attack SUCCEEDS: without
 * pinned or pre-distributed keys, the RSA handshake authenticates nobody.
 * Run: npm run example examples/mitm-simple.ts
 */
import { HandShake, fingerprint } from "poorman-handshake";
import { report } from "./report.js";

const alice = await HandShake.create();
const bob = await HandShake.create();
const malloryAsBob = await HandShake.create(); // what Alice talks to
const malloryAsAlice = await HandShake.create(); // what Bob talks to

// Each side receives "the peer's public key" -- actually Mallory's.
await alice.loadPublic(malloryAsBob.pubkey);
await malloryAsBob.loadPublic(alice.pubkey);
await bob.loadPublic(malloryAsAlice.pubkey);
await malloryAsAlice.loadPublic(bob.pubkey);

const [fromAlice, fromBob, toAlice, toBob] = await Promise.all([
  alice.generateHandshake(),
  bob.generateHandshake(),
  malloryAsBob.generateHandshake(),
  malloryAsAlice.generateHandshake(),
]);
await Promise.all([
  malloryAsBob.receiveAndVerify(fromAlice),
  malloryAsAlice.receiveAndVerify(fromBob),
  alice.receiveAndVerify(toAlice),
  bob.receiveAndVerify(toBob),
]);

const fp = (s: Uint8Array | undefined) => fingerprint(s!);
console.log(`alice: ${fp(alice.secret)}  mallory(alice side): ${fp(malloryAsBob.secret)}`);
console.log(`bob:   ${fp(bob.secret)}  mallory(bob side):   ${fp(malloryAsAlice.secret)}`);
const attackSucceeded = fp(alice.secret) === fp(malloryAsBob.secret) && fp(bob.secret) === fp(malloryAsAlice.secret);
console.log(attackSucceeded ? "Mallory reads and rewrites everything: the attack succeeded." : "The attack failed.");
report({ attackSucceeded, aliceAndBobDisagree: fp(alice.secret) !== fp(bob.secret) });
