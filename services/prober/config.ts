import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { ConfigError, parseEnv } from "../common/config.ts";

/** Where the write probe gets its OIDC identity token; see token.ts. */
export type TokenSourceConfig =
  | { kind: "kubernetes"; path: string }
  | { kind: "github"; requestUrl: string; requestToken: string }
  | { kind: "dev"; issuerUrl: string; subject: string; email: string };

/** How the prober obtains the trusted root: through TUF as clients do, or from a file. */
export type TrustRootConfig =
  | { kind: "tuf"; mirrorUrl: string; rootPath: string; cachePath: string }
  | { kind: "file"; path: string };

export interface ProberUrls {
  ca: string;
  rekor: string;
  /** The CT log's base URL, including its prefix (SIGNET_CT_PREFIX on the log). */
  ctlog?: string;
  tsa?: string;
}

/** The identity the write probe's certificates must carry, checked by the verification policy. */
export interface ExpectedIdentity {
  subjectAlternativeName: string;
  issuer: string;
}

const url = z.url().transform((value) => value.replace(/\/+$/, ""));
const devSubject = "signet-prober";
const devEmail = "prober@signet.localhost";

/** Everything the prober reads from its environment, validated once at start. */
export function loadProberConfig(env: NodeJS.ProcessEnv = process.env) {
  const raw = parseEnv(
    {
      SIGNET_PROBER_HOST: z.string().default("0.0.0.0"),
      // sigstore-prober's chart scrapes :8080.
      SIGNET_PROBER_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
      SIGNET_PROBER_CA_URL: url,
      SIGNET_PROBER_REKOR_URL: url,
      SIGNET_PROBER_CT_URL: url.optional(),
      SIGNET_PROBER_TSA_URL: url.optional(),
      SIGNET_PROBER_TUF_URL: url.optional(),
      SIGNET_PROBER_TUF_ROOT: z.string().min(1).optional(),
      SIGNET_PROBER_TUF_CACHE: z.string().min(1).default(join(tmpdir(), "signet-prober-tuf")),
      SIGNET_PROBER_TRUSTED_ROOT: z.string().min(1).optional(),
      SIGNET_PROBER_TOKEN_SOURCE: z.enum(["kubernetes", "github", "dev"]).default("kubernetes"),
      SIGNET_PROBER_TOKEN_PATH: z.string().min(1).default("/var/run/secrets/tokens/sigstore"),
      SIGNET_PROBER_OIDC_URL: url.optional(),
      SIGNET_PROBER_DEV_SUBJECT: z.string().min(1).default(devSubject),
      SIGNET_PROBER_DEV_EMAIL: z.email().default(devEmail),
      ACTIONS_ID_TOKEN_REQUEST_URL: z.url().optional(),
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: z.string().min(1).optional(),
      SIGNET_PROBER_IDENTITY: z.string().min(1).optional(),
      SIGNET_PROBER_ISSUER: z.string().min(1).optional(),
      SIGNET_PROBER_INTERVAL_SECONDS: z.coerce.number().positive().default(10),
      SIGNET_PROBER_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
      // Retries of the signing client's own requests (sigstore.sign's default is 2).
      SIGNET_PROBER_CLIENT_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
      SIGNET_PROBER_STATE: z.string().min(1).optional(),
      SIGNET_PROBER_WRITE: z.stringbool().default(true),
      SIGNET_PROBER_LOG_LEVEL: z
        .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
        .default("info"),
    },
    env,
  );
  const tokenSource = tokenSourceOf(raw);
  const urls: ProberUrls = {
    ca: raw.SIGNET_PROBER_CA_URL,
    rekor: raw.SIGNET_PROBER_REKOR_URL,
    ctlog: raw.SIGNET_PROBER_CT_URL,
    tsa: raw.SIGNET_PROBER_TSA_URL,
  };
  return {
    host: raw.SIGNET_PROBER_HOST,
    port: raw.SIGNET_PROBER_PORT,
    urls,
    trustRoot: trustRootOf(raw),
    tokenSource,
    identity: identityOf(raw, tokenSource),
    intervalMs: raw.SIGNET_PROBER_INTERVAL_SECONDS * 1000,
    timeoutMs: raw.SIGNET_PROBER_TIMEOUT_MS,
    clientRetries: raw.SIGNET_PROBER_CLIENT_RETRIES,
    statePath: raw.SIGNET_PROBER_STATE,
    write: raw.SIGNET_PROBER_WRITE,
    logLevel: raw.SIGNET_PROBER_LOG_LEVEL,
  };
}

