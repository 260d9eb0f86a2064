import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { FileError, InvalidArgumentError, KeyFormatError } from "../src/common/errors.js";
import { KEY_FILE_PERMISSIONS_WARNING } from "../src/common/node/key-file-access.js";
import type { PoormanWarning } from "../src/common/warnings.js";
import { loadMetagraphFile, loadWalletHotkey, walletHotkeyPath } from "../src/fiber/node/wallet.js";
import { loadVectors } from "./helpers/vectors.js";

const known = loadVectors("sr25519/known.json");
const oldLeopard = known.keys.find((k: { label: string }) => k.label.startsWith("mnemonic, sr25519"));
let dir = "";

before(() => {
  dir = mkdtempSync(join(tmpdir(), "pmh-wallet-"));
  mkdirSync(join(dir, "w", "hotkeys"), { recursive: true });
  const secret = { mode: 0o600 }; // as btcli writes hotkeys
  writeFileSync(join(dir, "w", "hotkeys", "good"), JSON.stringify({ secretSeed: `0x${oldLeopard.computed.mini_secret_hex}`, ss58Address: oldLeopard.computed.ss58_prefix_42 }), secret);
  writeFileSync(join(dir, "w", "hotkeys", "encrypted"), "$NACL...binary", secret);
  writeFileSync(join(dir, "w", "hotkeys", "noseed"), JSON.stringify({ ss58Address: "x" }), secret);
  writeFileSync(join(dir, "w", "hotkeys", "shared"), JSON.stringify({ secretSeed: `0x${oldLeopard.computed.mini_secret_hex}` }));
  chmodSync(join(dir, "w", "hotkeys", "shared"), 0o640);
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
    await assert.rejects(loadWalletHotkey("w", "missing", { walletsPath: dir }), (e) => e instanceof FileError && e.systemCode === "ENOENT" && /missing: no such file or folder; expected a Bittensor hotkey file/.test(e.message));
    for (const [w, h] of [["..", "x"], ["w", "../x"], ["a/b", "x"], ["w", ""]]) assert.throws(() => walletHotkeyPath(w!, h!), InvalidArgumentError);
    assert.match(walletHotkeyPath("w", "h"), /\.bittensor[/\\]wallets[/\\]w[/\\]hotkeys[/\\]h$/);
  });
  it("uses a hotkey file its group can read, and says so through onWarning", async () => {
    const seen: PoormanWarning[] = [];
    const kp = await loadWalletHotkey("w", "shared", { walletsPath: dir, onWarning: (w) => seen.push(w) });
    assert.equal(kp.ss58Address, oldLeopard.computed.ss58_prefix_42);
    if (process.platform !== "win32") {
      assert.deepEqual(seen.map((w) => w.code), [KEY_FILE_PERMISSIONS_WARNING]);
      assert.match(seen[0]!.message, /shared holds a private key and is readable by others \(mode 0640\)/);
    }
    await loadWalletHotkey("w", "good", { walletsPath: dir, onWarning: (w) => seen.push(w) });
    assert.equal(seen.length, process.platform === "win32" ? 0 : 1, "a 0600 file gives no warning");
    await assert.rejects(loadWalletHotkey("w", "good", { walletsPath: dir, onWarning: "log" as never }), InvalidArgumentError);
  });
  it("reads a metagraph file and refuses other JSON", async () => {
    assert.equal((await loadMetagraphFile(join(dir, "nodes.json"))).a, 1000.5);
    await assert.rejects(loadMetagraphFile(join(dir, "bad.json")), InvalidArgumentError);
  });
});
