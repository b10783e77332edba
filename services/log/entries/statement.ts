/**
 * In-toto statements inside DSSE payloads: Rekor indexes their subject digests so an attestation
 * can be found by the digest of the artifact it speaks about (rekor dsse/v0.0.1 IndexKeys).
 */

import { hashSearchKey } from "./search.ts";
import { isDigestAlgorithm, isHexDigest } from "./signatures.ts";
import { LIMITS } from "./types.ts";

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/** `hash:<alg>:<hex>` for each subject digest we can index; nothing when the payload is not a statement. */
export function statementSubjectKeys(payloadType: string, payload: Buffer): string[] {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) return [];
  const subjects = parseSubjects(payload);
  return subjects.slice(0, LIMITS.statementSubjects).flatMap((subject) => digestKeys(subject));
}

function parseSubjects(payload: Buffer): unknown[] {
  try {
    const statement: unknown = JSON.parse(payload.toString("utf8"));
    const subject = (statement as { subject?: unknown } | null)?.subject;
    return Array.isArray(subject) ? subject : [];
  } catch {
    return [];
  }
}

function digestKeys(subject: unknown): string[] {
  const digest = (subject as { digest?: unknown } | null)?.digest;
  if (typeof digest !== "object" || digest === null) return [];
  return Object.entries(digest).flatMap(([algorithm, value]) =>
    isDigestAlgorithm(algorithm) && typeof value === "string" && isHexDigest(algorithm, value)
      ? [hashSearchKey(algorithm, value)]
      : [],
  );
}
