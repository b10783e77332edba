import { ApiError } from "../../common/errors.ts";
import type { Principal } from "../identity/types.ts";
import { utf8String } from "./der.ts";
import {
  authorityKeyIdentifier,
  extendedKeyUsage,
  extension,
  keyUsage,
  keyUsageBit,
  oids,
  subjectAltName,
  subjectKeyIdentifier,
} from "./extensions.ts";
import { type CertificateFields, emptyName } from "./tbs.ts";

/** Fulcio docs/oid-info.md: the arc of every identity extension. */
const fulcioArc = "1.3.6.1.4.1.57264.1";
/** The OIDC issuer: `.1.1` raw bytes (deprecated, still emitted) and `.1.8` DER UTF8String. */
export const issuerOid = `${fulcioArc}.1`;
export const issuerV2Oid = `${fulcioArc}.8`;

const digitalSignatureOnly = keyUsage([keyUsageBit.digitalSignature]);
const codeSigningOnly = extendedKeyUsage([oids.codeSigning]);

export interface LeafRequest {
  principal: Principal;
  /** DER SubjectPublicKeyInfo of the client's key. */
  spki: Buffer;
  /** The issuing CA's DER subject, which becomes the leaf's issuer byte for byte. */
  issuer: Buffer;
  /** The issuing CA's SubjectKeyIdentifier, which becomes the leaf's AuthorityKeyIdentifier. */
  issuerKeyIdentifier: Buffer;
  notBefore: Date;
  notAfter: Date;
}

/**
 * A code-signing leaf as Fulcio issues it (pkg/ca/common.go MakeX509, certificate-specification.md):
 * empty subject; extensions in the order Go's x509 writes them (KeyUsage, ExtKeyUsage, SKI, AKI,
 * SAN), then the identity extensions.
 */
export function leafFields(request: LeafRequest): CertificateFields {
  return {
    issuer: request.issuer,
    subject: emptyName,
    spki: request.spki,
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    extensions: [
      digitalSignatureOnly,
      codeSigningOnly,
      subjectKeyIdentifier(request.spki),
      authorityKeyIdentifier(request.issuerKeyIdentifier),
      subjectAltName(ia5(request.principal.san)),
      ...identityExtensions(request.principal),
    ],
  };
}

/**
 * The issuer pair plus the principal's own extensions, sorted by OID as Fulcio's
 * pkg/certificate/extensions.go Render emits them: .1.1, legacy .1.2–.1.6, .1.8, then .1.9 on.
 */
export function identityExtensions(principal: Principal): Buffer[] {
  const all = [
    { oid: issuerOid, value: Buffer.from(principal.issuer, "utf8") },
    { oid: issuerV2Oid, value: utf8String(principal.issuer) },
    ...principal.extensions,
  ];
  const seen = new Set<string>();
  for (const { oid } of all) {
    if (!oid.startsWith(`${fulcioArc}.`) || seen.has(oid)) {
      throw new Error(`identity extension ${oid} is outside ${fulcioArc} or given twice`);
    }
    seen.add(oid);
  }
  return all.sort((a, b) => compareOids(a.oid, b.oid)).map(({ oid, value }) => extension(oid, false, value));
}

/** rfc822Name and URI are IA5String (RFC 5280 §4.2.1.6): ASCII only, as Go's x509 insists. */
function ia5(san: Principal["san"]): Principal["san"] {
  if (san.value === "" || !/^[\x20-\x7e]+$/.test(san.value)) {
    throw new ApiError(
      400,
      "INVALID_IDENTITY",
      `the identity ${JSON.stringify(san.value)} cannot be a certificate ${san.kind === "email" ? "email address" : "URI"}: it must be printable ASCII`,
    );
  }
  return san;
}

function compareOids(a: string, b: string): number {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}
