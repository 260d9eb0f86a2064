/**
 * Fiber's RSA key is unauthenticated in the Python protocol: Mallory, in the middle,
 * serves her own key, learns the symmetric key and reads every request. Our miner signs
 * its key with its hotkey; a client with `requireSignedKey` (or any client, when the
 * signature is present but the key was swapped) detects her.
 * Run: npm run example examples/fiber-mitm.ts
 */
import { Fernet, FiberClient, FiberServer, Keypair } from "poorman-handshake/fiber";
import { decryptRSA, encryptRSA, exportPublicKeyPem, generateRSAKeyPair } from "poorman-handshake/rsa";
import { serve } from "poorman-handshake/node";
import { HandshakeRejectedError } from "poorman-handshake";
import { report } from "./report.js";

const miner = await Keypair.generate();
const validator = await Keypair.generate();
const server = await FiberServer.create({ keypair: miner });
server.route("/echo", { handler: (payload) => payload });
const real = await serve(server.fetch);

// Mallory's proxy: swaps the public key, unwraps the symmetric key, forwards everything.
const mallory = await generateRSAKeyPair();
const malloryPem = await exportPublicKeyPem(mallory.publicKey);
const stolen: string[] = [];
let fernet: Fernet | undefined;
let keepSignature = false;
const proxy = await serve(async (request) => {
  const path = new URL(request.url).pathname;
  const headers = new Headers(request.headers);
  headers.delete("content-length");
  if (path === "/public-encryption-key") {
    const body = await (await fetch(real.url + path)).json();
    // Without the signature fields the response looks like a Python miner's.
    const forged = keepSignature ? { ...body, public_key: malloryPem } : { public_key: malloryPem, timestamp: body.timestamp };
    return Response.json(forged);
  }
  let body = await request.text();
  if (path === "/exchange-symmetric-key") {
    const key = await decryptRSA(mallory.privateKey, Uint8Array.from(atob(JSON.parse(body).encrypted_symmetric_key), (c) => c.charCodeAt(0)), { hash: "SHA-256" });
    fernet = await Fernet.create(key);
    const rewrapped = await encryptRSA(server.publicKeyPem, key, { hash: "SHA-256" });
    body = JSON.stringify({ encrypted_symmetric_key: btoa(String.fromCharCode(...rewrapped)) });
  } else if (fernet !== undefined) {
    stolen.push(new TextDecoder().decode(await fernet.decrypt(body)));
  }
  return fetch(real.url + path, { method: request.method, headers, body });
});

// 1. A client that trusts whatever key it is served (as Python Fiber's).
const trusting = new FiberClient({ keypair: validator });
await trusting.post(proxy.url, miner.ss58Address, "/echo", { secret: "launch codes" });
console.log(`through Mallory, a trusting client works and Mallory reads: ${stolen[0]}`);

// 2. Our client requiring the miner's signature over its key.
let unsignedRefused = false;
try {
  await new FiberClient({ keypair: validator, requireSignedKey: true }).handshake(proxy.url, miner.ss58Address);
} catch (error) {
  unsignedRefused = error instanceof HandshakeRejectedError;
  console.log(`requireSignedKey: ${(error as Error).message}`);
}

// 3. Mallory keeps the miner's signature but swaps the key: any of our clients refuses.
let swapRefused = false;
keepSignature = true;
try {
  await new FiberClient({ keypair: validator }).handshake(proxy.url, miner.ss58Address);
} catch (error) {
  swapRefused = error instanceof HandshakeRejectedError;
  console.log(`swapped key under the miner's signature: ${(error as Error).message}`);
}
await Promise.all([proxy.close(), real.close()]);
report({ attackOnTrustingClient: stolen[0]?.includes("launch codes") === true, unsignedRefused, swapRefused });
