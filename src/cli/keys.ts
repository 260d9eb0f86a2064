/**
 * `pmh keygen`, `pmh pubkey` and `pmh fingerprint`: RSA key files as poorman_handshake
 * keeps them (PKCS#1 PEM private keys, SPKI PEM public keys).
 *
 * @module
 */
import { readFile, open } from "node:fs/promises";
import type { Command } from "commander";
import { DEFAULT_KEY_BITS, MAX_KEY_BITS, MIN_KEY_BITS } from "../rsa/constants.js";
import { exportPublicKeyPem, publicKeyFingerprint } from "../rsa/keys.js";
import { parseKeyMaterial } from "../rsa/pem.js";
import { PRIVATE_FILE_MODE, writeFileAtomic } from "../node/files.js";
import { createRSAKey } from "../node/keyfile.js";
import { KeyFormatError } from "../errors.js";
import { action, jsonOption, messageOf, parseInteger, printJson, readStdin, UsageError } from "./common.js";

interface KeygenFlags {
  out?: string;
  bits: number;
  force?: boolean;
  json?: boolean;
}

/** Writes a new secret file, refusing (EEXIST) to replace one. */
async function writeNewPrivateFile(path: string, text: string): Promise<void> {
  const file = await open(path, "wx", PRIVATE_FILE_MODE).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "EEXIST") throw new UsageError(`${path} exists; pass --force to replace it`);
    throw error;
  });
  try {
    await file.writeFile(text);
    await file.chmod(PRIVATE_FILE_MODE);
    await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * Reads a key argument: PEM text itself, `-` for standard input, or a file path.
 * @returns the PEM text and where it came from
 */
async function readKeyArgument(arg: string): Promise<{ pem: string; source: string }> {
  if (arg.trimStart().startsWith("-----BEGIN")) return { pem: arg, source: "argument" };
  if (arg === "-") {
    return { pem: await readStdin(), source: "stdin" };
  }
  return { pem: await readFile(arg, "utf8"), source: arg };
}

/** Reads and checks a key argument; the error names where it came from. */
async function keyArgument(arg: string): Promise<{ pem: string; source: string; type: "public" | "private" }> {
  const { pem, source } = await readKeyArgument(arg);
  let type: "public" | "private";
  try {
    type = parseKeyMaterial(pem, source).type;
  } catch (error) {
    throw new KeyFormatError(`${source} does not hold an RSA key in PEM (${messageOf(error)})`);
  }
  return { pem, source, type };
}

async function keygen(flags: KeygenFlags): Promise<void> {
  if (flags.bits % 8 !== 0) throw new UsageError(`--bits must be a multiple of 8, got ${flags.bits}`);
  const { publicKey, privateKey } = await createRSAKey(flags.bits);
  const fp = await publicKeyFingerprint(publicKey);
  if (flags.out !== undefined) {
    if (flags.force) await writeFileAtomic(flags.out, privateKey);
    else await writeNewPrivateFile(flags.out, privateKey);
  }
  if (flags.json) {
    printJson({ bits: flags.bits, ...(flags.out === undefined ? { privateKey } : { path: flags.out }), publicKey, fingerprint: fp });
  } else if (flags.out === undefined) {
    // The private key alone on stdout, so `pmh keygen > key.pem` works; the rest on stderr.
    console.log(privateKey);
    console.error(`${publicKey}\nfingerprint ${fp}`);
  } else {
    console.log(`wrote RSA-${flags.bits} private key to ${flags.out} (mode 0600)\n${publicKey}\nfingerprint ${fp}`);
  }
}

/** Adds `keygen`, `pubkey` and `fingerprint` to `program`. */
export function keyCommands(program: Command): void {
  jsonOption(
    program
      .command("keygen")
      .description("generate an RSA private key (PKCS#1 PEM, mode 0600) and print its public key and fingerprint")
      .option("--out <file>", "write the private key here (default: print it on stdout, the rest on stderr)")
      .option("--bits <n>", `modulus size, a multiple of 8`, parseInteger(MIN_KEY_BITS, MAX_KEY_BITS), DEFAULT_KEY_BITS)
      .option("--force", "replace --out if it exists"),
  ).action(action("keygen", keygen));

  jsonOption(
    program
      .command("pubkey")
      .description("print the SPKI PEM public key of a key file (private or public)")
      .argument("<file>", "PEM key file, or - for standard input"),
  ).action(
    action("pubkey", async (file: string, flags: { json?: boolean }) => {
      const { pem } = await keyArgument(file);
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
      const { pem, type } = await keyArgument(key);
      const fp = await publicKeyFingerprint(pem);
      if (flags.json) printJson({ fingerprint: fp, keyType: type });
      else console.log(fp);
    }),
  );
}
