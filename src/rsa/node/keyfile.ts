/**
 * RSA key files as the Python reference keeps them (PKCS#1 PEM private keys, SPKI PEM
 * public keys), written atomically with mode 0600.
 *
 * @module
 */
import { chmod, copyFile } from "node:fs/promises";
import { dirname } from "node:path";
import { KeyFormatError, UnsupportedKeyError } from "../../common/errors.js";
import { DEFAULT_KEY_BITS } from "../constants.js";
import type { HandShakeKeyFiles } from "../handshake.js";
import { exportPrivateKeyPem, exportPublicKeyPem, generateRSAKeyPair, keyMaterial, type RSAKeyInput } from "../keys.js";
import { parseKeyMaterial, pemBlocks, type KeyMaterial } from "../pem.js";
import { ensureFolder, fileError, isMissingFile, PRIVATE_FILE_MODE, readFileChecked, writeFileAtomic } from "../../common/node/files.js";
import { checkKeyFileMode, checkKeyFileOptions, keyFileWarning, type KeyFileOptions } from "../../common/node/key-file-access.js";

/** Warning code when a key file that held no key at all was replaced. */
export const KEY_FILE_REPLACED_WARNING = "POORMAN_KEY_FILE_REPLACED";

const EXPECTED = "an RSA key file (PEM)";

/**
 * Generates a key pair as PEM text, like the reference's `create_RSA_key`.
 * @param bits - modulus size (2048 by default)
 * @returns the SPKI public PEM and the PKCS#1 private PEM
 */
export async function createRSAKey(bits: number = DEFAULT_KEY_BITS): Promise<{ publicKey: string; privateKey: string }> {
  const pair = await generateRSAKeyPair(bits);
  const [publicKey, privateKey] = await Promise.all([exportPublicKeyPem(pair.publicKey), exportPrivateKeyPem(pair.privateKey)]);
  return { publicKey, privateKey };
}

/**
 * Writes a key file, like the reference's `export_RSA_key`: a private key as PKCS#1
 * PEM, a public key as SPKI PEM; atomically, mode 0600, parent folders created.
 * @param key - PEM, DER or extractable `CryptoKey`
 * @param path - the file to write
 * @throws FileError naming the path when it cannot be written
 */
export async function exportRSAKey(key: RSAKeyInput, path: string): Promise<void> {
  const material = await keyMaterial(key);
  const pem = material.type === "private" ? await exportPrivateKeyPem(key) : await exportPublicKeyPem(key);
  await writeFileAtomic(path, pem);
}

/** A whole file that is one DER SEQUENCE: a binary key (or certificate), not garbage. */
function isDerFile(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || bytes[0] !== 0x30) return false;
  const first = bytes[1]!;
  if (first < 0x80) return 2 + first === bytes.length;
  const count = first & 0x7f;
  if (count === 0 || count > 3) return false;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (bytes[2 + i] ?? 0);
  return 2 + count + length === bytes.length;
}

/**
 * The block to read of a file that holds several PEM blocks (a certificate and its key, as
 * TLS servers keep them, in either order): its one private key wherever it sits, else its
 * first key of any kind (a public key is refused later, with its reason), else the whole
 * text. A file of one block or none is read whole.
 * @throws UnsupportedKeyError when it holds more than one private key
 */
function keyBlock(path: string, text: string): { pem: string; several: boolean } {
  const blocks = pemBlocks(text);
  if (blocks.length < 2) return { pem: text, several: false };
  const privates = blocks.filter((block) => block.label.endsWith("PRIVATE KEY"));
  if (privates.length > 1) {
    const labels = privates.map((block) => `"${block.label}"`).join(", ");
    throw new UnsupportedKeyError(`${path} holds ${privates.length} private keys (${labels}); keep only the one to use`);
  }
  const key = privates[0] ?? blocks.find((block) => block.label.endsWith("KEY"));
  return { pem: key?.text ?? text, several: true };
}

/**
 * Reads and parses a key file; the message of a failure names the path. Of a file with
 * several PEM blocks, the key's block is read and returned (see {@link keyBlock}); such a
 * file is never one that "holds no key", since its other blocks are the operator's.
 * @throws UnsupportedKeyError for a key we cannot use (encrypted, not RSA, unsafe, DER)
 * @throws KeyFormatError for a file that holds no key at all
 */
