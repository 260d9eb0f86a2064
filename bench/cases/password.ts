/** Password handshake, both sides, vs native PBKDF2-HMAC-SHA256 derivations of 100k iterations. */
import { pbkdf2 } from "node:crypto";
import { promisify } from "node:util";
import { PasswordHandShake } from "poorman-handshake";
import { type Row, timeInterleaved } from "../harness.js";

const nativePbkdf2 = promisify(pbkdf2);

/** Runs the password benchmarks. */
export async function passwordBench(): Promise<Row[]> {
  const salt = new Uint8Array(8).fill(7);
  const derive = () => nativePbkdf2("pw", salt, 100_000, 32, "sha256");
  const handshake = async () => {
    const a = new PasswordHandShake("pw", { minBits: 0 }), b = new PasswordHandShake("pw", { minBits: 0 });
    const [sa, sb] = await Promise.all([a.generateHandshake(), b.generateHandshake()]);
    const [oka, okb] = await Promise.all([a.receiveAndVerify(sb), b.receiveAndVerify(sa)]);
    if (!oka || !okb) throw new Error("password handshake failed in benchmark");
  };
  const t = await timeInterleaved({ ours: handshake, one: derive, two: () => Promise.all([derive(), derive()]) }, { budgetMs: 4000, maxIterations: 30 });
  return [
    { group: "password", name: "handshake, both sides concurrently", ours: t.ours, bound: t.one, boundName: "1 native PBKDF2 (100k)", target: 1.3 },
    { group: "password", name: "handshake, both sides concurrently", ours: t.ours, bound: t.two, boundName: "2 native PBKDF2, concurrently" },
  ];
}
