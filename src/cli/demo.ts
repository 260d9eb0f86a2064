/**
 * `npm run demo`: two parties in one process run each handshake and print every step
 * and a fingerprint of the secret each side derived. Exits non-zero on disagreement.
 *
 * @module
 */
import { equalBytes } from "../bytes.js";
import { fingerprint } from "../fingerprint.js";
import { PasswordHandShake } from "../password/handshake.js";
import { HandShake } from "../rsa/handshake.js";

/** One party's line in the demo output. */
function step(who: string, what: string, started: number): void {
  console.log(`  ${who.padEnd(6)} ${what}  (${(performance.now() - started).toFixed(1)} ms)`);
}

/** Runs the password handshake between Alice and Bob; returns whether they agree. */
export async function passwordDemo(password = "Super Secret Pass Phrase"): Promise<boolean> {
  console.log("password handshake (hsub envelope, then PBKDF2-HMAC-SHA256, 100000 iterations)");
  const t = performance.now();
  const alice = new PasswordHandShake(password);
  const bob = new PasswordHandShake(password);
  const toBob = await alice.generateHandshake();
  step("alice", `sends hsub ${toBob}`, t);
  const toAlice = await bob.generateHandshake();
  step("bob", `sends hsub ${toAlice}`, t);
  const [aliceOk, bobOk] = await Promise.all([alice.receiveAndVerify(toAlice), bob.receiveAndVerify(toBob)]);
  step("alice", `verified bob's hsub: ${aliceOk}`, t);
  step("bob", `verified alice's hsub: ${bobOk}`, t);
  if (!aliceOk || !bobOk || !alice.secret || !bob.secret) return false;
  step("alice", `secret fingerprint ${fingerprint(alice.secret)}`, t);
  step("bob", `secret fingerprint ${fingerprint(bob.secret)}`, t);
  const agreed = equalBytes(alice.secret, bob.secret);
  console.log(agreed ? "  => agreed on a 32-byte secret" : "  => SECRETS DIFFER");
  return agreed;
}

/** Runs the mutual RSA handshake between Alice and Bob; returns whether they agree. */
export async function rsaDemo(): Promise<boolean> {
  console.log("RSA handshake (RSA-2048, OAEP-SHA1 of 32 random bytes, PSS-SHA256 signature; secret = XOR of both halves)");
  const t = performance.now();
  const [alice, bob] = await Promise.all([HandShake.create(), HandShake.create()]);
  await Promise.all([alice.loadPublic(bob.pubkey), bob.loadPublic(alice.pubkey)]);
  step("both", "generated RSA-2048 keys and exchanged public keys", t);
  const [toBob, toAlice] = await Promise.all([alice.generateHandshake(), bob.generateHandshake()]);
  step("alice", `sends shake ${toBob.slice(0, 24)}... (${toBob.length} hex digits)`, t);
  step("bob", `sends shake ${toAlice.slice(0, 24)}... (${toAlice.length} hex digits)`, t);
  await Promise.all([alice.receiveAndVerify(toAlice), bob.receiveAndVerify(toBob)]);
  step("both", "verified the peer's signature and decrypted its half", t);
  step("alice", `secret fingerprint ${fingerprint(alice.secret!)}`, t);
  step("bob", `secret fingerprint ${fingerprint(bob.secret!)}`, t);
  const agreed = equalBytes(alice.secret!, bob.secret!);
  console.log(agreed ? "  => agreed on a 32-byte secret" : "  => SECRETS DIFFER");
  return agreed;
}

/** Runs every demo; the process exit code says whether all of them agreed. */
async function main(): Promise<void> {
  const results = [await passwordDemo(), await rsaDemo()];
  process.exitCode = results.every(Boolean) ? 0 : 1;
}

await main();
