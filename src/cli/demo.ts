/**
 * `npm run demo`: two parties in one process run each handshake and print every step
 * and a fingerprint of the secret each side derived. Exits non-zero on disagreement.
 *
 * @module
 */
import { equalBytes } from "../bytes.js";
import { fingerprint } from "../fingerprint.js";
import { PasswordHandShake } from "../password/handshake.js";

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

/** Runs every demo; the process exit code says whether all of them agreed. */
async function main(): Promise<void> {
  const results = [await passwordDemo()];
  process.exitCode = results.every(Boolean) ? 0 : 1;
}

await main();
