/**
 * Man in the middle against trust on first use: the first, genuine connection pinned
 * the hub's key. Later Mallory answers in the hub's place with her own key; the pin
 * does not match. The attack is DETECTED (it would only work on the very first contact).
 * Run: npm run example examples/mitm-tofu.ts
 */
import { HandShake, KeyMismatchError } from "poorman-handshake";
import { MemoryPinStore, TrustOnFirstUse } from "poorman-handshake/rsa";
import { report } from "./report.js";

const hub = await HandShake.create();
const mallory = await HandShake.create();
const pins = new TrustOnFirstUse(new MemoryPinStore());

const first = await pins.check("hub.example", hub.pubkey);
console.log(`first contact: pinned ${first.fingerprint}`);

// Second contact: Mallory intercepts and presents her key as the hub's.
const detected = await pins.check("hub.example", mallory.pubkey).then(
  () => false,
  (e: unknown) => e instanceof KeyMismatchError,
);
console.log(`Mallory's key refused: ${detected}`);
report({ firstContactPinned: first.firstUse, detected });
