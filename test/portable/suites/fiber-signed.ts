/**
 * Portable vector suite: Fiber 2's signed requests through the public API, against the
 * requests the real Python validator functions sent (`fiber/python_validator.json`,
 * replayed into `FiberServer.signedRoute` at the time of each nonce), and Python's float
 * repr and httpx's line splitting (`fiber/python_logic.json`).
 */
import type { PortableCase, PortableSuite } from "../harness.js";

const MINER_SEED = `0x${"11".repeat(32)}`;

export default {
  name: "fiber-signed",
  requires: ["./fiber"],
  vectors: { validator: "fiber/python_validator.json", logic: "fiber/python_logic.json" },
  cases({ api, vectors, kit }) {
    const { Keypair, FiberServer, bodyHash, signedRequestMessage, LineSplitter, pythonFloat } = api["./fiber"]!;
    const b64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const cases: PortableCase[] = [];
    for (const [i, v] of (vectors.validator.requests as any[]).entries()) {
      if (v.function === "make_non_streamed_get") continue;
      cases.push([
        `${v.function} #${i}: the signature covers nonce:miner:sha256(body) and our server accepts it once`,
        async () => {
          const miner = await Keypair.fromSeed(MINER_SEED);
          const body = b64(v.body_b64);
          kit.equal(v.headers["miner-hotkey"], miner.ss58Address);
          const message = await signedRequestMessage(v.headers.nonce, miner.ss58Address, body);
          kit.equal(message, `${v.headers.nonce}:${miner.ss58Address}:${await bodyHash(body)}`);
          kit.equal(await Keypair.verify(message, v.headers.signature, v.headers["validator-hotkey"]), true);
          const nowMs = Number(BigInt(v.headers.nonce.split("_")[0]) / 1_000_000n);
          const server = await FiberServer.create({ keypair: miner, clock: () => nowMs });
          server.signedRoute("/echo-signed", { handler: (b: unknown) => b });
          const send = async () => (await server.fetch(new Request("http://miner/echo-signed", { method: "POST", headers: v.headers, body }))).status;
          kit.equal(await send(), 200);
          kit.equal(await send(), 401, "replay");
        },
      ]);
    }
    cases.push([
      "pythonFloat is Python's repr(float)",
      () => {
        const view = new DataView(new ArrayBuffer(8));
        for (const { hex, repr } of vectors.logic.floats) {
          kit.bytes(hex).forEach((b: number, i: number) => view.setUint8(i, b));
          kit.equal(pythonFloat(view.getFloat64(0)), repr, hex);
        }
      },
    ]);
    cases.push([
      "LineSplitter yields httpx's aiter_lines lines for the same chunks",
      () => {
        for (const { chunks, lines } of vectors.logic.lines) {
          const splitter = new LineSplitter();
          const got = [...chunks.flatMap((c: string) => splitter.push(c)), ...splitter.flush()];
          kit.equal(JSON.stringify(got), JSON.stringify(lines), JSON.stringify(chunks));
        }
      },
    ]);
    return cases;
  },
} satisfies PortableSuite;
