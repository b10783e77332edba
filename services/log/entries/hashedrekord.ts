/**
 * hashedrekord 0.0.1: a signature over an artifact digest (rekor pkg/types/hashedrekord/v0.0.1).
 * Canonical form: the digest as given, the signature, and the key or certificate re-encoded as PEM.
 */
import { z } from "zod";
import { decodeBase64, decodeHex } from "./encoding.ts";
import { verificationKeyFromBase64 } from "./keys.ts";
import { parseShape, reject } from "./rejection.ts";
import { hashSearchKey, verifierSearchKeys } from "./search.ts";
import { type DigestAlgorithm, isDigestAlgorithm, isHexDigest, verifyRsaDigest } from "./signatures.ts";
import { type CanonicalSpec, type EntryType, LIMITS } from "./types.ts";

const HashedRekordSpec = z.strictObject({
  data: z.strictObject({
    hash: z.strictObject({ algorithm: z.string(), value: z.string() }),
  }),
  signature: z.strictObject({
    content: z.string().min(1),
    publicKey: z.strictObject({ content: z.string().min(1) }),
  }),
});

export const hashedRekordV001: EntryType = { kind: "hashedrekord", apiVersion: "0.0.1", canonicalize };

function canonicalize(proposed: unknown): CanonicalSpec {
  const { data, signature } = parseShape(HashedRekordSpec, proposed, "spec");
  const { algorithm, value } = data.hash;
  const digest = parseDigest(algorithm, value);
  const signatureBytes = decodeBase64(signature.content, "spec.signature.content", LIMITS.signatureBytes);
  const key = verificationKeyFromBase64(signature.publicKey.content, "spec.signature.publicKey.content");
  // Rekor verifies Ed25519 hashedrekords as Ed25519ph, which node:crypto cannot do.
  if (key.algorithm.type === "ed25519")
    reject(
      "UNSUPPORTED_KEY",
      "spec.signature.publicKey.content: Ed25519 keys cannot sign hashedrekord entries here",
    );
  const canonical = {
    spec: {
      data: { hash: { algorithm, value } },
      signature: { content: signature.content, publicKey: { content: key.canonicalContent } },
    },
    searchKeys: [hashSearchKey(digest.algorithm, value), ...verifierSearchKeys(key)],
  };
  // The last check: every other refusal comes first, deferred or not.
  if (key.algorithm.type === "ec") {
    const { curve, point } = key.algorithm;
    const check = { curve, point, digest: digest.bytes, signature: signatureBytes };
    return { ...canonical, deferred: { check, refusal: invalidSignature } };
  }
  if (!verifyRsaDigest(key, digest.algorithm, digest.bytes, signatureBytes))
    reject(invalidSignature.code, invalidSignature.message);
  return canonical;
}

const invalidSignature = {
  code: "INVALID_SIGNATURE",
  message: "spec.signature.content does not verify over spec.data.hash with the given key",
} as const;

function parseDigest(algorithm: string, value: string): { algorithm: DigestAlgorithm; bytes: Buffer } {
  if (!isDigestAlgorithm(algorithm))
    reject(
      "BAD_HASH",
      `spec.data.hash.algorithm: expected sha256, sha384 or sha512, got ${algorithm.slice(0, 16)}`,
    );
  const bytes = decodeHex(value, "spec.data.hash.value");
  if (!isHexDigest(algorithm, value))
    reject(
      "BAD_HASH",
      `spec.data.hash.value: ${bytes.length} bytes is not the length of a ${algorithm} digest`,
    );
  return { algorithm, bytes };
}
