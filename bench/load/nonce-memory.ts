/**
 * Memory of 1,000,000 unique Fiber nonces, in a fresh process (run with --expose-gc).
 * `store`: MemoryNonceStore at its default cap, then every nonce offered again (none may
 * be accepted) and one more unique nonce (must be refused: the store is full).
 * `set`: a plain Set of the same strings, the least a process can hold them in.
 * Prints one JSON line: { mb, replaysAccepted, overCapRefused, ms }.
 */
import { MemoryNonceStore, nonceRetentionMs } from "poorman-handshake/fiber";

const COUNT = 1_000_000;
const ALPHANUMERICS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const now = Date.now();
const prefix = `${BigInt(now) * 1_000_000n}_`;

/** The i-th nonce: Fiber's format (time in ns, `_`, 10 alphanumerics), unique per i. */
function nonce(i: number): string {
  let suffix = "";
  for (let k = 0; k < 10; k++, i = Math.floor(i / 62)) suffix += ALPHANUMERICS[i % 62];
  return prefix + suffix;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");
const rss = () => (gc(), gc(), process.memoryUsage().rss);
const before = rss();
const t = performance.now();
let replaysAccepted = 0, overCapRefused = false;
if (process.argv[2] === "set") {
  const set = new Set<string>();
  for (let i = 0; i < COUNT; i++) set.add(nonce(i));
  const mb = (rss() - before) / 1e6;
  if (set.size !== COUNT) throw new Error("nonces are not unique");
  console.log(JSON.stringify({ mb, replaysAccepted, overCapRefused, ms: performance.now() - t }));
} else {
  const store = new MemoryNonceStore({ clock: () => now });
  const ttl = nonceRetentionMs(nonce(0), now)!;
  for (let i = 0; i < COUNT; i++) if (!(await store.add(nonce(i), ttl))) throw new Error(`unique nonce ${i} refused`);
  const mb = (rss() - before) / 1e6;
  for (let i = 0; i < COUNT; i++) if (await store.add(nonce(i), ttl)) replaysAccepted++;
  try {
    await store.add(`${prefix}overTheCap`, ttl);
  } catch (error) {
    overCapRefused = (error as { code?: string }).code === "ERR_STORE_FULL" && store.size === COUNT;
  }
  console.log(JSON.stringify({ mb, replaysAccepted, overCapRefused, ms: performance.now() - t }));
}
