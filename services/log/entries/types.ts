import type { EcdsaCheck } from "./ecdsa.ts";
import type { RejectionCode } from "./rejection.ts";

/** The entry kinds this log accepts, by Rekor kind name. */
export type EntryKind = "hashedrekord" | "dsse" | "intoto";

export interface ValidatedEntry {
  kind: EntryKind;
  apiVersion: string;
  /** JCS (RFC 8785) of Rekor's canonical form of the entry: the bytes the Merkle leaf hashes. */
  canonicalBody: Buffer;
  /** Index keys: `hash:<alg>:<hex>`, `key:sha256:<hex>`, `email:<addr>`, `subject:<uri>`, all lowercase. */
  searchKeys: string[];
}

/** What one kind at one version makes of a proposed `spec`, before JCS. */
export interface CanonicalSpec {
  spec: Record<string, unknown>;
  searchKeys: string[];
  /**
   * An ECDSA check left to the caller, so that a batch of entries shares its modular inversions
   * (ecdsa.ts verifyEcdsaDigests); when it fails the entry is refused with `refusal`.
   */
  deferred?: { check: EcdsaCheck; refusal: { code: RejectionCode; message: string } };
}

export interface EntryType {
  kind: EntryKind;
  apiVersion: string;
  /** Validates and verifies a proposed spec; throws ApiError 400 when it cannot go in the log. */
  canonicalize(spec: unknown): CanonicalSpec;
}

/** Bounds on attacker-sized input, well above what any sigstore client sends. */
export const LIMITS = {
  /** DSSE signatures in one envelope, verifiers in one dsse entry. */
  signatures: 16,
  verifiers: 16,
  /** Decoded signature: an RSA-4096 signature is 512 bytes, ECDSA P-521 at most 139. */
  signatureBytes: 1024,
  /** Decoded PEM of one key or certificate. */
  keyBytes: 16 * 1024,
  /** in-toto statement subjects turned into search keys. */
  statementSubjects: 64,
} as const;
