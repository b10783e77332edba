import { constants, publicDecrypt, verify } from "node:crypto";
import type { VerificationKey } from "./keys.ts";

export type DigestAlgorithm = "sha256" | "sha384" | "sha512";

export const DIGEST_SIZES: Readonly<Record<DigestAlgorithm, number>> = { sha256: 32, sha384: 48, sha512: 64 };

export function isDigestAlgorithm(name: string): name is DigestAlgorithm {
  return Object.hasOwn(DIGEST_SIZES, name);
}

/** Whether `hex` spells a digest of `algorithm`, in either case. */
export function isHexDigest(algorithm: DigestAlgorithm, hex: string): boolean {
  return hex.length === DIGEST_SIZES[algorithm] * 2 && /^[0-9a-fA-F]*$/.test(hex);
}

// RFC 8017 §9.2 note 1: the DER DigestInfo prefix for each hash.
const DIGEST_INFO_PREFIXES: Readonly<Record<DigestAlgorithm, Buffer>> = {
  sha256: Buffer.from("3031300d060960864801650304020105000420", "hex"),
  sha384: Buffer.from("3041300d060960864801650304020205000430", "hex"),
  sha512: Buffer.from("3051300d060960864801650304020305000440", "hex"),
};

/**
 * A signature over a whole message (the DSSE PAE): Rekor loads every DSSE verifier with SHA-256
 * (`signature.LoadVerifier(key, crypto.SHA256)`), whatever the curve; Ed25519 is pure.
 */
export function verifyMessageSignature(key: VerificationKey, message: Buffer, signature: Buffer): boolean {
  const hash = key.algorithm.type === "ed25519" ? null : "sha256";
  try {
    return verify(hash, message, key.publicKey, signature);
  } catch {
    return false;
  }
}

/**
 * An RSA PKCS#1 v1.5 signature over a digest the signer computed (hashedrekord), as Rekor's x509
 * verifier accepts it for a pre-hashed artifact (rekor pkg/pki/x509, sigstore LoadVerifier); the
 * ECDSA ones go through ecdsa.ts verifyEcdsaDigests. RFC 8017 §8.2.2 with the hash step already
 * done: recover the encoded message with the public key and compare it with DigestInfo(digest).
 */
export function verifyRsaDigest(
  key: VerificationKey,
  algorithm: DigestAlgorithm,
  digest: Buffer,
  signature: Buffer,
): boolean {
  if (key.algorithm.type !== "rsa" || signature.length !== key.algorithm.modulusBytes) return false;
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
  return recovered.equals(Buffer.concat([DIGEST_INFO_PREFIXES[algorithm], digest]));
}
