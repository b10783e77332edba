/**
 * Verification material as Rekor's x509 PKI type reads it (rekor pkg/pki/x509/x509.go): a PEM
 * public key or a PEM certificate, canonicalized by re-encoding what was parsed.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { type EcCurve, ecPoint, ecSpkiForm, ecSpkiFormOfCurve } from "../../common/ec-spki.ts";
import { encodePem } from "../../common/pem.ts";
import { DerFormatError } from "../ct/der.ts";
import { type CertificateFields, readCertificateFields } from "./certificate.ts";
import { isOnCurve } from "./ecdsa.ts";
import { decodeBase64, decodePem } from "./encoding.ts";
import { reject } from "./rejection.ts";
import { ecPublicKey } from "./spki.ts";
import { LIMITS } from "./types.ts";

export type KeyAlgorithm =
  | { type: "ec"; curve: EcCurve /** uncompressed point 0x04 ‖ X ‖ Y */; point: Buffer }
  | { type: "rsa"; modulusBytes: number }
  | { type: "ed25519" };

export interface VerificationKey {
  readonly publicKey: KeyObject;
  readonly algorithm: KeyAlgorithm;
  /** DER SubjectPublicKeyInfo of the verifying key. */
  readonly spki: Buffer;
  /** base64 of the PEM Rekor stores for this key or certificate (its CanonicalValue). */
  readonly canonicalContent: string;
  /** rfc822Name SANs, lowercased (Rekor's EmailAddresses). */
  readonly emails: readonly string[];
  /** URI SANs, as written. */
  readonly uris: readonly string[];
}

// Fulcio issues RSA keys of 2048 to 4096 bits; larger ones only cost verification time.
const RSA_MODULUS_BITS = { min: 2048, max: 4096 };

// Reading a certificate costs ~40 µs here, a PEM public key ~90 µs (OpenSSL's import and export),
// as much as the ECDSA check; repeat submitters (one key signing many artifacts) skip it. Bounded:
// at most CACHE_SIZE × LIMITS.keyBytes of keys held.
const CACHE_SIZE = 256;
const cache = new Map<string, VerificationKey>();

/** Parses base64(PEM) verification material; throws ApiError 400 when it is unusable. */
export function verificationKeyFromBase64(content: string, field: string): VerificationKey {
  const cached = cache.get(content);
  if (cached) return cached;
  const key = parseVerificationKey(decodeBase64(content, field, LIMITS.keyBytes), field);
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(content, key);
  return key;
}

export function parseVerificationKey(pem: Buffer, field: string): VerificationKey {
  const block = decodePem(pem, field);
  if (block.label === "CERTIFICATE") return fromCertificate(block.der, field);
  if (block.label === "PUBLIC KEY") return fromPublicKey(block.der, field);
  return reject("UNSUPPORTED_KEY", `${field}: PEM type ${block.label} is neither CERTIFICATE nor PUBLIC KEY`);
}

function fromPublicKey(der: Buffer, field: string): VerificationKey {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: der, format: "der", type: "spki" });
  } catch {
    return reject("BAD_ENCODING", `${field}: not a DER SubjectPublicKeyInfo`);
  }
  const spki = publicKey.export({ type: "spki", format: "der" });
  return freeze({
    publicKey,
    algorithm: algorithmOf(publicKey, spki, field),
    spki,
    canonicalContent: Buffer.from(encodePem("PUBLIC KEY", spki)).toString("base64"),
    emails: [],
    uris: [],
  });
}

function fromCertificate(der: Buffer, field: string): VerificationKey {
  // Strict DER (certificate.ts), so the submitted bytes are exactly the certificate: they are
  // what is stored and what its fields are read from, without a native X509Certificate per entry.
  let fields: CertificateFields;
  try {
    fields = readCertificateFields(der);
  } catch (error) {
    if (error instanceof DerFormatError)
      return reject("BAD_ENCODING", `${field}: not a DER X.509 certificate`);
    throw error;
  }
  const common = {
    canonicalContent: Buffer.from(encodePem("CERTIFICATE", der)).toString("base64"),
    emails: fields.emails.map((email) => email.toLowerCase()),
    uris: fields.uris,
  };
  const ec = ecPublicKey(fields.spki);
  if (ec) {
    // An EC key is used from its point, checked here as OpenSSL would check it on import; a
    // KeyObject for it is made only if something asks, as a native object per entry costs the
    // collector more than the key costs to make.
    if (!isOnCurve(ec.curve, ec.point)) {
      return reject("UNSUPPORTED_KEY", `${field}: the certificate's EC point is not on its curve`);
    }
    let publicKey: KeyObject | undefined;
    return freeze({
      get publicKey() {
        publicKey ??= createPublicKey({ key: ec.spki, format: "der", type: "spki" });
        return publicKey;
      },
      algorithm: { type: "ec", curve: ec.curve, point: ec.point },
      spki: ec.spki,
      ...common,
    });
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: fields.spki, format: "der", type: "spki" });
  } catch {
    return reject("UNSUPPORTED_KEY", `${field}: the certificate's key type is not supported`);
  }
  const spki = publicKey.export({ type: "spki", format: "der" });
  return freeze({ publicKey, algorithm: algorithmOf(publicKey, spki, field), spki, ...common });
}

function algorithmOf(publicKey: KeyObject, spki: Buffer, field: string): KeyAlgorithm {
  const details = publicKey.asymmetricKeyDetails ?? {};
  switch (publicKey.asymmetricKeyType) {
    case "ec": {
      const form = ecSpkiFormOfCurve(details.namedCurve);
      if (!form) return reject("UNSUPPORTED_KEY", `${field}: EC keys must be on P-256, P-384 or P-521`);
      // Go's x509.ParsePKIXPublicKey takes only uncompressed points.
      if (ecSpkiForm(spki) !== form)
        return reject("UNSUPPORTED_KEY", `${field}: EC points must be uncompressed`);
      return { type: "ec", curve: form.curve, point: ecPoint(spki, form) };
    }
    case "rsa": {
      const bits = details.modulusLength ?? 0;
      if (bits < RSA_MODULUS_BITS.min || bits > RSA_MODULUS_BITS.max)
        return reject("UNSUPPORTED_KEY", `${field}: RSA keys must have 2048 to 4096 bits`);
      return { type: "rsa", modulusBytes: Math.ceil(bits / 8) };
    }
    case "ed25519":
      return { type: "ed25519" };
    default:
      return reject("UNSUPPORTED_KEY", `${field}: ${publicKey.asymmetricKeyType} keys are not supported`);
  }
}

function freeze(key: VerificationKey): VerificationKey {
  Object.freeze(key.emails);
  Object.freeze(key.uris);
  return Object.freeze(key);
}
