/**
 * `node images/sign.ts --environment staging --out <dir> <image>@sha256:<digest>...` signs each
 * pushed image with a Signet instance through the `sigstore` client, as keyless signing does
 * against the public good instance: the CA certifies the workflow's GitHub Actions identity, the
 * log records the signature, the TSA timestamps it. Writes `<dir>/<image name>.sigstore.json`.
 *
 * What is signed is what `cosign sign --new-bundle-format` signs, so `cosign verify` accepts it
 * unchanged: a DSSE envelope (payload type `application/vnd.in-toto+json`) over an in-toto v1
 * statement whose subject is the image manifest's digest and whose predicate type is
 * `https://sigstore.dev/cosign/sign/v1` with an empty predicate. The workflow attaches each
 * bundle to its image as an OCI 1.1 referrer (artifact type
 * `application/vnd.dev.sigstore.bundle.v0.3+json`), the layout cosign reads (cosign's
 * specs/BUNDLE_SPEC.md). Verification checks the statement's subject against the digest it
 * resolved, and the certificate against the identity given:
 *
 *   cosign verify --trusted-root trusted_root.json \
 *     --certificate-identity https://github.com/<owner>/<repo>/.github/workflows/images.yml@refs/heads/main \
 *     --certificate-oidc-issuer https://token.actions.githubusercontent.com <image>@sha256:<digest>
 *
 * A message signature over the digest bytes would also verify as a blob, but cosign's image
 * verification only looks for DSSE bundles; a statement also names the digest algorithm.
 *
 * The identity token: the GitHub Actions OIDC token with audience `sigstore` (the job needs
 * `permissions: id-token: write`), or `SIGSTORE_ID_TOKEN` when set (e.g. the local instance's dev
 * issuer).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { attest } from "sigstore";
import { z } from "zod";
import { endpointUrls } from "../src/config/endpoints.ts";
import { ConfigError, loadEnvironment } from "../src/config/load.ts";
import type { Environment } from "../src/config/schema.ts";

export const inTotoPayloadType = "application/vnd.in-toto+json";
export const inTotoStatementType = "https://in-toto.io/Statement/v1";
/** cosign's predicate type for an image signature in the bundle format (pkg/types/predicate.go). */
export const cosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1";

/** An invocation or environment that cannot work; the message is one line naming what is wrong. */
export class SignError extends Error {
  override readonly name = "SignError";
}

export interface ImageDigest {
  /** `<registry>/<path>` without tag or digest. */
  repository: string;
  /** The last path segment: `ca`, `log` or `prober`. */
  name: string;
  /** Lowercase hex SHA-256 of the image manifest (or index). */
  sha256: string;
}

const imageReference = /^([a-z0-9.-]+(?::\d+)?(?:\/[a-z0-9._-]+)+)(?::[\w.-]+)?@sha256:([a-f0-9]{64})$/;

/** An image named by digest; a tag alone names something that can change and is refused. */
export function parseImageReference(reference: string): ImageDigest {
  const match = imageReference.exec(reference);
  if (!match) {
    throw new SignError(`${reference}: expected <registry>/<path>[:tag]@sha256:<64 hex digits>`);
  }
  const [, repository = "", sha256 = ""] = match;
  return { repository, name: repository.slice(repository.lastIndexOf("/") + 1), sha256 };
}

/** The in-toto statement cosign signs for an image: the digest is the subject, nothing else is claimed. */
export function imageStatement(image: ImageDigest) {
  return {
    _type: inTotoStatementType,
    subject: [{ name: image.repository, digest: { sha256: image.sha256 } }],
    predicateType: cosignSignPredicateType,
    predicate: {},
  };
}

export interface SigningEndpoints {
  fulcioURL: string;
  rekorURL: string;
  tsaServerURL: string;
}

/** The environment's CA, log and TSA, at the host names its platform stack publishes. */
export function signingEndpoints(environment: Pick<Environment, "dns">): SigningEndpoints {
  const urls = endpointUrls(environment);
  return { fulcioURL: urls.ca, rekorURL: urls.rekor, tsaServerURL: urls.tsa };
}

const tokenEnvironment = z.object({
  SIGSTORE_ID_TOKEN: z.string().min(1).optional(),
  ACTIONS_ID_TOKEN_REQUEST_URL: z.url().optional(),
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: z.string().min(1).optional(),
});

