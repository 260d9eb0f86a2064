/** Password handshake, both sides, vs native PBKDF2-HMAC-SHA256 derivations of 100k iterations. */
import { pbkdf2 } from "node:crypto";
import { promisify } from "node:util";
import { PasswordHandShake } from "poorman-handshake";
import { type Row, timePerOp } from "../harness.js";

const nativePbkdf2 = promisify(pbkdf2);

/** Runs the password benchmarks. */
export async function passwordBench(): Promise<Row[]> {
  const salt = new Uint8Array(8).fill(7);
  const one = await timePerOp(() => nativePbkdf2("pw", salt, 100_000, 32, "sha256"), { budgetMs: 1500, maxIterations: 30 });
  const two = await timePerOp(() => Promise.all([nativePbkdf2("pw", salt, 100_000, 32, "sha256"), nativePbkdf2("pw", salt, 100_000, 32, "sha256")]), { budgetMs: 1500, maxIterations: 30 });
  const handshake = async () => {
    const a = new PasswordHandShake("pw"), b = new PasswordHandShake("pw");
    const [sa, sb] = await Promise.all([a.generateHandshake(), b.generateHandshake()]);
    const [oka, okb] = await Promise.all([a.receiveAndVerify(sb), b.receiveAndVerify(sa)]);
    if (!oka || !okb) throw new Error("password handshake failed in benchmark");
  };
  const ours = await timePerOp(handshake, { budgetMs: 2000, maxIterations: 30 });
  return [
    { group: "password", name: "handshake, both sides concurrently", ours, bound: one, boundName: "1 native PBKDF2 (100k)", target: 1.3 },
    { group: "password", name: "handshake, both sides concurrently", ours, bound: two, boundName: "2 native PBKDF2, concurrently" },
  ];
}
