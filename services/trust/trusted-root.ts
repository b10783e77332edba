import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { TrustError } from "./errors.ts";

/**
 * The trusted root clients verify against: protobuf-specs `dev.sigstore.trustroot.v1.TrustedRoot`
 * in its JSON form (sigstore_trustroot.proto), built from an instance's keys and certificates.
 */
export const trustedRootMediaType = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

/** When an entry is trusted; an open end means "until rotated". */
export interface ValidityWindow {
  start: Date;
  end?: Date;
}

/** A transparency log (Rekor) or CT log, by its base URL and DER SubjectPublicKeyInfo. */
export interface LogDescription {
  /** For a tlog, clients require it to contain the checkpoint signer's name. */
  baseUrl: string;
  spki: Buffer;
  validFor: ValidityWindow;
}

/** A certificate authority or timestamp authority, by its DER chain. */
export interface AuthorityDescription {
  uri: string;
  subject: { organization: string; commonName: string };
  /** CA: issuing CA first, root last. TSA: signing leaf first, root last. */
  chain: Buffer[];
  validFor: ValidityWindow;
}

export interface InstanceDescription {
  tlogs: LogDescription[];
  ctlogs: LogDescription[];
  certificateAuthorities: AuthorityDescription[];
  timestampAuthorities: AuthorityDescription[];
}

export interface TimeRangeJson {
  start: string;
  end?: string;
}

export interface TransparencyLogJson {
  baseUrl: string;
  hashAlgorithm: "SHA2_256";
  publicKey: { rawBytes: string; keyDetails: string; validFor: TimeRangeJson };
  logId: { keyId: string };
}

export interface CertificateAuthorityJson {
  subject: { organization: string; commonName: string };
  uri: string;
  certChain: { certificates: { rawBytes: string }[] };
  validFor: TimeRangeJson;
}

export interface TrustedRootJson {
  mediaType: typeof trustedRootMediaType;
  tlogs: TransparencyLogJson[];
  certificateAuthorities: CertificateAuthorityJson[];
  ctlogs: TransparencyLogJson[];
  timestampAuthorities: CertificateAuthorityJson[];
}

/** RFC 3339 without fractional seconds, the form protobuf-specs' own trusted roots use. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function timeRangeJson(window: ValidityWindow): TimeRangeJson {
  return window.end
    ? { start: rfc3339(window.start), end: rfc3339(window.end) }
    : { start: rfc3339(window.start) };
}

const curveDetails: Record<string, string> = {
  prime256v1: "PKIX_ECDSA_P256_SHA_256",
  secp384r1: "PKIX_ECDSA_P384_SHA_384",
  secp521r1: "PKIX_ECDSA_P521_SHA_512",
};

function parseSpki(spki: Buffer): KeyObject {
  try {
    return createPublicKey({ key: spki, format: "der", type: "spki" });
  } catch (error) {
    throw new TrustError("TRUSTED_ROOT_KEY_UNSUPPORTED", "not a DER SubjectPublicKeyInfo", {
      cause: error,
    });
  }
}

/**
 * `PublicKeyDetails` of a key (sigstore_common.proto). RSA is refused: sigstore-js reads the raw
 * bytes of every PKIX_RSA_PKCS1V15_* key as PKCS#1 (verify/src/trust/index.ts) while the spec
 * and sigstore-go read SPKI, so no RSA entry is read alike by both; Signet's signers are EC.
 */
export function keyDetailsOf(spki: Buffer): string {
  const key = parseSpki(spki);
  if (key.asymmetricKeyType === "ed25519") return "PKIX_ED25519";
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const details = key.asymmetricKeyType === "ec" && curve ? curveDetails[curve] : undefined;
  if (details) return details;
  throw new TrustError(
    "TRUSTED_ROOT_KEY_UNSUPPORTED",
    `a ${curve ?? key.asymmetricKeyType} key has no encoding every Sigstore client reads alike`,
  );
}

/** RFC 6962 §3.2 log ID: SHA-256 of the DER SubjectPublicKeyInfo. */
export function logKeyId(spki: Buffer): string {
  return createHash("sha256").update(spki).digest("base64");
}

export function transparencyLogJson(log: LogDescription): TransparencyLogJson {
  return {
    baseUrl: log.baseUrl,
    hashAlgorithm: "SHA2_256",
    publicKey: {
      rawBytes: log.spki.toString("base64"),
      keyDetails: keyDetailsOf(log.spki),
      validFor: timeRangeJson(log.validFor),
    },
    logId: { keyId: logKeyId(log.spki) },
  };
}

export function certificateAuthorityJson(authority: AuthorityDescription): CertificateAuthorityJson {
  return {
    subject: { ...authority.subject },
    uri: authority.uri,
    certChain: { certificates: authority.chain.map((der) => ({ rawBytes: der.toString("base64") })) },
    validFor: timeRangeJson(authority.validFor),
  };
}

// sigstore_trustroot.proto: instances SHOULD be sorted by valid_for.start, oldest first.
const byStart =
  <T>(start: (entry: T) => string) =>
  (a: T, b: T) =>
    Date.parse(start(a)) - Date.parse(start(b));
export const logsByStart = byStart<TransparencyLogJson>((log) => log.publicKey.validFor.start);
export const authoritiesByStart = byStart<CertificateAuthorityJson>((ca) => ca.validFor.start);

/** The trusted root of an instance, every list sorted oldest first. */
export function buildTrustedRoot(instance: InstanceDescription): TrustedRootJson {
  return {
    mediaType: trustedRootMediaType,
    tlogs: instance.tlogs.map(transparencyLogJson).sort(logsByStart),
    certificateAuthorities: instance.certificateAuthorities
      .map(certificateAuthorityJson)
      .sort(authoritiesByStart),
    ctlogs: instance.ctlogs.map(transparencyLogJson).sort(logsByStart),
    timestampAuthorities: instance.timestampAuthorities
      .map(certificateAuthorityJson)
      .sort(authoritiesByStart),
  };
}
