/**
 * `NoiseHandShake` against transcripts of the real Python `NoiseHandShake` (on
 * `noiseprotocol`), message for message in both roles, plus its own semantics.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { fromHex, toHex, utf8 } from "../src/common/bytes.js";
import { DecryptionError, HandshakeRejectedError, HandshakeStateError, InvalidArgumentError, KeyFormatError } from "../src/common/errors.js";
import { KK_PSK0, NoiseHandShake, XX_PSK2, derivePsk, type NoiseHandShakeOptions } from "../src/noise/node/index.js";
import { NoiseHandShake as NodeEntryNoiseHandShake } from "../src/node/index.js";
import { derivePsk as hivemindDerivePsk } from "../src/hivemind/index.js";
import { loadVectors } from "./helpers/vectors.js";
import { NOISE_BACKENDS, useNoiseBackend } from "./helpers/noise-backends.js";

interface SideOptions { password?: string; node_id?: string | null; prologue?: string | null; remote_pubkey?: string; psk_hex?: string }
interface Case {
  name: string; pattern: string; initiator: SideOptions; responder: SideOptions; payloads: string[]; messages: string[];
  fails?: { message: number; reader: "initiator" | "responder" };
  handshake_hash?: string; initiator_pubkey?: string; responder_pubkey?: string;
  transport?: { from: "initiator" | "responder"; plaintext: string; ciphertext: string }[];
}
const v = loadVectors<{ _meta: { keys: Record<string, string> }; derive_psk: any[]; key_file: any; handshakes: Case[] }>("poorman/noise_handshake.json");
const K = v._meta.keys;
const folder = await mkdtemp(join(tmpdir(), "poorman-noise-"));
after(() => rm(folder, { recursive: true, force: true }));

function ours(role: "initiator" | "responder", o: SideOptions): Promise<NoiseHandShake> {
  const opts: NoiseHandShakeOptions = {
    initiator: role === "initiator",
    staticKey: role === "initiator" ? K.i_static! : K.r_static!,
    ephemeralKey: fromHex(role === "initiator" ? K.i_eph! : K.r_eph!),
  };
  if (o.password !== undefined) opts.password = o.password;
  if (o.psk_hex) opts.psk = fromHex(o.psk_hex);
  if (o.node_id) opts.nodeId = o.node_id;
  if (o.prologue) opts.prologue = o.prologue;
  if (o.remote_pubkey) opts.remotePubkey = o.remote_pubkey;
  return NoiseHandShake.create(opts);
}

const PASSWORD = "correct horse battery staple";

async function runXX(a: NoiseHandShake, b: NoiseHandShake): Promise<void> {
  await b.readMessage(await a.writeMessage());
  await a.readMessage(await b.writeMessage());
  await b.readMessage(await a.writeMessage());
}

for (const [label, backend] of NOISE_BACKENDS) describe(`NoiseHandShake against Python transcripts (${label} backend)`, () => {
  useNoiseBackend(backend);
  for (const c of v.handshakes) {
    for (const role of ["initiator", "responder"] as const) {
      it(`${c.name}: ours as ${role}`, async () => {
        const me = await ours(role, c[role]);
        assert.equal(me.pattern, c.pattern);
        const mine = role === "initiator" ? 0 : 1;
        for (let k = 0; k < c.messages.length; k++) {
          const python = fromHex(c.messages[k]!);
          if (k % 2 === mine) {
            assert.equal(toHex(await me.writeMessage(utf8(c.payloads[k]!))), c.messages[k], `message ${k + 1}`);
          } else if (c.fails?.message === k + 1) {
            assert.equal(c.fails.reader, role);
            await assert.rejects(me.readMessage(python), HandshakeRejectedError);
            await assert.rejects(me.readMessage(python), HandshakeStateError);
            assert.equal(me.handshakeFinished, false);
            assert.equal(me.handshakeHash, undefined);
            return;
          } else {
            assert.deepEqual(await me.readMessage(python), utf8(c.payloads[k]!));
          }
        }
        if (c.fails) return; // the peer, not us, refuses this transcript
        assert.equal(me.handshakeFinished, true);
        assert.equal(me.complete, true);
        assert.equal(toHex(me.handshakeHash!), c.handshake_hash);
        assert.equal(me.pubkey, role === "initiator" ? c.initiator_pubkey : c.responder_pubkey);
        assert.equal(toHex(me.remotePubkey!), role === "initiator" ? c.responder_pubkey : c.initiator_pubkey);
        const [send, receive] = me.split();
        for (const t of c.transport!) {
          const last = t === c.transport![c.transport!.length - 1]; // sent through split()'s cipher state
          if (t.from === role) {
            const ct = last ? await send.encryptWithAd(new Uint8Array(0), utf8(t.plaintext)) : await me.encrypt(utf8(t.plaintext));
            assert.equal(toHex(ct), t.ciphertext);
          } else {
            const pt = last ? await receive.decryptWithAd(new Uint8Array(0), fromHex(t.ciphertext)) : await me.decrypt(fromHex(t.ciphertext));
            assert.deepEqual(pt, utf8(t.plaintext));
          }
        }
      });
    }
  }

  it("derivePsk matches Python's derive_psk, and HiveMind's derivePsk is the same derivation", async () => {
    for (const e of v.derive_psk) {
      const opts = { nodeId: e.node_id, ...(e.salt_hex ? { salt: fromHex(e.salt_hex) } : {}) };
      if (e.password === "") {
        // deliberate: Python stretches "" too, we refuse it (no secret; hash-wasm's argon2id cannot)
        await assert.rejects(derivePsk(e.password, opts), /must not be empty/);
        continue;
      }
      assert.equal(toHex(await derivePsk(e.password, opts)), e.psk_hex, JSON.stringify(e));
      assert.equal(toHex(await derivePsk(utf8(e.password), { ...opts, nodeId: e.node_id === null ? null : utf8(e.node_id) })), e.psk_hex);
      if (!e.salt_hex) assert.equal(toHex(await hivemindDerivePsk(e.password, e.node_id)), e.psk_hex);
    }
    await assert.rejects(derivePsk("pw", { salt: new Uint8Array(4) }), InvalidArgumentError);
    await assert.rejects(derivePsk(42 as unknown as string), InvalidArgumentError);
  });

  it("loads a key file Python wrote, and writes the same format Python reads", async () => {
    const path = join(folder, "python.key");
    await writeFile(path, v.key_file.contents, { mode: 0o600 }); // as Python writes it (a readable one would warn)
    const hs = await NoiseHandShake.create({ initiator: true, psk: new Uint8Array(32), path });
    assert.equal(hs.pubkey, v.key_file.pubkey);
    const fresh = join(folder, "fresh.key");
    const a = await NodeEntryNoiseHandShake.create({ initiator: true, psk: new Uint8Array(32), path: fresh });
    const text = await readFile(fresh, "utf8");
    assert.match(text, /^[0-9a-f]{64}$/); // hexlify(raw private key), no newline, as Python writes
    if (process.platform !== "win32") assert.equal((await stat(fresh)).mode & 0o777, Number(v.key_file.mode));
    const b = await NoiseHandShake.create({ initiator: false, psk: new Uint8Array(32), path: fresh });
    assert.equal(b.pubkey, a.pubkey);
    await writeFile(join(folder, "bad.key"), "zz", { mode: 0o600 });
    await assert.rejects(NoiseHandShake.create({ initiator: true, psk: new Uint8Array(32), path: join(folder, "bad.key") }), KeyFormatError);
    await assert.rejects(NoiseHandShake.create({ initiator: true, psk: new Uint8Array(32), path: fresh, staticKey: K.i_static! }), InvalidArgumentError);
  });
});

describe("NoiseHandShake semantics (as upstream tests/test_noise_handshake.py)", () => {
  it("XX by default, KK with remotePubkey (bytes or hex); payloads, hashes and learned keys", async () => {
    const a = await NoiseHandShake.create({ initiator: true, password: PASSWORD, nodeId: "core-1" });
    const b = await NoiseHandShake.create({ initiator: false, password: PASSWORD, nodeId: "core-1" });
    assert.equal(a.pattern, XX_PSK2);
    assert.equal(a.handshakeHash, undefined);
    assert.equal(a.remotePubkey, undefined);
    await b.readMessage(await a.writeMessage());
    assert.deepEqual(await a.readMessage(await b.writeMessage(utf8("hello"))), utf8("hello"));
    assert.deepEqual(a.remotePubkey, b.pubkeyBytes); // learned from message 2 already
    assert.deepEqual(await b.readMessage(await a.writeMessage(utf8("world"))), utf8("world"));
    assert.deepEqual(a.handshakeHash, b.handshakeHash);
    assert.equal(a.handshakeHash!.length, 32);
    assert.deepEqual(b.remotePubkey, a.pubkeyBytes);
    assert.equal(a.pubkey, toHex(a.pubkeyBytes));

    const kkA = await NoiseHandShake.create({ initiator: true, password: PASSWORD, remotePubkey: b.pubkeyBytes, staticKey: K.i_static! });
    const kkB = await NoiseHandShake.create({ initiator: false, password: PASSWORD, remotePubkey: kkA.pubkey, staticKey: K.r_static! });
    assert.equal(kkA.pattern, KK_PSK0);
    assert.equal((await NoiseHandShake.create({ initiator: true, password: PASSWORD, remotePubkey: "" })).pattern, XX_PSK2);
    await assert.rejects(kkB.readMessage(await kkA.writeMessage()), HandshakeRejectedError); // kkA expects b's key, not K.r_static
  });

  it("replays, tampering and use before the end are refused", async () => {
    const psk = await derivePsk(PASSWORD);
    const a = await NoiseHandShake.create({ initiator: true, psk });
    const b = await NoiseHandShake.create({ initiator: false, psk });
    assert.throws(() => a.split(), HandshakeStateError);
    await assert.rejects(a.encrypt(utf8("early")), HandshakeStateError);
    await runXX(a, b);
    const ct = await a.encrypt(utf8("only once"));
    assert.deepEqual(await b.decrypt(ct), utf8("only once"));
    await assert.rejects(b.decrypt(ct), DecryptionError);
    const tampered = await a.encrypt(utf8("payload"));
    tampered[tampered.length - 1]! ^= 1;
    await assert.rejects(b.decrypt(tampered), DecryptionError);
    await assert.rejects(a.writeMessage(), HandshakeStateError);
    a.destroy();
    await assert.rejects(a.encrypt(utf8("after destroy")), HandshakeStateError);
    assert.throws(() => a.split(), /destroyed/);
  });

  it("two sessions with the same keys and PSK differ (fresh ephemerals)", async () => {
    const psk = await derivePsk(PASSWORD);
    const hashes = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const a = await NoiseHandShake.create({ initiator: true, psk, staticKey: K.i_static! });
      const b = await NoiseHandShake.create({ initiator: false, psk, staticKey: K.r_static! });
      await runXX(a, b);
      hashes.add(toHex(a.handshakeHash!));
    }
    assert.equal(hashes.size, 2);
  });

  it("an explicit XX pattern with remotePubkey pins the peer's key (our addition)", async () => {
    const psk = new Uint8Array(32).fill(7);
    const a = await NoiseHandShake.create({ initiator: true, psk, pattern: XX_PSK2, remotePubkey: new Uint8Array(32).fill(9) });
    const b = await NoiseHandShake.create({ initiator: false, psk });
    await b.readMessage(await a.writeMessage());
    await assert.rejects(a.readMessage(await b.writeMessage()), /pinned/);
    await assert.rejects(a.writeMessage(), HandshakeStateError);
  });

  it("names bad options", async () => {
    await assert.rejects(NoiseHandShake.create({ initiator: true }), /either password or psk/);
    await assert.rejects(NoiseHandShake.create({ initiator: true, psk: utf8("short") }), /exactly 32 bytes/);
    await assert.rejects(NoiseHandShake.create({ initiator: "yes" as unknown as boolean, psk: new Uint8Array(32) }), InvalidArgumentError);
    await assert.rejects(NoiseHandShake.create({ initiator: true, psk: new Uint8Array(32), remotePubkey: "abc" }), KeyFormatError);
    await assert.rejects(NoiseHandShake.create({ initiator: true, psk: new Uint8Array(32), pattern: "Noise_NN_25519_ChaChaPoly_SHA256" as typeof XX_PSK2 }), InvalidArgumentError);
    await assert.rejects(NoiseHandShake.create({ initiator: true, psk: new Uint8Array(32), pattern: KK_PSK0 }), /needs remotePubkey/);
  });

  it("property: any payloads and transport messages round-trip both ways", async () => {
    const psk = new Uint8Array(32).fill(3);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 256 }), fc.boolean(), async (payload, data, kk) => {
        const a0 = await NoiseHandShake.create({ initiator: true, psk, staticKey: K.i_static! });
        const b0 = await NoiseHandShake.create({ initiator: false, psk, staticKey: K.r_static! });
        const a = kk ? await NoiseHandShake.create({ initiator: true, psk, staticKey: K.i_static!, remotePubkey: b0.pubkey }) : a0;
        const b = kk ? await NoiseHandShake.create({ initiator: false, psk, staticKey: K.r_static!, remotePubkey: a0.pubkey }) : b0;
        assert.deepEqual(await b.readMessage(await a.writeMessage(payload)), payload);
        await a.readMessage(await b.writeMessage(payload));
        if (!kk) await b.readMessage(await a.writeMessage());
        assert.deepEqual(await b.decrypt(await a.encrypt(data)), data);
        assert.deepEqual(await a.decrypt(await b.encrypt(data)), data);
      }),
      { numRuns: 25 },
    );
  });
});
