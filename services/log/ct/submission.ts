import { hash, type KeyObject, X509Certificate } from "node:crypto";
import { isPaddedBase64 } from "../../common/base64.ts";
import { vector } from "../../common/ct/tls.ts";
import { badRequest } from "../../common/errors.ts";
import { certificatesFromPem } from "../../common/pem.ts";
import {
  type CertificateParts,
  findExtension,
  parseCertificate,
  tbsWithoutExtension,
} from "./certificate.ts";
import { childrenOf, DerFormatError, decodeObjectIdentifier, readTlv, tags } from "./der.ts";
import { asn1Cert, type SignedEntry } from "./encoding.ts";

/** RFC 6962 §3.1 precertificate poison extension (critical, value ASN.1 NULL). */
export const poisonExtensionOid = "1.3.6.1.4.1.11129.2.4.3";
/** RFC 6962 §3.1 Precertificate Signing Certificate extended key usage. */
const precertSigningUsageOid = "1.3.6.1.4.1.11129.2.4.4";
const extendedKeyUsageOid = "2.5.29.37";
const asn1Null = Buffer.of(0x05, 0x00);

/** One certificate of a submitted chain, parsed once for OpenSSL's checks and for its DER parts. */
export interface ChainCertificate {
  x509: X509Certificate;
  parts: CertificateParts;
  /** Its public key, made on first use: roots and remembered issuers check every submission. */
  publicKey?: KeyObject;
}

/** What a valid submission puts in the log. */
export interface AcceptedSubmission {
  entry: SignedEntry;
  /** RFC 6962 §4.6 extra_data: the certificate_chain, or a PrecertChainEntry. */
  extraData: Buffer;
}

export function toChainCertificate(der: Buffer): ChainCertificate {
  const parts = parseCertificate(der);
  return { x509: new X509Certificate(der), parts };
}

/** Issuer chains remembered as verified, per set of roots; a CA submits one with every certificate. */
const maxVerifiedIssuerChains = 64;

/** The configured roots a chain must end in (RFC 6962 §3.1). */
export class TrustedRoots {
  readonly certificates: readonly ChainCertificate[];
  // Every submission of a CA carries the same issuer chain, and checking it (a P-384 signature for
  // a Fulcio-style root) costs more than the rest of the submission together. A chain that was
  // verified up to one of these roots stays verified, so it is remembered by its submitted text,
  // filed under its first certificate's.
  private readonly verifiedIssuers = new Map<
    string,
    { submitted: readonly string[]; path: readonly ChainCertificate[] }
  >();

  constructor(roots: readonly Buffer[]) {
    this.certificates = roots.map(toChainCertificate);
  }

  static fromPem(pem: string): TrustedRoots {
    return new TrustedRoots(pem.trim() === "" ? [] : certificatesFromPem(pem, "the CT roots"));
  }

  /** The root `last` is, or the root that issued it. */
  anchor(last: ChainCertificate): ChainCertificate | undefined {
    return (
      this.certificates.find((root) => root.parts.der.equals(last.parts.der)) ??
      this.certificates.find((root) => isIssuedBy(last, root))
    );
  }

  /** The verified path (root included) of issuer certificates submitted as `submitted`, if known. */
  knownIssuers(submitted: readonly string[]): readonly ChainCertificate[] | undefined {
    const known = this.verifiedIssuers.get(submitted[0] ?? "");
    const same =
      known?.submitted.length === submitted.length &&
      known.submitted.every((text, position) => text === submitted[position]);
    return same ? known.path : undefined;
  }

  rememberIssuers(submitted: readonly string[], path: readonly ChainCertificate[]): void {
    const key = submitted[0] ?? "";
    if (!this.verifiedIssuers.has(key) && this.verifiedIssuers.size >= maxVerifiedIssuerChains) {
      const oldest = this.verifiedIssuers.keys().next().value;
      if (oldest !== undefined) this.verifiedIssuers.delete(oldest);
    }
    this.verifiedIssuers.set(key, { submitted: [...submitted], path });
  }
}

/**
 * RFC 6962 §3.1: the submitted chain (leaf first) must verify signature by signature up to a
 * configured root; `add-chain` takes certificates, `add-pre-chain` precertificates.
 */
