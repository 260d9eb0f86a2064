/**
 * RSA key files as the Python reference keeps them (PKCS#1 PEM private keys, SPKI PEM
 * public keys), written atomically with mode 0600.
 *
 * @module
 */
import { chmod, copyFile } from "node:fs/promises";
import { KeyFormatError } from "../errors.js";
import { DEFAULT_KEY_BITS } from "../rsa/constants.js";
import type { HandShakeKeyFiles } from "../rsa/handshake.js";
import { exportPrivateKeyPem, exportPublicKeyPem, generateRSAKeyPair, keyMaterial, type RSAKeyInput } from "../rsa/keys.js";
import { parseKeyMaterial } from "../rsa/pem.js";
import { PRIVATE_FILE_MODE, readTextFile, writeFileAtomic } from "./files.js";

/** `process.emitWarning` code when an unreadable key file was replaced. */
export const KEY_FILE_REPLACED_WARNING = "POORMAN_KEY_FILE_REPLACED";

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
 */
export async function exportRSAKey(key: RSAKeyInput, path: string): Promise<void> {
  const material = await keyMaterial(key);
  const pem = material.type === "private" ? await exportPrivateKeyPem(key) : await exportPublicKeyPem(key);
  await writeFileAtomic(path, pem);
}

/**
 * Reads a PEM key file (public or private, PKCS#1, PKCS#8 or SPKI), like the
 * reference's `load_RSA_key`.
 * @param path - the file to read
 * @returns the file's PEM text, checked to hold an RSA key
 * @throws KeyFormatError when the file does not hold one
 */
export async function loadRSAKey(path: string): Promise<string> {
  const pem = await readTextFile(path);
  try {
    parseKeyMaterial(pem, path);
  } catch (cause) {
    throw new KeyFormatError(`${path} does not hold an RSA key in PEM`, { cause });
  }
  return pem;
}

/** Loads the private key of `path`; a public-key file is a clear error. */
async function loadPrivateKeyFile(path: string): Promise<string> {
  const pem = await loadRSAKey(path);
  if (parseKeyMaterial(pem, path).type !== "private") {
    throw new KeyFormatError(`${path} holds a public key only; a handshake needs the private key file`);
  }
  return pem;
}

async function generateAndSave(path: string, bits: number): Promise<string> {
  const { privateKey } = await createRSAKey(bits);
  await writeFileAtomic(path, privateKey);
  return privateKey;
}

/**
 * Loads the private key of `path`, or generates and saves one when there is none,
 * as `HandShake(path)` does. A file that does not parse is copied to `path + ".bak"`
 * (replacing an older backup, mode 0600) and a new key is generated and saved, with a
 * `process` warning of code {@link KEY_FILE_REPLACED_WARNING}.
 * @param path - the key file
 * @param bits - modulus size of a generated key
 * @returns the private key PEM
 * @throws KeyFormatError when the file holds a public key only (it is left untouched)
 */
export async function loadOrCreateRSAKey(path: string, bits: number = DEFAULT_KEY_BITS): Promise<string> {
  let pem: string;
  try {
    pem = await readTextFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return generateAndSave(path, bits);
  }
  let material;
  try {
    material = parseKeyMaterial(pem, path);
  } catch {
    const backup = `${path}.bak`;
    await copyFile(path, backup);
    await chmod(backup, PRIVATE_FILE_MODE);
    const key = await generateAndSave(path, bits);
    process.emitWarning(`${path} did not hold an RSA key; it was copied to ${backup} and a new key was generated`, {
      code: KEY_FILE_REPLACED_WARNING,
      type: "PoormanKeyFileWarning",
    });
    return key;
  }
  if (material.type !== "private") {
    throw new KeyFormatError(`${path} holds a public key only; a handshake needs the private key file`);
  }
  return pem;
}

/** The key-file operations `HandShake` uses on Node. */
export const nodeHandShakeKeyFiles: HandShakeKeyFiles = {
  loadOrCreate: loadOrCreateRSAKey,
  load: loadPrivateKeyFile,
  save: async (key, path) => writeFileAtomic(path, await exportPrivateKeyPem(key)),
};