export type TokenRequest = { kind: "explicit"; token: string } | { kind: "github"; url: URL; bearer: string };

/** Where the identity token comes from, decided before anything is built or fetched. */
export function tokenRequest(env: NodeJS.ProcessEnv): TokenRequest {
  const parsed = tokenEnvironment.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SignError(`${String(issue?.path[0])}: ${issue?.message}`);
  }
  const {
    SIGSTORE_ID_TOKEN: token,
    ACTIONS_ID_TOKEN_REQUEST_URL: url,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: bearer,
  } = parsed.data;
  if (token) return { kind: "explicit", token };
  // GitHub sets both only in jobs granted `permissions: id-token: write`.
  if (!url || !bearer) {
    throw new SignError(
      "ACTIONS_ID_TOKEN_REQUEST_URL: not set (the job needs permissions: id-token: write), and no SIGSTORE_ID_TOKEN",
    );
  }
  const request = new URL(url);
  request.searchParams.set("audience", "sigstore");
  return { kind: "github", url: request, bearer };
}

/** The token itself (GitHub docs, "Configuring OpenID Connect in cloud providers"). */
export async function identityToken(request: TokenRequest, fetchImpl = fetch): Promise<string> {
  if (request.kind === "explicit") return request.token;
  const response = await fetchImpl(request.url, {
    headers: { authorization: `bearer ${request.bearer}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new SignError(`GitHub OIDC token request answered ${response.status}`);
  const value = ((await response.json()) as { value?: unknown } | null)?.value;
  if (typeof value !== "string" || value === "")
    throw new SignError("GitHub OIDC token response has no value");
  return value;
}

export interface SignInvocation {
  environment: string;
  out: string;
  images: ImageDigest[];
}

/** `--environment <name> --out <dir> <image>@sha256:<digest>...`, each image named once. */
export function parseInvocation(argv: string[]): SignInvocation {
  const parsed = (() => {
    try {
      const options = { environment: { type: "string" }, out: { type: "string" } } as const;
      return parseArgs({ args: argv, options, allowPositionals: true });
    } catch (error) {
      throw new SignError((error as Error).message);
    }
  })();
  const { environment, out } = parsed.values;
  if (!environment) throw new SignError("--environment: required (the instance to sign with, e.g. staging)");
  if (!out) throw new SignError("--out: required (the directory the bundles are written to)");
  if (parsed.positionals.length === 0) throw new SignError("no image given: pass <image>@sha256:<digest>...");
  const images = parsed.positionals.map(parseImageReference);
  const names = images.map((image) => image.name);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated)
    throw new SignError(`${repeated}: named twice; each image's bundle is written to <name>.sigstore.json`);
  return { environment, out, images };
}

export type Attest = typeof attest;

/** One image's Sigstore bundle: its statement signed in DSSE, logged and timestamped. */
export async function signImage(
  image: ImageDigest,
  endpoints: SigningEndpoints,
  token: () => Promise<string>,
  attestImpl: Attest = attest,
) {
  const payload = Buffer.from(JSON.stringify(imageStatement(image)));
  return attestImpl(payload, inTotoPayloadType, {
    ...endpoints,
    // Asked for each image: an Actions token expires within minutes.
    identityProvider: { getToken: token },
    // A release should survive one slow answer from the CA, log or TSA.
    retry: { retries: 3 },
    timeout: 30_000,
  });
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const invocation = parseInvocation(argv);
  const endpoints = signingEndpoints(loadEnvironment(invocation.environment));
  const request = tokenRequest(env);
  mkdirSync(invocation.out, { recursive: true });
  for (const image of invocation.images) {
    const bundle = await signImage(image, endpoints, () => identityToken(request));
    const file = join(invocation.out, `${image.name}.sigstore.json`);
    writeFileSync(file, `${JSON.stringify(bundle)}\n`);
    const logIndex = bundle.verificationMaterial.tlogEntries[0]?.logIndex ?? "none";
    console.log(`${image.repository}@sha256:${image.sha256} signed: ${file}, log index ${logIndex}`);
  }
}

if (import.meta.main) {
  main(process.argv.slice(2), process.env).catch((error: unknown) => {
    if (!(error instanceof SignError || error instanceof ConfigError)) throw error;
    console.error(`images/sign.ts: ${error.message}`);
    process.exit(1);
  });
}
