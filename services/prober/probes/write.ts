import { createHash, randomBytes } from "node:crypto";
import { bundleFromJSON } from "@sigstore/bundle";
import type { TrustedRoot } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, type VerificationPolicy, Verifier } from "@sigstore/verify";
import * as sigstore from "sigstore";
import type { ExpectedIdentity, ProberUrls } from "../config.ts";
import { ProbeError } from "../errors.ts";
import type { ProberMetrics } from "../metrics.ts";
import type { Round } from "../recorder.ts";
import type { TokenSource } from "../token.ts";

/** The hashedrekord entry the write probe added, for the read probes to look up. */
export interface WrittenEntry {
  logIndex: number;
  /** Hex SHA-256 of the signed artifact: its search key in the log's index. */
  artifactDigest: string;
}

export interface WriteProbeOptions {
  urls: ProberUrls;
  tokens: TokenSource;
  identity: ExpectedIdentity;
  /** Absent when it could not be loaded this round: bundles are then counted as unverified. */
  trustedRoot: TrustedRoot | undefined;
  clientRetries: number;
  timeoutMs: number;
  metrics: ProberMetrics;
}

type Bundle = Awaited<ReturnType<typeof sigstore.sign>>;

const inTotoType = "application/vnd.in-toto+json";

/**
 * Signs a fresh artifact and attests to it with the real sigstore client, as a user would, then
 * verifies both bundles against the trusted root with every threshold at 1: an embedded SCT, a
 * log entry with inclusion proof, and a timestamp.
 */
export async function writeProbe(
  round: Round,
  options: WriteProbeOptions,
): Promise<WrittenEntry | undefined> {
  const token = await round.step("oidc", "identity token", () => options.tokens.identityToken());
  if (token === undefined) {
    round.skipped("client", "sign (hashedrekord)", "no identity token");
    return undefined;
  }
  const artifact = randomBytes(64);
  const signed = await round.step("client", "sign (hashedrekord)", () =>
    round.observe(() => sigstore.sign(artifact, signOptions(options, token))),
  );
  if (signed) await verifyBundle(round, "verify (hashedrekord)", options, signed, artifact);

  const statement = Buffer.from(JSON.stringify(inTotoStatement(artifact)));
  const attested = await round.step("client", "attest (dsse)", () =>
    round.observe(() => sigstore.attest(statement, inTotoType, signOptions(options, token))),
  );
  if (attested) await verifyBundle(round, "verify (dsse)", options, attested);
  return signed ? writtenEntry(signed, artifact) : undefined;
}

function signOptions(options: WriteProbeOptions, identityToken: string): sigstore.SignOptions {
  const { ca, rekor, tsa } = options.urls;
  return {
    fulcioURL: ca,
    rekorURL: rekor,
    ...(tsa ? { tsaServerURL: `${tsa}/api/v1/timestamp` } : {}),
    identityToken,
    retry: options.clientRetries,
    timeout: options.timeoutMs,
  };
}

/** Verifies one bundle and counts the outcome in `verification{verified}`. */
async function verifyBundle(
  round: Round,
  name: string,
  options: WriteProbeOptions,
  bundle: Bundle,
  artifact?: Buffer,
): Promise<void> {
  const verified = await round.step("client", name, async () => {
    if (!options.trustedRoot) throw new ProbeError("NO_TRUSTED_ROOT", "no trusted root to verify against");
    const verifier = new Verifier(toTrustMaterial(options.trustedRoot), {
      ctlogThreshold: 1,
      tlogThreshold: 1,
      timestampThreshold: 1,
    });
    verifier.verify(toSignedEntity(bundleFromJSON(bundle), artifact), policyFor(options.identity));
    return true;
  });
  options.metrics.verification(verified === true);
}

/** The exact identity, anchored: sigstore-js matches the SAN as an unanchored pattern. */
function policyFor(identity: ExpectedIdentity): VerificationPolicy {
  const literal = identity.subjectAlternativeName.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return { subjectAlternativeName: new RegExp(`^${literal}$`), extensions: { issuer: identity.issuer } };
}

function inTotoStatement(artifact: Buffer) {
  return {
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ name: "signet-prober-artifact", digest: { sha256: sha256Hex(artifact) } }],
    predicateType: "urn:signet:prober:v1",
    predicate: { probedAt: new Date().toISOString() },
  };
}

function writtenEntry(bundle: Bundle, artifact: Buffer): WrittenEntry | undefined {
  const entry = bundle.verificationMaterial.tlogEntries[0];
  if (!entry) return undefined;
  // Protobuf JSON leaves out zero values: the log's first entry has no logIndex field.
  const logIndex = Number(entry.logIndex ?? "0");
  return Number.isSafeInteger(logIndex) ? { logIndex, artifactDigest: sha256Hex(artifact) } : undefined;
}

function sha256Hex(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
