/**
 * intoto 0.0.2: a DSSE envelope sent inline, with payload and signatures base64-encoded once more
 * and each signature carrying its own public key (rekor pkg/types/intoto/v0.0.2).
 * Canonical form: the envelope without its payload, the client's `hash` of the envelope (which
 * Rekor cannot recompute and keeps as sent), and a `payloadHash` the log computes itself.
 */
import { z } from "zod";
import { decodeBase64, sha256Hex } from "./encoding.ts";
import { preAuthEncoding } from "./envelope.ts";
import { verificationKeyFromBase64 } from "./keys.ts";
import { parseShape, reject } from "./rejection.ts";
import { hashSearchKey, verifierSearchKeys } from "./search.ts";
import { isHexDigest, verifyMessageSignature } from "./signatures.ts";
import { statementSubjectKeys } from "./statement.ts";
import { type CanonicalSpec, type EntryType, LIMITS } from "./types.ts";

const Digest = z.strictObject({ algorithm: z.string(), value: z.string() });

const IntotoSpec = z.strictObject({
  content: z.strictObject({
    envelope: z.strictObject({
      payload: z.string().min(1),
      payloadType: z.string().min(1),
      signatures: z
        .array(
          z.strictObject({
            keyid: z.string().optional(),
            sig: z.string().min(1),
            publicKey: z.string().min(1),
          }),
        )
        .min(1)
        .max(LIMITS.signatures),
    }),
    hash: Digest,
    payloadHash: Digest.optional(),
  }),
});

export const intotoV002: EntryType = { kind: "intoto", apiVersion: "0.0.2", canonicalize };

function canonicalize(proposed: unknown): CanonicalSpec {
  const { envelope, hash, payloadHash } = parseShape(IntotoSpec, proposed, "spec").content;
  checkSha256(hash, "spec.content.hash");
  if (payloadHash) checkSha256(payloadHash, "spec.content.payloadHash");
  const payload = decodeBase64Twice(envelope.payload, "spec.content.envelope.payload");
  const pae = preAuthEncoding(envelope.payloadType, payload);
  const keys = envelope.signatures.map(({ sig, publicKey }, i) => {
    const field = `spec.content.envelope.signatures.${i}`;
    const signature = decodeBase64Twice(sig, `${field}.sig`, LIMITS.signatureBytes);
    const key = verificationKeyFromBase64(publicKey, `${field}.publicKey`);
    if (!verifyMessageSignature(key, pae, signature))
      reject("INVALID_SIGNATURE", `${field}.sig does not verify with ${field}.publicKey`);
    return key;
  });
  // Rekor overwrites any client payloadHash with its own (v0.0.2 Unmarshal).
  const computedPayloadHash = sha256Hex(payload);
  return {
    spec: {
      content: {
        envelope: {
          payloadType: envelope.payloadType,
          // Go's `keyid,omitempty`: an empty key ID is dropped.
          signatures: envelope.signatures.map(({ keyid, sig, publicKey }) => ({
            ...(keyid ? { keyid } : {}),
            publicKey,
            sig,
          })),
        },
        hash: { algorithm: "sha256", value: hash.value },
        payloadHash: { algorithm: "sha256", value: computedPayloadHash },
      },
    },
    searchKeys: [
      hashSearchKey("sha256", computedPayloadHash),
      hashSearchKey("sha256", hash.value),
      ...keys.flatMap(verifierSearchKeys),
      ...statementSubjectKeys(envelope.payloadType, payload),
    ],
  };
}

function checkSha256(digest: { algorithm: string; value: string }, field: string): void {
  if (digest.algorithm !== "sha256") reject("BAD_HASH", `${field}.algorithm: only sha256 is accepted`);
  if (!isHexDigest("sha256", digest.value)) reject("BAD_HASH", `${field}.value: expected 64 hex characters`);
}

/** The field is base64 of the base64 text the DSSE envelope itself carries. */
function decodeBase64Twice(value: string, field: string, maxBytes?: number): Buffer {
  const inner = decodeBase64(value, field).toString("latin1");
  return decodeBase64(inner, `${field} (inner base64)`, maxBytes);
}
