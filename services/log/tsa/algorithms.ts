import { type KeyAlgorithm, keyAlgorithms } from "../../common/signer/types.ts";

export type HashAlgorithm = "sha256" | "sha384" | "sha512";

interface HashSpec {
  readonly oid: string;
  readonly length: number;
}

// RFC 5754 §2: the SHA-2 object identifiers and their digest sizes.
const HASHES: Readonly<Record<HashAlgorithm, HashSpec>> = {
  sha256: { oid: "2.16.840.1.101.3.4.2.1", length: 32 },
  sha384: { oid: "2.16.840.1.101.3.4.2.2", length: 48 },
  sha512: { oid: "2.16.840.1.101.3.4.2.3", length: 64 },
};

// RFC 5758 §3.2: ecdsa-with-SHA256 / ecdsa-with-SHA384.
const ECDSA_SIGNATURE_OIDS: Readonly<Record<KeyAlgorithm, string>> = {
  "ecdsa-p256-sha256": "1.2.840.10045.4.3.2",
  "ecdsa-p384-sha384": "1.2.840.10045.4.3.3",
};

export function isHashAlgorithm(name: string): name is HashAlgorithm {
  return Object.hasOwn(HASHES, name);
}

export function hashOid(algorithm: HashAlgorithm): string {
  return HASHES[algorithm].oid;
}

export function hashLength(algorithm: HashAlgorithm): number {
  return HASHES[algorithm].length;
}

export function hashAlgorithmByOid(oid: string): HashAlgorithm | undefined {
  return (Object.keys(HASHES) as HashAlgorithm[]).find((name) => HASHES[name].oid === oid);
}

/** The digest a signer hashes with, and the CMS signature algorithm naming it. */
export function signatureSpec(algorithm: KeyAlgorithm): { digest: HashAlgorithm; signatureOid: string } {
  return { digest: keyAlgorithms[algorithm].hash, signatureOid: ECDSA_SIGNATURE_OIDS[algorithm] };
}
