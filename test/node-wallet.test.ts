import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { InvalidArgumentError, KeyFormatError } from "../src/errors.js";
import { loadMetagraphFile, loadWalletHotkey, walletHotkeyPath } from "../src/node/wallet.js";
import { loadVectors } from "./helpers/vectors.js";

const known = loadVectors("sr25519/known.json");
const oldLeopard = known.keys.find((k: { label: string }) => k.label.startsWith("mnemonic, sr25519"));
let dir = "";

before(() => {
  dir = mkdtempSync(join(tmpdir(), "pmh-wallet-"));
  mkdirSync(join(dir, "w", "hotkeys"), { recursive: true });
  writeFileSync(join(dir, "w", "hotkeys", "good"), JSON.stringify({ secretSeed: `0x${oldLeopard.computed.mini_secret_hex}`, ss58Address: oldLeopard.computed.ss58_prefix_42 }));
  writeFileSync(join(dir, "w", "hotkeys", "encrypted"), "$NACL...binary");
  writeFileSync(join(dir, "w", "hotkeys", "noseed"), JSON.stringify({ ss58Address: "x" }));
  writeFileSync(join(dir, "nodes.json"), JSON.stringify({ a: 1000.5 }));
  writeFileSync(join(dir, "bad.json"), "[1]");
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("wallet and metagraph files", () => {
  it("loads a hotkey's secretSeed", async () => {
    const kp = await loadWalletHotkey("w", "good", { walletsPath: dir });
    assert.equal(kp.ss58Address, oldLeopard.computed.ss58_prefix_42);
  });
  it("refuses encrypted or seedless files and names that leave the folder", async () => {
    await assert.rejects(loadWalletHotkey("w", "encrypted", { walletsPath: dir }), KeyFormatError);
    await assert.rejects(loadWalletHotkey("w", "noseed", { walletsPath: dir }), KeyFormatError);
    await assert.rejects(loadWalletHotkey("w", "missing", { walletsPath: dir }), /ENOENT/);
    for (const [w, h] of [["..", "x"], ["w", "../x"], ["a/b", "x"], ["w", ""]]) assert.throws(() => walletHotkeyPath(w!, h!), InvalidArgumentError);
    assert.match(walletHotkeyPath("w", "h"), /\.bittensor[/\\]wallets[/\\]w[/\\]hotkeys[/\\]h$/);
  });
  it("reads a metagraph file and refuses other JSON", async () => {
    assert.equal((await loadMetagraphFile(join(dir, "nodes.json"))).a, 1000.5);
    await assert.rejects(loadMetagraphFile(join(dir, "bad.json")), InvalidArgumentError);
  });
});
