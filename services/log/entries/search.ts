/**
 * Search keys: what an entry is indexed under, and what a POST /api/v1/index/retrieve query
 * (Rekor openapi.yaml SearchIndex; rekor pkg/api/index.go) looks up.
 */
import { z } from "zod";
import { sha256Hex } from "./encoding.ts";
import { type VerificationKey, verificationKeyFromBase64 } from "./keys.ts";
import { parseShape, reject } from "./rejection.ts";
import { type DigestAlgorithm, isDigestAlgorithm, isHexDigest } from "./signatures.ts";
import { LIMITS } from "./types.ts";

export function hashSearchKey(algorithm: DigestAlgorithm, hex: string): string {
  return `hash:${algorithm}:${hex.toLowerCase()}`;
}

/** The key's SPKI hash, and the identities its certificate names. */
export function verifierSearchKeys(key: VerificationKey): string[] {
  return [
    `key:sha256:${sha256Hex(key.spki)}`,
    ...key.emails.map((email) => `email:${email}`),
    ...key.uris.map((uri) => `subject:${uri.toLowerCase()}`),
  ];
}

export interface SearchQuery {
  /** One group per criterion given; an entry matches a group when it has any key of it. */
  keys: string[][];
  /** How groups combine: all of them ("and") or any ("or", Rekor's default). */
  operator: "and" | "or";
}

const PUBLIC_KEY_FORMATS = ["pgp", "x509", "minisign", "ssh", "tuf"] as const;

const SearchIndex = z.strictObject({
  hash: z.string().max(200).optional(),
  publicKey: z
    .strictObject({
      format: z.enum(PUBLIC_KEY_FORMATS),
      content: z
        .string()
        .max(Math.ceil(LIMITS.keyBytes / 3) * 4)
        .optional(),
      url: z.string().optional(),
    })
    .optional(),
  email: z.string().max(320).includes("@").optional(),
  subject: z.string().min(1).max(512).optional(),
  operator: z.enum(["and", "or"]).optional(),
});

const HASH_QUERY = /^(?:([a-z0-9]+):)?([0-9a-fA-F]+)$/;
const ALGORITHM_BY_HEX_LENGTH: Readonly<Record<number, DigestAlgorithm>> = {
  64: "sha256",
  96: "sha384",
  128: "sha512",
};

export function searchKeysForQuery(query: unknown): SearchQuery {
  const { hash, publicKey, email, subject, operator } = parseShape(
    SearchIndex,
    query,
    "query",
    "MALFORMED_QUERY",
  );
  const keys: string[][] = [];
  if (hash !== undefined) keys.push([hashQueryKey(hash)]);
  if (publicKey !== undefined) keys.push([publicKeyQueryKey(publicKey)]);
  if (email !== undefined) keys.push([`email:${email.toLowerCase()}`]);
  // Rekor's subject matches any SAN of the entry's certificate, email addresses included.
  if (subject !== undefined)
    keys.push([`subject:${subject.toLowerCase()}`, `email:${subject.toLowerCase()}`]);
  return { keys, operator: operator ?? "or" };
}

function hashQueryKey(hash: string): string {
  const match = HASH_QUERY.exec(hash);
  const hex = match?.[2] ?? "";
  const algorithm = match?.[1] ?? ALGORITHM_BY_HEX_LENGTH[hex.length] ?? (hex.length === 40 ? "sha1" : "");
  // Rekor's SearchIndex admits SHA-1 digests; nothing is logged under one, so such a query is
  // valid and finds nothing, as it does on Rekor.
  if (algorithm === "sha1" && hex.length === 40) return `hash:sha1:${hex.toLowerCase()}`;
  if (!isDigestAlgorithm(algorithm) || !isHexDigest(algorithm, hex))
    reject("BAD_HASH", "query.hash: expected [sha256:|sha384:|sha512:|sha1:]<hex digest of that length>");
  return hashSearchKey(algorithm, hex);
}

function publicKeyQueryKey(publicKey: {
  format: string;
  content?: string | undefined;
  url?: string | undefined;
}) {
  if (publicKey.format !== "x509")
    reject(
      "UNSUPPORTED_KEY_FORMAT",
      `query.publicKey.format: only x509 keys are indexed, not ${publicKey.format}`,
    );
  if (publicKey.url !== undefined)
    reject("MALFORMED_QUERY", "query.publicKey.url: keys are not fetched; send publicKey.content");
  if (publicKey.content === undefined) reject("MALFORMED_QUERY", "query.publicKey.content: required");
  const key = verificationKeyFromBase64(publicKey.content, "query.publicKey.content");
  return `key:sha256:${sha256Hex(key.spki)}`;
}
