/**
 * Password handshake ("poor PAKE"): both sides prove they know the password with an
 * hsub and derive the secret with PBKDF2; a wrong password is refused.
 * Run: npm run example examples/password.ts
 */
import { PasswordHandShake, fingerprint } from "poorman-handshake";
import { report } from "./report.js";

const alice = new PasswordHandShake("correct horse battery staple");
const bob = new PasswordHandShake("correct horse battery staple");
const eve = new PasswordHandShake("guess");

const [a, b, e] = await Promise.all([alice.generateHandshake(), bob.generateHandshake(), eve.generateHandshake()]);
console.log(`alice sends ${a}`);
const bobAccepts = await bob.receiveAndVerify(a);
const aliceAccepts = await alice.receiveAndVerify(b);
const eveRefused = !(await alice.verify(e));
console.log(`alice: ${fingerprint(alice.secret!)}  bob: ${fingerprint(bob.secret!)}  eve refused: ${eveRefused}`);
report({ accepted: bobAccepts && aliceAccepts, sameSecret: fingerprint(alice.secret!) === fingerprint(bob.secret!), wrongPasswordRefused: eveRefused });
