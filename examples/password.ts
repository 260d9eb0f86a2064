/**
 * Password handshake ("poor PAKE"): both sides prove they know the password with an
 * hsub and derive the secret with PBKDF2; a wrong password is refused, and so is a
 * guessable one (the hsub is an offline-crackable image of the password).
 * Run: npm run example examples/password.ts
 */
import { PasswordHandShake, WeakPasswordError, fingerprint, passwordBits } from "poorman-handshake";
import { report } from "./report.js";

const password = "correct horse battery staple";
console.log(`"${password}": ~${Math.round(await passwordBits(password))} bits of guess resistance (40 required)`);
const alice = await PasswordHandShake.create(password);
const bob = await PasswordHandShake.create(password);

// A guessable password is refused before any hsub exists ...
const weakRefused = await PasswordHandShake.create("guess").then(() => false, (e: unknown) => e instanceof WeakPasswordError);
console.log(`"guess" refused as too guessable: ${weakRefused}`);
// ... unless the check is knowingly switched off (here: to show a wrong password failing).
const eve = new PasswordHandShake("guess", { minBits: 0 });

const [a, b, e] = await Promise.all([alice.generateHandshake(), bob.generateHandshake(), eve.generateHandshake()]);
console.log(`alice sends ${a}`);
const bobAccepts = await bob.receiveAndVerify(a);
const aliceAccepts = await alice.receiveAndVerify(b);
const eveRefused = !(await alice.verify(e));
console.log(`alice: ${fingerprint(alice.secret!)}  bob: ${fingerprint(bob.secret!)}  eve refused: ${eveRefused}`);
report({ accepted: bobAccepts && aliceAccepts, sameSecret: fingerprint(alice.secret!) === fingerprint(bob.secret!), wrongPasswordRefused: eveRefused, weakPasswordRefused: weakRefused });
