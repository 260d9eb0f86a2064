/**
 * Fiber: a miner (FiberServer on 127.0.0.1) and a validator (FiberClient) in one process.
 * The validator handshakes (RSA-OAEP key exchange signed with its sr25519 hotkey) and
 * sends Fernet-encrypted JSON; a validator that is not on the allowlist gets 403.
 * Run: npm run example examples/fiber.ts
 */
import { FiberClient, FiberServer, Keypair, allowlist } from "poorman-handshake/fiber";
import { serve } from "poorman-handshake/node";
import { HttpStatusError } from "poorman-handshake";
import { report } from "./report.js";

const miner = await Keypair.generate();
const validator = await Keypair.fromMnemonic("old leopard transfer rib spatial phone calm indicate online fire caution review");
const stranger = await Keypair.generate();

const server = await FiberServer.create({ keypair: miner, authorize: allowlist([validator.ss58Address]) });
server.route("/echo", { handler: (payload) => payload });
const running = await serve(server.fetch, { host: "127.0.0.1", port: 0 });
console.log(`miner ${miner.ss58Address} listening on ${running.url}`);

const client = new FiberClient({ keypair: validator, requireSignedKey: true });
const { uuid } = await client.handshake(running.url, miner.ss58Address);
console.log(`validator ${validator.ss58Address} exchanged key ${uuid.slice(0, 16)}…`);
const answer = (await client.post(running.url, miner.ss58Address, "/echo", { hello: "miner" })) as { hello?: string };
console.log(`POST /echo answered ${JSON.stringify(answer)}`);

let strangerStatus = 0;
try {
  await new FiberClient({ keypair: stranger }).post(running.url, miner.ss58Address, "/echo", { hello: "miner" });
} catch (error) {
  if (!(error instanceof HttpStatusError)) throw error;
  strangerStatus = error.status;
  console.log(`a stranger's request: ${error.status} ${error.detail}`);
}
await running.close();
report({ echoed: answer.hello === "miner", strangerRefused: strangerStatus === 403 });
