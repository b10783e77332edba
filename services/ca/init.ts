import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { ConfigError, parseEnv, runMain } from "../common/config.ts";
import { readIfPresent, writeFileOnce } from "../common/files.ts";
import { certificatesFromPem } from "../common/pem.ts";
import { initSignerFromEnv, loadSigner, type SignerConfig } from "../common/signer/index.ts";
import { ephemeralSigner } from "../common/signer/local.ts";
import type { KeyAlgorithm, Signer } from "../common/signer/types.ts";
import { issueCaHierarchy } from "./certificate/hierarchy.ts";

export interface InitChainOptions {
  rootSigner: Signer;
  /** The CA service's own signer: the intermediate certifies its key. */
  intermediateSigner: Signer;
  subject: { organization: string; commonName: string };
  /** Where the PEM chain (intermediate, then root) is written. */
  out: string;
  /** Replace an existing chain file; without it an existing file is refused. */
  force?: boolean;
}

/** The algorithm the CA service loads its signer with, so the intermediate certifies such a key. */
export const caKeyAlgorithm: KeyAlgorithm = "ecdsa-p256-sha256";
// certificate-specification.md: a root SHOULD use P-384 or stronger.
const rootKeyAlgorithm: KeyAlgorithm = "ecdsa-p384-sha384";

/** `ca init`: issues the root and intermediate with the configured signers and writes the chain. */
export async function initChain(options: InitChainOptions): Promise<Buffer[]> {
  const chain = await issueCaHierarchy(options);
  await writeChain(options.out, chain, options.force ?? false);
  return chain;
}

/**
 * The chain the service serves, read from `path`. In local mode (`createIfMissing`) a missing
 * chain is issued on first start under a throwaway root key that is never stored.
 */
export async function loadOrCreateChain(
  path: string,
  signer: Signer,
  createIfMissing: boolean,
): Promise<Buffer[]> {
  const stored = await readIfPresent(path);
  if (stored !== undefined) return parsePemChain(stored, path);
  if (!createIfMissing)
    throw new ConfigError(`${path}: the CA certificate chain does not exist; run ca init`);
  const chain = await issueCaHierarchy({
    rootSigner: ephemeralSigner(rootKeyAlgorithm),
    intermediateSigner: signer,
    subject: { organization: "Signet", commonName: "signet-local" },
  });
  try {
    await writeChain(path, chain, false);
    return chain;
  } catch (error) {
    // Another replica starting at the same moment wrote its chain first: serve that one.
    if (error instanceof ConfigError) return parsePemChain(await readFile(path, "utf8"), path);
    throw error;
  }
}

export function parsePemChain(pem: string, path: string): Buffer[] {
  return certificatesFromPem(pem, path, (message) => new ConfigError(message));
}

async function writeChain(path: string, chain: readonly Buffer[], force: boolean): Promise<void> {
  const pem = chain.map((der) => new X509Certificate(der).toString()).join("");
  await writeFileOnce(
    path,
    pem,
    force,
    "a CA certificate chain already exists; set SIGNET_CA_INIT_FORCE=true to replace it",
  );
}

/** `ca init`'s environment: the two signers (file keys are generated when missing), names, output. */
export function loadInitConfig(env: NodeJS.ProcessEnv = process.env) {
  const raw = parseEnv(
    {
      SIGNET_CA_DATA_DIR: z.string().default(".signet/ca"),
      SIGNET_CA_SIGNER: z.enum(["file", "kms"]).default("file"),
      SIGNET_CA_KEY: z.string().optional(),
      SIGNET_CA_ROOT_SIGNER: z.enum(["file", "kms"]).default("file"),
      SIGNET_CA_ROOT_KEY: z.string().optional(),
      SIGNET_CA_CHAIN: z.string().optional(),
      SIGNET_CA_ORGANIZATION: z.string().min(1).default("Signet"),
      SIGNET_CA_COMMON_NAME: z.string().min(1).default("signet"),
      SIGNET_CA_INIT_FORCE: z.stringbool().default(false),
    },
    env,
  );
  const dataDir = resolve(raw.SIGNET_CA_DATA_DIR);
  const signer = (
    kind: "file" | "kms",
    key: string | undefined,
    file: string,
    variable: string,
    fileAlgorithm: KeyAlgorithm,
  ): SignerConfig => initSignerFromEnv(kind, key, join(dataDir, file), variable, { file: fileAlgorithm });
  return {
    rootSigner: signer(
      raw.SIGNET_CA_ROOT_SIGNER,
      raw.SIGNET_CA_ROOT_KEY,
      "root-key.pem",
      "SIGNET_CA_ROOT_KEY",
      rootKeyAlgorithm,
    ),
    intermediateSigner: signer(
      raw.SIGNET_CA_SIGNER,
      raw.SIGNET_CA_KEY,
      "ca-key.pem",
      "SIGNET_CA_KEY",
      // A Cloud KMS key keeps its own algorithm, as the service accepts it (the platform's is P-384).
      caKeyAlgorithm,
    ),
    subject: { organization: raw.SIGNET_CA_ORGANIZATION, commonName: raw.SIGNET_CA_COMMON_NAME },
    out: raw.SIGNET_CA_CHAIN ?? join(dataDir, "chain.pem"),
    force: raw.SIGNET_CA_INIT_FORCE,
  };
}

if (import.meta.main) {
  runMain(async () => {
    const config = loadInitConfig();
    const [rootSigner, intermediateSigner] = await Promise.all([
      loadSigner(config.rootSigner),
      loadSigner(config.intermediateSigner),
    ]);
    const chain = await initChain({ ...config, rootSigner, intermediateSigner });
    const root = new X509Certificate(chain.at(-1) as Buffer);
    process.stdout.write(
      `signet: wrote the CA chain to ${config.out} (root SHA-256 ${root.fingerprint256})\n`,
    );
  });
}