export type ProberConfig = ReturnType<typeof loadProberConfig>;

interface TrustRootVariables {
  SIGNET_PROBER_TUF_URL?: string | undefined;
  SIGNET_PROBER_TUF_ROOT?: string | undefined;
  SIGNET_PROBER_TUF_CACHE: string;
  SIGNET_PROBER_TRUSTED_ROOT?: string | undefined;
}

function trustRootOf(raw: TrustRootVariables): TrustRootConfig {
  const { SIGNET_PROBER_TUF_URL: mirrorUrl, SIGNET_PROBER_TRUSTED_ROOT: path } = raw;
  if ((mirrorUrl === undefined) === (path === undefined)) {
    throw new ConfigError("SIGNET_PROBER_TUF_URL or SIGNET_PROBER_TRUSTED_ROOT: set exactly one");
  }
  if (path !== undefined) return { kind: "file", path };
  // A private instance's root is not among @sigstore/tuf's seeds: the client must start from one.
  if (raw.SIGNET_PROBER_TUF_ROOT === undefined) {
    throw new ConfigError("SIGNET_PROBER_TUF_ROOT: required with SIGNET_PROBER_TUF_URL");
  }
  return {
    kind: "tuf",
    mirrorUrl: mirrorUrl as string,
    rootPath: raw.SIGNET_PROBER_TUF_ROOT,
    cachePath: raw.SIGNET_PROBER_TUF_CACHE,
  };
}

interface TokenVariables {
  SIGNET_PROBER_TOKEN_SOURCE: "kubernetes" | "github" | "dev";
  SIGNET_PROBER_TOKEN_PATH: string;
  SIGNET_PROBER_OIDC_URL?: string | undefined;
  SIGNET_PROBER_DEV_SUBJECT: string;
  SIGNET_PROBER_DEV_EMAIL: string;
  ACTIONS_ID_TOKEN_REQUEST_URL?: string | undefined;
  ACTIONS_ID_TOKEN_REQUEST_TOKEN?: string | undefined;
}

function tokenSourceOf(raw: TokenVariables): TokenSourceConfig {
  switch (raw.SIGNET_PROBER_TOKEN_SOURCE) {
    case "kubernetes":
      return { kind: "kubernetes", path: raw.SIGNET_PROBER_TOKEN_PATH };
    case "github": {
      const { ACTIONS_ID_TOKEN_REQUEST_URL: requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken } = raw;
      // GitHub sets both only for jobs granted `permissions: id-token: write`.
      if (!requestUrl || !requestToken) {
        throw new ConfigError(
          "ACTIONS_ID_TOKEN_REQUEST_URL: required (with ACTIONS_ID_TOKEN_REQUEST_TOKEN) for the github token source",
        );
      }
      return { kind: "github", requestUrl, requestToken };
    }
    case "dev": {
      if (!raw.SIGNET_PROBER_OIDC_URL) {
        throw new ConfigError("SIGNET_PROBER_OIDC_URL: required for the dev token source");
      }
      return {
        kind: "dev",
        issuerUrl: raw.SIGNET_PROBER_OIDC_URL,
        subject: raw.SIGNET_PROBER_DEV_SUBJECT,
        email: raw.SIGNET_PROBER_DEV_EMAIL,
      };
    }
  }
}

function identityOf(
  raw: { SIGNET_PROBER_IDENTITY?: string | undefined; SIGNET_PROBER_ISSUER?: string | undefined },
  source: TokenSourceConfig,
): ExpectedIdentity {
  // The dev issuer mints exactly the identity we ask it for; elsewhere the operator names it.
  const san = raw.SIGNET_PROBER_IDENTITY ?? (source.kind === "dev" ? source.email : undefined);
  const issuer = raw.SIGNET_PROBER_ISSUER ?? (source.kind === "dev" ? source.issuerUrl : undefined);
  if (san === undefined) throw new ConfigError("SIGNET_PROBER_IDENTITY: required but not set");
  if (issuer === undefined) throw new ConfigError("SIGNET_PROBER_ISSUER: required but not set");
  return { subjectAlternativeName: san, issuer };
}
