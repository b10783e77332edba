import { join, resolve } from "node:path";
import { z } from "zod";
import { parseEnv } from "../common/config.ts";
import { signerFromEnv } from "../common/signer/index.ts";
import type { KeyAlgorithm } from "../common/signer/types.ts";

const shardSchema = z.strictObject({
  treeId: z.string().regex(/^[1-9]\d{0,18}$/, "tree ids are positive 64-bit decimal numbers"),
  storage: z.string().min(1),
  state: z.enum(["active", "frozen"]),
});

export type ShardConfig = z.infer<typeof shardSchema>;

const shardList = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "not valid JSON" });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(shardSchema)
      .min(1)
      .refine(
        (shards) => shards.filter((s) => s.state === "active").length === 1,
        "exactly one shard must be active",
      )
      .refine(
        (shards) => new Set(shards.map((s) => s.treeId)).size === shards.length,
        "tree ids must be unique",
      ),
  );

const signerKind = z.enum(["file", "kms"]);
const positiveInt = z.coerce.number().int().positive();

/** Everything the log reads from its environment, validated once at start. */
export function loadLogConfig(env: NodeJS.ProcessEnv = process.env) {
  const raw = parseEnv(
    {
      SIGNET_LOG_HOST: z.string().default("0.0.0.0"),
      SIGNET_LOG_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
      // Names the log in checkpoints: the origin line and the signature line (C2SP signed note).
      // Clients match it against the trusted root's baseUrl, so it must be the public host name.
      SIGNET_LOG_HOSTNAME: z
        .string()
        .regex(/^[a-z0-9.-]+(:\d+)?$/, "expected a host name")
        .default("localhost"),
      SIGNET_LOG_DATA_DIR: z.string().default(".signet/log"),
      SIGNET_LOG_SHARDS: shardList.optional(),
      SIGNET_LOG_SIGNER: signerKind.default("file"),
      SIGNET_LOG_KEY: z.string().optional(),
      SIGNET_LOG_MAX_BATCH: positiveInt.max(10_000).default(1024),
      SIGNET_LOG_BODY_LIMIT: positiveInt.default(128 * 1024),
      SIGNET_LOG_LEVEL: z
        .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
        .default("info"),
      SIGNET_CT_PREFIX: z
        .string()
        .regex(/^(\/[A-Za-z0-9._-]+)*$/, "expected empty or a path like /ctlog")
        .default(""),
      SIGNET_CT_TREE_ID: z
        .string()
        .regex(/^[1-9]\d{0,18}$/)
        .default("6962"),
      SIGNET_CT_STORAGE: z.string().optional(),
      SIGNET_CT_SIGNER: signerKind.default("file"),
      SIGNET_CT_KEY: z.string().optional(),
      SIGNET_CT_ROOTS: z.string().optional(),
      SIGNET_TSA_SIGNER: signerKind.default("file"),
      SIGNET_TSA_KEY: z.string().optional(),
      SIGNET_TSA_CHAIN: z.string().optional(),
    },
    env,
  );
  const dataDir = resolve(raw.SIGNET_LOG_DATA_DIR);
  // Clients verify checkpoints, SETs and SCTs with SHA-256 whatever the curve: those keys are
  // P-256. The TSA's algorithm travels in its tokens, so a P-384 KMS key works there too.
  const p256 = { file: "ecdsa-p256-sha256", kms: "ecdsa-p256-sha256" } as const;
  const signer = (
    kind: "file" | "kms",
    key: string | undefined,
    file: string,
    variable: string,
    algorithm: { file: KeyAlgorithm; kms?: KeyAlgorithm } = p256,
  ) => signerFromEnv(kind, key, join(dataDir, file), variable, algorithm);
  return {
    host: raw.SIGNET_LOG_HOST,
    port: raw.SIGNET_LOG_PORT,
    hostname: raw.SIGNET_LOG_HOSTNAME,
    dataDir,
    shards: raw.SIGNET_LOG_SHARDS,
    maxBatch: raw.SIGNET_LOG_MAX_BATCH,
    bodyLimit: raw.SIGNET_LOG_BODY_LIMIT,
    logLevel: raw.SIGNET_LOG_LEVEL,
    logSigner: signer(raw.SIGNET_LOG_SIGNER, raw.SIGNET_LOG_KEY, "log-key.pem", "SIGNET_LOG_KEY"),
    ct: {
      prefix: raw.SIGNET_CT_PREFIX,
      treeId: raw.SIGNET_CT_TREE_ID,
      storage: raw.SIGNET_CT_STORAGE ?? `sqlite:${join(dataDir, "ctlog.db")}`,
      signer: signer(raw.SIGNET_CT_SIGNER, raw.SIGNET_CT_KEY, "ctlog-key.pem", "SIGNET_CT_KEY"),
      rootsPath: raw.SIGNET_CT_ROOTS,
    },
    tsa: {
      signer: signer(raw.SIGNET_TSA_SIGNER, raw.SIGNET_TSA_KEY, "tsa-key.pem", "SIGNET_TSA_KEY", {
        file: "ecdsa-p256-sha256",
      }),
      chainPath: raw.SIGNET_TSA_CHAIN ?? join(dataDir, "tsa-chain.pem"),
      createChain: raw.SIGNET_TSA_CHAIN === undefined,
    },
  };
}

export type LogConfig = ReturnType<typeof loadLogConfig>;
