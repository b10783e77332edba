import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { ConfigError } from "../config.ts";
import { algorithmOf, type KeyAlgorithm, keyAlgorithms, type Signer } from "./types.ts";

export interface FileSignerConfig {
  path: string;
  algorithm: KeyAlgorithm;
  /** Generate and write a key when the file does not exist (local mode). */
  create: boolean;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

function isPresent(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "EEXIST";
}

/** Writes a fresh key readable by its owner only; if another process won the race, its key is used. */
async function generateKeyFile(path: string, algorithm: KeyAlgorithm): Promise<string> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: keyAlgorithms[algorithm].namedCurve });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, pem, { mode: 0o600, flag: "wx" });
    return pem;
  } catch (error) {
    if (isPresent(error)) return readFile(path, "utf8");
    throw error;
  }
}

async function readKeyFile(config: FileSignerConfig): Promise<string> {
  try {
    return await readFile(config.path, "utf8");
  } catch (error) {
    if (!isMissing(error))
      throw new ConfigError(`${config.path}: cannot read signing key (${String(error)})`);
    if (config.create) return generateKeyFile(config.path, config.algorithm);
    throw new ConfigError(`${config.path}: signing key file does not exist`);
  }
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `an EC key on ${curve}` : `an ${key.asymmetricKeyType} key`;
}

function parsePrivateKey(path: string, pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new ConfigError(`${path}: not an unencrypted PEM private key`);
  }
}

/** A signer over a PEM (PKCS#8) EC private key file. */
export async function loadFileSigner(config: FileSignerConfig): Promise<Signer> {
  const privateKey = parsePrivateKey(config.path, await readKeyFile(config));
  const found = algorithmOf(privateKey);
  if (found !== config.algorithm) {
    const what = found ?? describeKey(privateKey);
    throw new ConfigError(`${config.path}: key is ${what}, but ${config.algorithm} is configured`);
  }
  const publicKey = createPublicKey(privateKey);
  const { hash } = keyAlgorithms[config.algorithm];
  return {
    algorithm: config.algorithm,
    publicKey,
    spki: publicKey.export({ type: "spki", format: "der" }),
    // Synchronous on purpose: the callback form of crypto.sign spends longer on the event loop
    // setting up its thread-pool job (~70 µs for P-256) than the whole signature takes here
    // (~45 µs), so it buys no concurrency and costs CPU (measured by `npm run bench:ca`).
    sign: async (data) => sign(hash, data, { key: privateKey, dsaEncoding: "der" }),
  };
}

/**
 * A signer over a fresh key that is never stored: the throwaway root of a local-mode chain, or a
 * test's key. Signs as a key file would.
 */
export function ephemeralSigner(algorithm: KeyAlgorithm): Signer {
  const { hash, namedCurve } = keyAlgorithms[algorithm];
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve });
  return {
    algorithm,
    publicKey,
    spki: publicKey.export({ type: "spki", format: "der" }),
    sign: async (data) => sign(hash, data, privateKey),
  };
}
