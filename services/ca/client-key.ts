import type { KeyObject } from "node:crypto";
import { type EcCurve, ecSpkiForm, ecSpkiFormOfCurve } from "../common/ec-spki.ts";
import { ApiError } from "../common/errors.ts";

/** The digest a proof of possession is made with; null for pure Ed25519. */
export type ProofHash = "sha256" | "sha384" | "sha512" | null;

/** A key Fulcio certifies, and the one signature algorithm it accepts from that key. */
export interface ClientKey {
  key: KeyObject;
  /** DER SubjectPublicKeyInfo, as it goes into the certificate. */
  spki: Buffer;
  family: "ecdsa" | "rsa" | "ed25519";
  hash: ProofHash;
}

// sigstore/sigstore signature.GetDefaultPublicKeyDetails: the curve picks the digest.
const ecdsaHashes: Readonly<Record<EcCurve, ProofHash>> = {
  "P-256": "sha256",
  "P-384": "sha384",
  "P-521": "sha512",
};
// cryptoutils.ValidatePubKey: these modulus sizes only, each with PKCS#1 v1.5 and SHA-256.
const rsaModulusLengths = [2048, 3072, 4096];

/**
 * Fulcio's client key policy (cryptoutils.ValidatePubKey, then the default algorithm registry):
 * ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512; RSA 2048, 3072 or 4096 bits, PKCS#1 v1.5
 * with SHA-256; Ed25519. Anything else is UNSUPPORTED_KEY. `der` is what `key` was read from, when
 * it was read from a DER SubjectPublicKeyInfo.
 */
export function acceptClientKey(key: KeyObject, der?: Buffer): ClientKey {
  // A key read from an EC SubjectPublicKeyInfo in its one DER form exports to those bytes
  // unchanged, so the export and curve look-up, a third of a proof check, can be skipped.
  const canonical = der && ecSpkiForm(der);
  if (der && canonical) return { key, spki: der, family: "ecdsa", hash: ecdsaHashes[canonical.curve] };
  const spki = key.export({ type: "spki", format: "der" });
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "ec") {
    const form = ecSpkiFormOfCurve(details.namedCurve);
    if (form) return { key, spki, family: "ecdsa", hash: ecdsaHashes[form.curve] };
    throw unsupported(
      `ECDSA keys on ${details.namedCurve ?? "explicit curve parameters"} are not accepted; use P-256, P-384 or P-521`,
    );
  }
  if (key.asymmetricKeyType === "rsa") {
    const bits = details.modulusLength ?? 0;
    if (rsaModulusLengths.includes(bits)) return { key, spki, family: "rsa", hash: "sha256" };
    throw unsupported(`RSA keys of ${bits} bits are not accepted; use 2048, 3072 or 4096 bits`);
  }
  if (key.asymmetricKeyType === "ed25519") return { key, spki, family: "ed25519", hash: null };
  throw unsupported(`${key.asymmetricKeyType ?? "unknown"} keys are not accepted; use ECDSA, RSA or Ed25519`);
}

function unsupported(message: string): ApiError {
  return new ApiError(400, "UNSUPPORTED_KEY", message);
}
