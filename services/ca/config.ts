import { join, resolve } from "node:path";
import { z } from "zod";
import { ConfigError, parseEnv } from "../common/config.ts";
import { signerFromEnv } from "../common/signer/index.ts";
import { IssuerRegistry } from "./identity/issuers.ts";
import { caKeyAlgorithm } from "./init.ts";

const issuerSchema = z
  .strictObject({
    url: z.url().optional(),
    metaUrl: z
      .string()
      .regex(/^https?:\/\//, "expected an http(s) URL pattern")
      .optional(),
    clientId: z.string().min(1).default("sigstore"),
    type: z.enum(["email", "kubernetes", "github-workflow", "uri", "spiffe"]),
    subjectDomain: z.string().min(1).optional(),
  })
  .refine((i) => (i.url === undefined) !== (i.metaUrl === undefined), "exactly one of url and metaUrl")
  .refine(
    (i) => !["uri", "spiffe"].includes(i.type) || i.subjectDomain !== undefined,
    "uri and spiffe issuers need subjectDomain",
  );

const issuerList = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "not valid JSON" });
      return z.NEVER;
    }
  })
  .pipe(z.array(issuerSchema).min(1))
  // The identity verifier's own checks (subject and trust domains, duplicates) run here too, so
  // a bad issuer stops the start with a line that names this variable.
  .superRefine((issuers, ctx) => {
    try {
      new IssuerRegistry(issuers);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      ctx.addIssue({ code: "custom", message: error.message });
    }
  });

const perMinute = z.coerce.number().int().min(0);

/** Everything the CA reads from its environment, validated once at start. */
export function loadCaConfig(env: NodeJS.ProcessEnv = process.env) {
  const raw = parseEnv(
    {
      SIGNET_CA_HOST: z.string().default("0.0.0.0"),
      SIGNET_CA_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
      SIGNET_CA_DATA_DIR: z.string().default(".signet/ca"),
      SIGNET_CA_ISSUERS: issuerList,
      SIGNET_CA_SIGNER: z.enum(["file", "kms"]).default("file"),
      SIGNET_CA_KEY: z.string().optional(),
      SIGNET_CA_CHAIN: z.string().optional(),
      // The CT log's base URL (including any prefix); without one, certificates carry no SCT.
      SIGNET_CA_CT_URL: z.url({ protocol: /^https?$/ }).optional(),
      SIGNET_CA_CT_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
      SIGNET_CA_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(600).default(60),
      // 0 turns a limit off.
      SIGNET_CA_RATE_PER_IP: perMinute.default(600),
      SIGNET_CA_RATE_PER_IDENTITY: perMinute.default(120),
      // Proxies believed for the client address the per-address limit keys on (comma-separated
      // addresses or CIDRs); none by default, so a client cannot spoof X-Forwarded-For.
      SIGNET_CA_TRUSTED_PROXIES: z
        .string()
        .regex(/^[0-9a-fA-F.:/]+(,\s*[0-9a-fA-F.:/]+)*$/, "expected comma-separated addresses or CIDRs")
        .optional(),
      SIGNET_CA_BODY_LIMIT: z.coerce
        .number()
        .int()
        .positive()
        .default(64 * 1024),
      SIGNET_CA_LOG_LEVEL: z
        .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
        .default("info"),
    },
    env,
  );
  const dataDir = resolve(raw.SIGNET_CA_DATA_DIR);
  return {
    host: raw.SIGNET_CA_HOST,
    port: raw.SIGNET_CA_PORT,
    dataDir,
    issuers: raw.SIGNET_CA_ISSUERS,
    signer: signerFromEnv(
      raw.SIGNET_CA_SIGNER,
      raw.SIGNET_CA_KEY,
      join(dataDir, "ca-key.pem"),
      "SIGNET_CA_KEY",
      // A KMS key keeps its own algorithm (the platform's CA key is P-384, as Fulcio's).
      { file: caKeyAlgorithm },
    ),
    chainPath: raw.SIGNET_CA_CHAIN ?? join(dataDir, "chain.pem"),
    // A chain is generated only for a key generated here (local mode); otherwise `ca init` made it.
    createChain: raw.SIGNET_CA_CHAIN === undefined && raw.SIGNET_CA_KEY === undefined,
    ct: raw.SIGNET_CA_CT_URL
      ? { url: raw.SIGNET_CA_CT_URL, timeoutMs: raw.SIGNET_CA_CT_TIMEOUT_MS }
      : undefined,
    clockSkewSeconds: raw.SIGNET_CA_CLOCK_SKEW_SECONDS,
    rateLimits: { perIp: raw.SIGNET_CA_RATE_PER_IP, perIdentity: raw.SIGNET_CA_RATE_PER_IDENTITY },
    trustedProxies: raw.SIGNET_CA_TRUSTED_PROXIES,
    bodyLimit: raw.SIGNET_CA_BODY_LIMIT,
    logLevel: raw.SIGNET_CA_LOG_LEVEL,
  };
}

export type CaConfig = ReturnType<typeof loadCaConfig>;
