/**
 * Static (pre-distributed) keys: each side keeps its private key in a file (PKCS#1
 * PEM, as Python's HandShake(path) writes), and the peers' public keys were exchanged
 * beforehand through a trusted channel. Restarting reloads the same key.
 * Run: npm run example examples/static.ts
 */
import { join } from "node:path";
import { HandShake, fingerprint } from "poorman-handshake";
import { exportRSAKey, loadRSAKey } from "poorman-handshake/node";
import { report, scratchFolder } from "./report.js";

const folder = scratchFolder();
const alice = await HandShake.create({ path: join(folder, "alice/private.pem") });
const bob = await HandShake.create({ path: join(folder, "bob/private.pem") });

// Distribute public keys once (think: copied by an administrator).
await exportRSAKey(alice.pubkey, join(folder, "bob/trusted/alice.pub"));
await exportRSAKey(bob.pubkey, join(folder, "alice/trusted/bob.pub"));

// Later, after a restart: same key files, trusted public keys from disk.
const alice2 = await HandShake.create({ path: join(folder, "alice/private.pem") });
const bob2 = await HandShake.create({ path: join(folder, "bob/private.pem") });
console.log(`alice's key reloaded: ${alice2.pubkey === alice.pubkey}`);
await alice2.loadPublic(await loadRSAKey(join(folder, "alice/trusted/bob.pub")));
await bob2.loadPublic(await loadRSAKey(join(folder, "bob/trusted/alice.pub")));

const [toBob, toAlice] = await Promise.all([alice2.generateHandshake(), bob2.generateHandshake()]);
await Promise.all([bob2.receiveAndVerify(toBob), alice2.receiveAndVerify(toAlice)]);
console.log(`alice: ${fingerprint(alice2.secret!)}  bob: ${fingerprint(bob2.secret!)}`);
report({ keysReloaded: alice2.pubkey === alice.pubkey && bob2.pubkey === bob.pubkey, sameSecret: fingerprint(alice2.secret!) === fingerprint(bob2.secret!) });
