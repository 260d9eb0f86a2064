/**
 * `pmh keygen`, `pmh pubkey` and `pmh fingerprint`: RSA key files as poorman_handshake
 * keeps them (PKCS#1 PEM private keys, SPKI PEM public keys).
 *
 * @module
 */
import { open } from "node:fs/promises";
import type { Command } from "commander";
import { DEFAULT_KEY_BITS, MAX_KEY_BITS, MIN_KEY_BITS } from "../rsa/constants.js";
import { exportPublicKeyPem, publicKeyFingerprint } from "../rsa/keys.js";
import { parseKeyMaterial } from "../rsa/pem.js";
import { fileError, PRIVATE_FILE_MODE, readFileChecked, writeFileAtomic } from "../common/node/files.js";
import { checkKeyFileMode } from "../common/node/key-file-access.js";
import { createRSAKey } from "../rsa/node/keyfile.js";
import { KeyFormatError } from "../common/errors.js";
import { action, jsonOption, messageOf, parseInteger, printJson, readStdin, UsageError } from "./common.js";
import { cliWarnings } from "./warnings.js";
// The RSA Node backends, which `pmh` no longer installs for every command.
import "../rsa/node/install.js";

interface KeygenFlags {
  out?: string;
  bits: number;
  force?: boolean;
  showKey?: boolean;
  json?: boolean;
}

/** Writes a new secret file, refusing (EEXIST) to replace one. */
async function writeNewPrivateFile(path: string, text: string): Promise<void> {
  const file = await open(path, "wx", PRIVATE_FILE_MODE).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "EEXIST") throw new UsageError(`${path} exists; pass --force to replace it`);
    throw fileError(error, path, "a new file that can be written");
  });
  try {
    await file.writeFile(text);
    await file.chmod(PRIVATE_FILE_MODE);
    await file.sync();
  } catch (error) {
    throw fileError(error, path, "a new file that can be written");
  } finally {
    await file.close();
  }
}

/**
 * Reads a key argument: PEM text itself, `-` for standard input, or a file path.
 * @returns the PEM text, where it came from and the file's mode (for a file)
 */
async function readKeyArgument(arg: string): Promise<{ pem: string; source: string; mode?: number }> {
  if (arg.trimStart().startsWith("-----BEGIN")) return { pem: arg, source: "argument" };
  if (arg === "-") {
    return { pem: await readStdin(), source: "stdin" };
  }
  const { bytes, mode } = await readFileChecked(arg, "an RSA key file (PEM)");
  return { pem: bytes.toString("utf8"), source: arg, mode };
}

/** Reads and checks a key argument; the error names where it came from. A private key file others can read warns. */
async function keyArgument(arg: string, command: string): Promise<{ pem: string; source: string; type: "public" | "private" }> {
  const { pem, source, mode } = await readKeyArgument(arg);
  let type: "public" | "private";
  try {
    type = parseKeyMaterial(pem, source).type;
  } catch (cause) {
    throw new KeyFormatError(`${source} does not hold an RSA key we accept in PEM (${messageOf(cause)})`, { cause });
  }
  if (type === "private" && mode !== undefined) checkKeyFileMode(source, mode, { onWarning: cliWarnings(command) });
  return { pem, source, type };
}

/** Above this size, key generation takes minutes: `--force` says the user means it. */
const LARGE_KEY_BITS = 8192;
/** From this size on, generation takes long enough to say so on stderr. */
const SLOW_KEY_BITS = 4096;

async function keygen(flags: KeygenFlags): Promise<void> {
  if (flags.bits % 8 !== 0) throw new UsageError(`--bits must be a multiple of 8, got ${flags.bits}`);
  if (flags.bits > LARGE_KEY_BITS && !flags.force) throw new UsageError(`--bits above ${LARGE_KEY_BITS} takes minutes to generate; pass --force if you mean it`);
  const toStdout = flags.out === "-";
  const file = toStdout ? undefined : flags.out;
  // Private key material is printed only when asked for: `--out -` or `--show-key`.
  const show = toStdout || flags.showKey === true;
  if (file === undefined && !show) throw new UsageError("give --out FILE, or --out - (or --show-key) to print the private key on stdout");
  if (flags.bits >= SLOW_KEY_BITS) console.error(`generating an RSA-${flags.bits} key: this can take ${flags.bits >= LARGE_KEY_BITS ? "a minute or more" : "a few seconds"}…`);
  const { publicKey, privateKey } = await createRSAKey(flags.bits);
  const fp = await publicKeyFingerprint(publicKey);
  if (file !== undefined) {
    if (flags.force) await writeFileAtomic(file, privateKey);
    else await writeNewPrivateFile(file, privateKey);
  }
  const wrote = file === undefined ? "" : `wrote RSA-${flags.bits} private key to ${file} (mode 0600)\n`;
  if (flags.json) {
    printJson({ bits: flags.bits, ...(file === undefined ? {} : { path: file }), ...(show ? { privateKey } : {}), publicKey, fingerprint: fp });
  } else if (show) {
    // The private key alone on stdout, so `pmh keygen --out - > key.pem` works; the rest on stderr.
    console.log(privateKey);
    console.error(`${wrote}${publicKey}\nfingerprint ${fp}`);
  } else {
    console.log(`${wrote}${publicKey}\nfingerprint ${fp}`);
  }
}

/** Adds `keygen`, `pubkey` and `fingerprint` to `program`. */
export function keyCommands(program: Command): void {
  jsonOption(
    program
      .command("keygen")
      .description("generate an RSA private key (PKCS#1 PEM, mode 0600) and print its public key and fingerprint (never the private key unless --out - or --show-key)")
      .option("--out <file>", "write the private key here; - prints it on stdout (the rest on stderr)")
      .option("--show-key", "also print the private key (stdout; in --json as privateKey)")
      .option("--bits <n>", `modulus size, a multiple of 8`, parseInteger(MIN_KEY_BITS, MAX_KEY_BITS), DEFAULT_KEY_BITS)
      .option("--force", `replace --out if it exists; allow --bits above ${LARGE_KEY_BITS}`),
  ).action(action("keygen", keygen));

  jsonOption(
    program
      .command("pubkey")
      .description("print the SPKI PEM public key of a key file (private or public)")
      .argument("<file>", "PEM key file, or - for standard input"),
  ).action(
    action("pubkey", async (file: string, flags: { json?: boolean }) => {
      const { pem } = await keyArgument(file, "pubkey");
      const publicKey = await exportPublicKeyPem(pem);
      if (flags.json) printJson({ publicKey, fingerprint: await publicKeyFingerprint(pem) });
      else console.log(publicKey);
    }),
  );

  jsonOption(
    program
      .command("fingerprint")
      .description("print the fingerprint of an RSA key (first 16 bytes of SHA-256 of its SPKI DER)")
      .argument("<key>", "PEM key file, PEM text, or - for standard input"),
  ).action(
    action("fingerprint", async (key: string, flags: { json?: boolean }) => {
      const { pem, type } = await keyArgument(key, "fingerprint");
      const fp = await publicKeyFingerprint(pem);
      if (flags.json) printJson({ fingerprint: fp, keyType: type });
      else console.log(fp);
    }),
  );
}
