/**
 * HiveMind v3 / Noise on Node (the `node` export condition: the libsodium backend when
 * the optional sodium-native addon loads, node:crypto otherwise; the row notes say which):
 * the argon2id PSK against the native libargon2 addon, a full XX handshake against
 * holepunch's `noise-handshake` (sodium-native), a full XXpsk2 handshake (PSK excluded)
 * against its X25519 operations in node:crypto, and ChaChaPoly transport frames
 * against node:crypto's chacha20-poly1305.
 */
import { createCipheriv, createDecipheriv, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import argon2 from "argon2";
import Noise from "noise-handshake";
import { HASH_WASM_ARGON2ID, HIVEMIND_WIRE, HiveMindClient, HiveMindHub, HiveMindTransport, argon2idImplementationInUse, clearPskCache, derivePsk, pskSalt } from "poorman-handshake/hivemind";
import { CipherState, HandshakeState, type NoiseBackend, PORTABLE_BACKEND, noiseBackend, noiseBackendInUse, parseProtocolName } from "poorman-handshake/noise";
import { NODE_BACKEND } from "poorman-handshake/node";
import { type Row, rate, timeInterleaved } from "../harness.js";

const PASSWORD = "correct horse battery staple";
const NODE_ID = "tcp4:0.0.0.0:5678";
const FRAME_BODY = HIVEMIND_WIRE.CHUNK_BYTES; // the largest one-frame message: 65000 bytes + marker

async function pskRows(): Promise<Row[]> {
  const { ARGON2ID } = HIVEMIND_WIRE;
  const native = () => argon2.hash(PASSWORD, { type: argon2.argon2id, raw: true, salt: Buffer.from(pskSalt(NODE_ID)), timeCost: ARGON2ID.iterations, memoryCost: ARGON2ID.memoryKiB, parallelism: ARGON2ID.parallelism, hashLength: ARGON2ID.hashLength });
  const ours = () => (clearPskCache(), derivePsk(PASSWORD, NODE_ID));
  const portable = () => HASH_WASM_ARGON2ID(new TextEncoder().encode(PASSWORD), pskSalt(NODE_ID));
  const expected = await native();
  if (!Buffer.from(await ours()).equals(expected) || !Buffer.from(await portable()).equals(expected)) throw new Error("argon2id PSK differs from libargon2");
  const t = await timeInterleaved({ ours, native, portable }, { budgetMs: 4000, maxIterations: 8, minIterations: 3, warmup: 1 });
  const name = "argon2id PSK (t=3, m=64 MiB, p=1)";
  return [
    { group: "hivemind", name, ours: t.ours, bound: t.native, boundName: "native argon2 addon (libargon2)", target: 1.2, note: argon2idImplementationInUse() === HASH_WASM_ARGON2ID ? "hash-wasm (the addon did not load)" : "derivePsk on libargon2 (node condition)" },
    { group: "hivemind", name: `${name}, portable`, ours: t.portable, bound: t.native, boundName: "native argon2 addon (libargon2)", note: "hash-wasm (browsers, other runtimes, no addon)" },
  ];
}

async function handshakeRows(): Promise<Row[]> {
  const protocol = "Noise_XXpsk2_25519_ChaChaPoly_SHA256";
  const dh = noiseBackend().dh["25519"]!;
  const [is, rs] = [dh.generateKeyPair(), dh.generateKeyPair()];
  const psk = randomBytes(32);
  const engineOn = (backend: NoiseBackend) => async () => {
    const i = HandshakeState.initialize({ protocol: parseProtocolName(protocol, backend), initiator: true, staticKey: is, psks: [psk] });
    const r = HandshakeState.initialize({ protocol: parseProtocolName(protocol, backend), initiator: false, staticKey: rs, psks: [psk] });
    await r.readMessage(await i.writeMessage());
    await i.readMessage(await r.writeMessage());
    await r.readMessage(await i.writeMessage());
    await Promise.all([i.split(), r.split()]);
  };
  // Native: the same X25519 work: two ephemeral key pairs, the two received static
  // public keys imported, ee/es/se on both sides. The ephemeral public halves are passed
  // as KeyObjects (a slightly stricter bound): on Node 20.20.2, exporting fresh X25519
  // KeyObjects as JWK deadlocks after a few thousand calls (docs/performance.md).
  const statics = [generateKeyPairSync("x25519"), generateKeyPairSync("x25519")] as const;
  const rawX = (k: KeyObject) => k.export({ format: "jwk" }).x!;
  const staticX = statics.map((k) => rawX(k.publicKey));
  const importX = (x: string) => createPublicKey({ key: { kty: "OKP", crv: "X25519", x }, format: "jwk" });
  const native = () => {
    const [ie, re] = [generateKeyPairSync("x25519"), generateKeyPairSync("x25519")];
    const [ieAtR, reAtI, isAtR, rsAtI] = [ie.publicKey, re.publicKey, importX(staticX[0]!), importX(staticX[1]!)];
    for (const [priv, pub] of [[ie.privateKey, reAtI], [re.privateKey, ieAtR], [ie.privateKey, rsAtI], [statics[1].privateKey, ieAtR], [statics[0].privateKey, reAtI], [re.privateKey, isAtR]] as const) {
      diffieHellman({ privateKey: priv, publicKey: pub });
    }
  };
  await derivePsk(PASSWORD, NODE_ID); // cached: the sessions below exclude the PSK
  const session = async () => {
    const hub = await HiveMindHub.create({ password: PASSWORD, nodeId: NODE_ID, staticKey: is.privateKey });
    const client = await HiveMindClient.create({ password: PASSWORD, staticKey: rs.privateKey });
    const third = await client.receive(await hub.receive(await client.start(hub.hello, hub.handshake)));
    if (third !== null) await hub.receive(third);
    if (!hub.done || !client.done) throw new Error("HiveMind handshake did not complete");
  };
  // The peer: holepunch's noise-handshake (Noise_XX_25519_ChaChaPoly_BLAKE2b on
  // sodium-native), static key pairs made once as for ours; against our XX with SHA-256.
  const [ps, pr] = [new Noise("XX", true).s, new Noise("XX", false).s];
  const peer = () => {
    const i = new Noise("XX", true, ps), r = new Noise("XX", false, pr);
    i.initialise(new Uint8Array(0));
    r.initialise(new Uint8Array(0));
    r.recv(i.send());
    i.recv(r.send());
    r.recv(i.send());
    if (!i.complete || !r.complete || !Buffer.from(i.tx!).equals(Buffer.from(r.rx!))) throw new Error("noise-handshake did not complete");
  };
  const xxOn = (backend: NoiseBackend) => async () => {
    const i = HandshakeState.initialize({ protocol: parseProtocolName("Noise_XX_25519_ChaChaPoly_SHA256", backend), initiator: true, staticKey: is });
    const r = HandshakeState.initialize({ protocol: parseProtocolName("Noise_XX_25519_ChaChaPoly_SHA256", backend), initiator: false, staticKey: rs });
    await r.readMessage(await i.writeMessage());
    await i.readMessage(await r.writeMessage());
    await r.readMessage(await i.writeMessage());
    await Promise.all([i.split(), r.split()]);
  };
  const installed = noiseBackend();
  // The node:crypto backend too, when libsodium is the one installed: what a platform without sodium-native gets.
  const fallback: Record<string, () => unknown> = installed === NODE_BACKEND ? {} : { xxNode: xxOn(NODE_BACKEND), engineNode: engineOn(NODE_BACKEND) };
  // 100 warm-up rounds, not the harness's 2: the first rounds run before the JIT has
  // compiled either side's code (and, without the noiseBackend() call above, would also
  // pay for choosing the backend, which now happens on first use).
  const t: Record<string, number> = await timeInterleaved({ engine: engineOn(installed), native, session, xx: xxOn(installed), peer, ...fallback }, { budgetMs: 4000, maxIterations: 2000, warmup: 100 });
  const x25519Work = "its X25519 work in node:crypto (2 keygens, 2 key imports, 6 DH)";
  const note = `${noiseBackendInUse()} backend`;
  const peerName = "noise-handshake 4 (holepunch, sodium-native, BLAKE2b)";
  return [
    { group: "hivemind", name: "XX handshake, both sides (Noise engine, SHA256)", ours: t.xx!, bound: t.peer!, boundName: peerName, target: 0.7, note },
    { group: "hivemind", name: "XXpsk2 handshake, both sides (Noise engine)", ours: t.engine!, bound: t.native!, boundName: x25519Work, target: 1.3, note },
    { group: "hivemind", name: "XXpsk2 HiveMind session, both sides (PSK cached)", ours: t.session!, bound: t.native!, boundName: x25519Work, target: 2, note },
    ...(t.xxNode === undefined ? [] : [
      { group: "hivemind", name: "XX handshake, both sides, node:crypto backend", ours: t.xxNode, bound: t.peer!, boundName: peerName, note: "without sodium-native" },
      { group: "hivemind", name: "XXpsk2 handshake, both sides, node:crypto backend", ours: t.engineNode!, bound: t.native!, boundName: x25519Work, note: "without sodium-native" },
    ]),
  ];
}

async function transportRows(): Promise<Row[]> {
  const key = randomBytes(32);
  const body = randomBytes(FRAME_BODY);
  const plain = Buffer.concat([Buffer.of(1), body]);
  const nodeCipher = noiseBackend().cipher.ChaChaPoly!;
  const pair = async (cipher = nodeCipher) => [await CipherState.withKey(cipher, key), await CipherState.withKey(cipher, key)] as const;
  const [s1, r1] = await pair();
  const [a, b] = [new HiveMindTransport(s1, await CipherState.withKey(nodeCipher, key)), new HiveMindTransport(await CipherState.withKey(nodeCipher, key), r1)];
  const [ps, pr] = await pair(PORTABLE_BACKEND.cipher.ChaChaPoly);
  const nonce = Buffer.alloc(12);
  let n = 0;
  const t = await timeInterleaved({
    ours: async () => {
      const frames = await a.encrypt(1, body);
      if ((await b.decrypt(frames[0]!))?.body.length !== FRAME_BODY) throw new Error("frame lost");
    },
    native: () => {
      nonce.writeUInt32LE(n++, 4);
      const c = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
      const sealed = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
      const d = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
      d.setAuthTag(sealed.subarray(sealed.length - 16));
      return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
    },
    portable: async () => pr.decryptWithAd(new Uint8Array(0), await ps.encryptWithAd(new Uint8Array(0), plain)),
  }, { budgetMs: 2500, maxIterations: 3000 });
  const mb = (ms: number) => rate(FRAME_BODY, ms);
  const name = "ChaChaPoly frames of 64 KiB, encrypt + decrypt";
  return [
    { group: "hivemind", name, ours: mb(t.ours), bound: mb(t.native), boundName: "node:crypto chacha20-poly1305", unit: "MB/s", target: 2, note: `HiveMindTransport, ${noiseBackendInUse()} backend; target: ≥ 0.5 of the bound` },
    { group: "hivemind", name: `${name}, portable backend`, ours: mb(t.portable), bound: mb(t.native), boundName: "node:crypto chacha20-poly1305", unit: "MB/s", note: "@noble/ciphers (browsers, other runtimes)" },
  ];
}

/** Runs the HiveMind / Noise benchmarks. */
export async function noiseBench(): Promise<Row[]> {
  return [...(await pskRows()), ...(await handshakeRows()), ...(await transportRows())];
}
