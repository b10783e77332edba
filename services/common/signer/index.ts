import { ConfigError } from "../config.ts";
import { type KmsClientLike, type KmsSignerConfig, loadKmsSigner } from "./kms.ts";
import { type FileSignerConfig, loadFileSigner } from "./local.ts";
import type { KeyAlgorithm, Signer } from "./types.ts";

export type { KmsClientLike } from "./kms.ts";
export type { KeyAlgorithm, Signer } from "./types.ts";

export type SignerConfig =
  | ({ kind: "file" } & FileSignerConfig)
  | ({ kind: "kms"; client?: KmsClientLike } & Omit<KmsSignerConfig, "client">);

/** Loads the configured signer; a KMS client is created (with application default credentials) unless given. */
export async function loadSigner(config: SignerConfig): Promise<Signer> {
  if (config.kind === "file") return loadFileSigner(config);
  const client = config.client ?? (await defaultKmsClient());
  return loadKmsSigner({ ...config, client });
}

// Imported on demand: the gRPC stack costs start-up time that file-keyed local runs do not need.
async function defaultKmsClient(): Promise<KmsClientLike> {
  const { KeyManagementServiceClient } = await import("@google-cloud/kms");
  return new KeyManagementServiceClient();
}

/**
 * A signer as services configure it from the environment: `kms` needs a key version resource
 * name; `file` uses the given key path, or generates `defaultPath` on first start. `algorithm.file`
 * is the curve of a key file; `algorithm.kms`, when set, is the only algorithm a KMS key may have
 * (otherwise the key's own algorithm is used).
 */
export function signerFromEnv(
  kind: "file" | "kms",
  key: string | undefined,
  defaultPath: string,
  variable: string,
  algorithm: { file: KeyAlgorithm; kms?: KeyAlgorithm },
): SignerConfig {
  if (kind === "file")
    return { kind, path: key ?? defaultPath, create: key === undefined, algorithm: algorithm.file };
  if (key === undefined) throw new ConfigError(`${variable}: required when its signer is kms`);
  return { kind, keyVersion: key, ...(algorithm.kms ? { algorithm: algorithm.kms } : {}) };
}

/** signerFromEnv for the init commands, which create the key files they are pointed at. */
export function initSignerFromEnv(...args: Parameters<typeof signerFromEnv>): SignerConfig {
  const config = signerFromEnv(...args);
  return config.kind === "file" ? { ...config, create: true } : config;
}