async function readKeyFile(path: string, options: KeyFileOptions): Promise<{ pem: string; material: KeyMaterial }> {
  const { bytes, mode } = await readFileChecked(path, EXPECTED);
  const { pem, several } = keyBlock(path, bytes.toString("utf8"));
  let material: KeyMaterial;
  try {
    material = parseKeyMaterial(pem, "the file");
  } catch (cause) {
    if (cause instanceof UnsupportedKeyError) throw new UnsupportedKeyError(`${path} holds a key we cannot use: ${(cause as Error).message}`, { cause });
    if (several) throw new UnsupportedKeyError(`${path} holds no key we can use beside other PEM blocks (${(cause as Error).message}); it is left as it is`, { cause });
    if (!pem.includes("-----BEGIN") && isDerFile(bytes)) {
      throw new UnsupportedKeyError(`${path} holds binary DER, not PEM; convert it: openssl pkey -inform DER -in ${path} -traditional`, { cause });
    }
    throw new KeyFormatError(`${path} does not hold an RSA key in PEM`, { cause });
  }
  if (material.type === "private") checkKeyFileMode(path, mode, options);
  return { pem, material };
}

/**
 * Reads a PEM key file (public or private, PKCS#1, PKCS#8 or SPKI), like the
 * reference's `load_RSA_key`. A private key file others can read is used, with a warning.
 * A file that holds other PEM blocks too (a certificate and its key, in any order) gives
 * its one private key (several are refused), where the reference refuses such a file.
 * @param path - the file to read
 * @param options - see {@link KeyFileOptions}
 * @returns the file's PEM text (of several blocks, the key's), checked to hold an RSA key we accept
 * @throws FileError when the file cannot be read
 * @throws KeyFormatError when it does not hold such a key ({@link UnsupportedKeyError}
 *   for a key we refuse)
 */
export async function loadRSAKey(path: string, options?: KeyFileOptions): Promise<string> {
  return (await readKeyFile(path, checkKeyFileOptions(options))).pem;
}

function requirePrivate(path: string, material: KeyMaterial): void {
  if (material.type !== "private") throw new UnsupportedKeyError(`${path} holds a public key only; a handshake needs the private key file`);
}

/** Loads the private key of `path`; a public-key file is a clear error. */
async function loadPrivateKeyFile(path: string, options: KeyFileOptions): Promise<string> {
  const { pem, material } = await readKeyFile(path, checkKeyFileOptions(options));
  requirePrivate(path, material);
  return pem;
}

async function generateAndSave(path: string, bits: number): Promise<string> {
  await ensureFolder(dirname(path)); // before the slow generation: a path we cannot write fails fast
  const { privateKey } = await createRSAKey(bits);
  await writeFileAtomic(path, privateKey);
  return privateKey;
}

/** Copies a file that is not a key to `path.bak` (mode 0600), then saves a new key. */
async function replaceNonKey(path: string, bits: number, options: KeyFileOptions): Promise<string> {
  const backup = `${path}.bak`;
  try {
    await copyFile(path, backup);
    await chmod(backup, PRIVATE_FILE_MODE);
  } catch (error) {
    throw fileError(error, backup, "a backup file that can be written");
  }
  const key = await generateAndSave(path, bits);
  const message = `${path} did not hold a key; it was copied to ${backup} and a new key was generated`;
  keyFileWarning(options, { code: KEY_FILE_REPLACED_WARNING, path, message });
  return key;
}

/**
 * Loads the private key of `path`, or generates and saves one when there is none,
 * as `HandShake(path)` does. Only a file that holds no key at all (garbage, empty, a
 * truncated PEM) is replaced: it is copied to `path + ".bak"` (replacing an older
 * backup, mode 0600), a new key is saved, and a warning of code
 * {@link KEY_FILE_REPLACED_WARNING} says so. A file that holds a certificate and the
 * key, in any order, gives that key (as {@link loadRSAKey}). A key we cannot use
 * (encrypted, EC, binary DER, unsafe numbers, a public key, several private keys) is an
 * error and the file is left untouched, as is a file with several PEM blocks but no key
 * we can use: the reference would move such a file to `.bak` and make a new identity.
 * @param path - the key file
 * @param bits - modulus size of a generated key
 * @param options - see {@link KeyFileOptions}
 * @returns the private key PEM
 * @throws UnsupportedKeyError for a key we cannot use (the file is untouched)
 * @throws FileError when the path cannot be read or written (a folder, no permission...)
 */
export async function loadOrCreateRSAKey(path: string, bits: number = DEFAULT_KEY_BITS, options?: KeyFileOptions): Promise<string> {
  const checked = checkKeyFileOptions(options);
  let loaded;
  try {
    loaded = await readKeyFile(path, checked);
  } catch (error) {
    if (isMissingFile(error)) return generateAndSave(path, bits);
    if (error instanceof KeyFormatError && !(error instanceof UnsupportedKeyError)) return replaceNonKey(path, bits, checked);
    throw error;
  }
  requirePrivate(path, loaded.material);
  return loaded.pem;
}

/** The key-file operations `HandShake` uses on Node. */
export const nodeHandShakeKeyFiles: HandShakeKeyFiles = {
  loadOrCreate: loadOrCreateRSAKey,
  load: loadPrivateKeyFile,
  save: async (key, path) => writeFileAtomic(path, await exportPrivateKeyPem(key)),
};