export function acceptSubmission(
  chain: readonly string[],
  roots: TrustedRoots,
  precert: boolean,
): AcceptedSubmission {
  const [leaf, ...issuers] = verifiedPath(chain, roots);
  const poison = findExtension(leaf.parts, poisonExtensionOid);
  const issuerChain = vector(Buffer.concat(issuers.map((issuer) => asn1Cert(issuer.parts.der))), 3);
  if (!precert) {
    if (poison)
      throw badRequest("PRECERTIFICATE_NOT_ALLOWED", "add-chain takes certificates; use add-pre-chain");
    return { entry: { type: "x509", certificate: leaf.parts.der }, extraData: issuerChain };
  }
  if (!poison?.critical || !poison.value.equals(asn1Null)) {
    throw badRequest("NOT_A_PRECERTIFICATE", "the leaf lacks the critical precertificate poison extension");
  }
  const issuer = issuers[0];
  // A precertificate signed by a Precertificate Signing Certificate is logged with the final
  // issuer's key hash and a rewritten issuer (RFC 6962 §3.2); we do not support that indirection,
  // so such a chain is refused instead of being logged under the wrong issuer.
  if (!issuer || hasPrecertSigningUsage(issuer.parts)) {
    throw badRequest(
      "UNSUPPORTED_PRECERTIFICATE_ISSUER",
      "the precertificate must be signed directly by its CA",
    );
  }
  return {
    entry: {
      type: "precert",
      issuerKeyHash: hash("sha256", issuer.parts.subjectPublicKeyInfo, "buffer"),
      tbsCertificate: tbsWithoutExtension(leaf.parts, poison),
    },
    // PrecertChainEntry: the precertificate as submitted, then its chain.
    extraData: Buffer.concat([asn1Cert(leaf.parts.der), issuerChain]),
  };
}

function decodeCertificate(text: string, position: number): ChainCertificate {
  if (!isPaddedBase64(text) || text === "") {
    throw badRequest("INVALID_BASE64", `chain[${position}] is not base64`);
  }
  try {
    return toChainCertificate(Buffer.from(text, "base64"));
  } catch {
    throw badRequest("INVALID_CERTIFICATE", `chain[${position}] is not a DER X.509 certificate`);
  }
}

/** The submitted chain, completed with its root when it stops just below one. */
function verifiedPath(
  chain: readonly string[],
  roots: TrustedRoots,
): [ChainCertificate, ...ChainCertificate[]] {
  const [first, ...rest] = chain;
  if (first === undefined) throw badRequest("EMPTY_CHAIN", "the chain holds no certificate");
  const leaf = decodeCertificate(first, 0);
  const known = rest.length > 0 ? roots.knownIssuers(rest) : undefined;
  if (known) {
    checkIssuedBy([leaf, ...known], 0);
    return [leaf, ...known];
  }
  const submitted = [leaf, ...rest.map((text, position) => decodeCertificate(text, position + 1))];
  for (let position = 0; position < submitted.length - 1; position++) checkIssuedBy(submitted, position);
  const last = submitted.at(-1) as ChainCertificate;
  const root = roots.anchor(last);
  if (!root) throw badRequest("UNTRUSTED_CHAIN", "the chain does not end in a root this log accepts");
  const path: [ChainCertificate, ...ChainCertificate[]] = root.parts.der.equals(last.parts.der)
    ? [leaf, ...submitted.slice(1)]
    : [leaf, ...submitted.slice(1), root];
  if (rest.length > 0) roots.rememberIssuers(rest, path.slice(1));
  return path;
}

function checkIssuedBy(chain: readonly ChainCertificate[], position: number): void {
  if (!isIssuedBy(chain[position] as ChainCertificate, chain[position + 1] as ChainCertificate)) {
    throw badRequest("INVALID_CHAIN", `chain[${position}] is not signed by chain[${position + 1}]`);
  }
}

// Validity periods are not checked: a log records what was issued, expired or not.
function isIssuedBy(child: ChainCertificate, parent: ChainCertificate): boolean {
  try {
    if (!child.x509.checkIssued(parent.x509)) return false;
    parent.publicKey ??= parent.x509.publicKey;
    return child.x509.verify(parent.publicKey);
  } catch {
    return false;
  }
}

function hasPrecertSigningUsage(certificate: CertificateParts): boolean {
  const usage = findExtension(certificate, extendedKeyUsageOid);
  if (!usage) return false;
  try {
    const list = readTlv(usage.value, 0);
    if (list.tag !== tags.sequence) return false;
    return childrenOf(usage.value, list).some(
      (oid) =>
        oid.tag === tags.objectIdentifier &&
        decodeObjectIdentifier(usage.value.subarray(oid.contentStart, oid.end)) === precertSigningUsageOid,
    );
  } catch (error) {
    if (error instanceof DerFormatError) return false;
    throw error;
  }
}
