/**
 * dsse 0.0.1: a DSSE envelope and the keys that verify it (rekor pkg/types/dsse/v0.0.1).
 * Rekor keeps neither the envelope nor the payload, only their hashes and, per distinct signature,
 * the signature and its verifier re-encoded as PEM, sorted by signature.
 */
import { z } from "zod";
import { sha256Hex } from "./encoding.ts";
import { findVerifier, parseEnvelope } from "./envelope.ts";
import { type VerificationKey, verificationKeyFromBase64 } from "./keys.ts";
import { parseShape, reject } from "./rejection.ts";
import { hashSearchKey, verifierSearchKeys } from "./search.ts";
import { statementSubjectKeys } from "./statement.ts";
import { type CanonicalSpec, type EntryType, LIMITS } from "./types.ts";

const DsseSpec = z.strictObject({
  proposedContent: z.strictObject({
    envelope: z.string().min(1),
    verifiers: z.array(z.string().min(1)).min(1).max(LIMITS.verifiers),
  }),
});

export const dsseV001: EntryType = { kind: "dsse", apiVersion: "0.0.1", canonicalize };

function canonicalize(proposed: unknown): CanonicalSpec {
  const { envelope: text, verifiers } = parseShape(DsseSpec, proposed, "spec").proposedContent;
  const envelope = parseEnvelope(text, "spec.proposedContent.envelope");
  const keys = verifiers.map((v, i) => verificationKeyFromBase64(v, `spec.proposedContent.verifiers.${i}`));
  // Rekor maps each distinct signature string to the key that verified it; all must verify.
  const verified = new Map<string, VerificationKey>();
  for (const [i, signature] of envelope.signatures.entries()) {
    if (verified.has(signature.sig)) continue;
    const key = findVerifier(keys, envelope, signature.bytes);
    if (!key)
      reject("INVALID_SIGNATURE", `envelope signature ${i} does not verify with any of the verifiers`);
    verified.set(signature.sig, key);
  }
  // Go's sort.Strings: byte order, which for base64 text is also UTF-16 code unit order.
  const signatures = [...verified.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([signature, key]) => ({ signature, verifier: key.canonicalContent }));
  const payloadHash = sha256Hex(envelope.payload);
  const envelopeHash = sha256Hex(Buffer.from(text, "utf8"));
  return {
    spec: {
      envelopeHash: { algorithm: "sha256", value: envelopeHash },
      payloadHash: { algorithm: "sha256", value: payloadHash },
      signatures,
    },
    searchKeys: [
      hashSearchKey("sha256", payloadHash),
      hashSearchKey("sha256", envelopeHash),
      ...[...verified.values()].flatMap(verifierSearchKeys),
      ...statementSubjectKeys(envelope.payloadType, envelope.payload),
    ],
  };
}
