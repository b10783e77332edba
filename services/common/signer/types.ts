import type { KeyObject } from "node:crypto";

export type KeyAlgorithm = "ecdsa-p256-sha256" | "ecdsa-p384-sha384";

export interface Signer {
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Buffer;
  /** DER ECDSA signature over hash(data): SHA-256 for P-256, SHA-384 for P-384. */
  sign(data: Buffer): Promise<Buffer>;
}

/** The curve (as node:crypto names it) and digest of each algorithm. */
export const keyAlgorithms: Record<KeyAlgorithm, { namedCurve: string; hash: "sha256" | "sha384" }> = {
  "ecdsa-p256-sha256": { namedCurve: "prime256v1", hash: "sha256" },
  "ecdsa-p384-sha384": { namedCurve: "secp384r1", hash: "sha384" },
};

/** The algorithm a key belongs to, or undefined for a key Signet cannot sign with. */
export function algorithmOf(key: KeyObject): KeyAlgorithm | undefined {
  if (key.asymmetricKeyType !== "ec") return undefined;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  for (const [algorithm, { namedCurve }] of Object.entries(keyAlgorithms)) {
    if (namedCurve === curve) return algorithm as KeyAlgorithm;
  }
  return undefined;
}
