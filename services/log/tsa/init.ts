/**
 * `tsa init`: issues the timestamp authority's certificate chain — a root, and a leaf with the
 * critical timeStamping EKU for the TSA's signing key — with the configured signers (Cloud KMS in
 * the clouds), and writes it where the log reads `SIGNET_TSA_CHAIN`. In local mode the log makes
 * its own chain under a throwaway root; a deployment whose TSA key lives in Cloud KMS gets its
 * chain here, once per key (docs/runbooks/rotate-signing-key.md).
 *
 *   SIGNET_TSA_SIGNER=kms SIGNET_TSA_KEY=projects/…/cryptoKeys/tsa/cryptoKeyVersions/1 \
 *   SIGNET_TSA_ROOT_SIGNER=kms SIGNET_TSA_ROOT_KEY=projects/…/cryptoKeyVersions/1 \
 *   SIGNET_TSA_CHAIN=tsa-chain.pem node services/log/tsa/init.ts
 */
import { X509Certificate } from "node:crypto";
import { join, resolve } from "node:path";
import { z } from "zod";
import { ConfigError, parseEnv, runMain } from "../../common/config.ts";
import { writeFileOnce } from "../../common/files.ts";
import { initSignerFromEnv, loadSigner, type SignerConfig } from "../../common/signer/index.ts";
import { createTsaChain, type TsaChain } from "./chain.ts";

/** `tsa init`'s environment: the TSA and root signers (file keys are generated when missing). */
export function loadTsaInitConfig(env: NodeJS.ProcessEnv = process.env) {
  const raw = parseEnv(
    {
      SIGNET_LOG_DATA_DIR: z.string().default(".signet/log"),
      SIGNET_TSA_SIGNER: z.enum(["file", "kms"]).default("file"),
      SIGNET_TSA_KEY: z.string().optional(),
      SIGNET_TSA_ROOT_SIGNER: z.enum(["file", "kms"]).default("file"),
      SIGNET_TSA_ROOT_KEY: z.string().optional(),
      SIGNET_TSA_CHAIN: z.string().optional(),
      SIGNET_TSA_ORGANIZATION: z.string().min(1).default("Signet"),
      SIGNET_TSA_COMMON_NAME: z.string().min(1).default("Signet Timestamp Authority"),
      SIGNET_TSA_INIT_FORCE: z.stringbool().default(false),
    },
    env,
  );
  const dataDir = resolve(raw.SIGNET_LOG_DATA_DIR);
  // A Cloud KMS key keeps its own algorithm (the platform's tsa key is P-384); key files are P-256.
  const signer = (kind: "file" | "kms", key: string | undefined, file: string, variable: string) =>
    initSignerFromEnv(kind, key, join(dataDir, file), variable, { file: "ecdsa-p256-sha256" });
  return {
    signer: signer(raw.SIGNET_TSA_SIGNER, raw.SIGNET_TSA_KEY, "tsa-key.pem", "SIGNET_TSA_KEY"),
    rootSigner: signer(
      raw.SIGNET_TSA_ROOT_SIGNER,
      raw.SIGNET_TSA_ROOT_KEY,
      "tsa-root-key.pem",
      "SIGNET_TSA_ROOT_KEY",
    ),
    subject: { organization: raw.SIGNET_TSA_ORGANIZATION, commonName: raw.SIGNET_TSA_COMMON_NAME },
    out: raw.SIGNET_TSA_CHAIN ?? join(dataDir, "tsa-chain.pem"),
    force: raw.SIGNET_TSA_INIT_FORCE,
  };
}

export type TsaInitConfig = ReturnType<typeof loadTsaInitConfig>;

/** Issues the chain and writes it; without `force`, an existing chain file is kept and refused. */
export async function initTsaChain(
  config: TsaInitConfig,
  load: (config: SignerConfig) => ReturnType<typeof loadSigner> = loadSigner,
): Promise<TsaChain> {
  const [signer, rootSigner] = await Promise.all([load(config.signer), load(config.rootSigner)]);
  if (signer.spki.equals(rootSigner.spki))
    throw new ConfigError("SIGNET_TSA_ROOT_KEY: the root must have a key of its own, not the TSA's");
  const chain = await createTsaChain({ signer, rootSigner, subject: config.subject });
  await writeFileOnce(
    config.out,
    chain.pem,
    config.force,
    "a TSA certificate chain already exists; set SIGNET_TSA_INIT_FORCE=true to replace it",
  );
  return chain;
}

if (import.meta.main) {
  runMain(async () => {
    const config = loadTsaInitConfig();
    const chain = await initTsaChain(config);
    const root = new X509Certificate(chain.der.at(-1) as Buffer);
    process.stdout.write(
      `signet: wrote the TSA chain to ${config.out} (root SHA-256 ${root.fingerprint256})\n`,
    );
  });
}
