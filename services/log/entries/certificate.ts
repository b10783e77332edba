/**
 * What the log reads from an entry's X.509 certificate (RFC 5280 §4.1), straight from the strict
 * DER that isStrictDerCertificate accepted. Every keyless entry brings a certificate of its own,
 * and a node `X509Certificate` for each cost 30–50 µs here, as much as half the ECDSA check, most
 * of it in native allocations for the collector: the log needs only the key and the SANs.
 *
 * The structure is checked as Go's x509.ParseCertificate (Rekor) checks it before it reads a
 * field: the TBSCertificate's fields in order with their types, Names as RDN sequences, times in
 * their DER forms, the inner and outer signature algorithms equal, extensions well formed and none
 * twice (ct/certificate.ts readExtensions), and rfc822Name and URI SANs as IA5 strings. Signatures are not checked, as Rekor does not
 * chain-check entry certificates; the key is what the entry's signature is verified with.
 */
import { readExtensions } from "../ct/certificate.ts";
import { bytesOf, childrenOf, contentOf, DerFormatError, readTlv, type Tlv, tags } from "../ct/der.ts";

export interface CertificateFields {
  /** DER SubjectPublicKeyInfo, as the certificate carries it. */
  spki: Buffer;
  /** rfc822Name SANs, as written. */
  emails: string[];
  /** uniformResourceIdentifier SANs, as written. */
  uris: string[];
}

const der = {
  integer: 0x02,
  bitString: 0x03,
  set: 0x31,
  utcTime: 0x17,
  generalizedTime: 0x18,
  explicitVersion: 0xa0,
  issuerUniqueId: 0x81,
  subjectUniqueId: 0x82,
  explicitExtensions: 0xa3,
  rfc822Name: 0x81,
  uniformResourceIdentifier: 0x86,
} as const;

const subjectAltNameOid = "2.5.29.17";

/** Reads a certificate isStrictDerCertificate accepted; throws DerFormatError when it is not one. */
export function readCertificateFields(certificate: Buffer): CertificateFields {
  const whole = readTlv(certificate, 0);
  if (whole.end !== certificate.length) throw new DerFormatError("bytes after the certificate");
  const outer = childrenOf(certificate, expect(whole, tags.sequence, "Certificate"));
  const [tbs, signatureAlgorithm, signatureValue] = outer;
  if (outer.length !== 3 || !tbs || !signatureAlgorithm || !signatureValue)
    throw new DerFormatError("a Certificate has three fields");
  expect(tbs, tags.sequence, "TBSCertificate");
  algorithmIdentifier(certificate, signatureAlgorithm, "signatureAlgorithm");
  bitString(certificate, signatureValue, "signatureValue");

  const fields = childrenOf(certificate, tbs);
  let at = 0;
  const next = () => fields[at++];
  let field = next();
  if (field?.tag === der.explicitVersion) {
    const [version, ...rest] = childrenOf(certificate, field);
    const value = version && version.tag === der.integer && version.end - version.contentStart === 1;
    if (!value || rest.length > 0 || (certificate[version.contentStart] as number) > 2)
      throw new DerFormatError("version is not v1, v2 or v3");
    field = next();
  }
  integer(certificate, field, "serialNumber");
  const innerAlgorithm = algorithmIdentifier(certificate, next(), "signature");
  if (!bytesOf(certificate, innerAlgorithm).equals(bytesOf(certificate, signatureAlgorithm)))
    throw new DerFormatError("the TBSCertificate's signature algorithm differs from the Certificate's");
  name(certificate, next(), "issuer");
  validity(certificate, next());
  name(certificate, next(), "subject");
  const spki = expect(next(), tags.sequence, "subjectPublicKeyInfo");
  const [keyAlgorithm, key, ...extra] = childrenOf(certificate, spki);
  if (extra.length > 0) throw new DerFormatError("subjectPublicKeyInfo has two fields");
  algorithmIdentifier(certificate, keyAlgorithm, "subjectPublicKeyInfo.algorithm");
  bitString(certificate, key, "subjectPublicKey");

  // issuerUniqueID [1] and subjectUniqueID [2] IMPLICIT BIT STRING, then extensions [3], in order.
  field = next();
  if (field?.tag === der.issuerUniqueId) field = next();
  if (field?.tag === der.subjectUniqueId) field = next();
  const names = { emails: [] as string[], uris: [] as string[] };
  if (field?.tag === der.explicitExtensions) {
    const alternativeNames = readExtensions(certificate, field).find((e) => e.oid === subjectAltNameOid);
    if (alternativeNames) subjectAltNames(alternativeNames.value, names);
    field = next();
  }
  if (field) throw new DerFormatError("unexpected field after the TBSCertificate's extensions");
  return { spki: bytesOf(certificate, spki), ...names };
}

function expect(element: Tlv | undefined, tag: number, what: string): Tlv {
  if (element?.tag !== tag) throw new DerFormatError(`${what} is missing or of the wrong type`);
  return element;
}

function integer(certificate: Buffer, element: Tlv | undefined, what: string): void {
  const { contentStart, end } = expect(element, der.integer, what);
  const first = certificate[contentStart];
  const second = certificate[contentStart + 1] ?? 0;
  // X.690 §8.3.2: no leading 0x00 or 0xff that the next byte's top bit makes redundant.
  if (
    first === undefined ||
    (end - contentStart > 1 && ((first === 0 && second < 0x80) || (first === 0xff && second >= 0x80)))
  )
    throw new DerFormatError(`${what} is not a minimal INTEGER`);
}

function bitString(certificate: Buffer, element: Tlv | undefined, what: string): void {
  const { contentStart, end } = expect(element, der.bitString, what);
  const unused = certificate[contentStart];
  if (unused === undefined || unused > 7 || (unused > 0 && end - contentStart === 1))
    throw new DerFormatError(`${what} is not a BIT STRING`);
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } */
function algorithmIdentifier(certificate: Buffer, element: Tlv | undefined, what: string): Tlv {
  const sequence = expect(element, tags.sequence, what);
  const [algorithm, ...parameters] = childrenOf(certificate, sequence);
  expect(algorithm, tags.objectIdentifier, `${what}.algorithm`);
  if (parameters.length > 1) throw new DerFormatError(`${what} has more than one parameter`);
  return sequence;
}

/** Name ::= SEQUENCE OF SET OF SEQUENCE { type OBJECT IDENTIFIER, value ANY } (RFC 5280 §4.1.2.4) */
function name(certificate: Buffer, element: Tlv | undefined, what: string): void {
  for (const rdn of childrenOf(certificate, expect(element, tags.sequence, what))) {
    const attributes = childrenOf(certificate, expect(rdn, der.set, `${what} RDN`));
    for (const attribute of attributes) {
      const parts = childrenOf(certificate, expect(attribute, tags.sequence, `${what} attribute`));
      if (parts.length !== 2 || parts[0]?.tag !== tags.objectIdentifier)
        throw new DerFormatError(`${what} attribute is not a type and a value`);
    }
  }
}

// X.690 §11.7–11.8: UTCTime YYMMDDHHMMSSZ, GeneralizedTime YYYYMMDDHHMMSSZ, seconds present.
const TIME_FORMS: Readonly<Record<number, RegExp>> = {
  [der.utcTime]: /^\d{12}Z$/,
  [der.generalizedTime]: /^\d{14}Z$/,
};

function validity(certificate: Buffer, element: Tlv | undefined): void {
  const times = childrenOf(certificate, expect(element, tags.sequence, "validity"));
  if (times.length !== 2) throw new DerFormatError("validity has two times");
  for (const time of times) {
    const form = TIME_FORMS[time.tag];
    if (!form?.test(certificate.toString("latin1", time.contentStart, time.end)))
      throw new DerFormatError("validity time is not a DER UTCTime or GeneralizedTime");
  }
}

/** GeneralNames in the extension's OCTET STRING (RFC 5280 §4.2.1.6); other name forms are skipped. */
function subjectAltNames(content: Buffer, names: { emails: string[]; uris: string[] }): void {
  const list = expect(readTlv(content, 0), tags.sequence, "subjectAltName");
  if (list.end !== content.length) throw new DerFormatError("bytes after subjectAltName");
  const generalNames = childrenOf(content, list);
  if (generalNames.length === 0) throw new DerFormatError("subjectAltName is empty");
  for (const generalName of generalNames) {
    if (generalName.tag !== der.rfc822Name && generalName.tag !== der.uniformResourceIdentifier) continue;
    const bytes = contentOf(content, generalName);
    if (bytes.some((byte) => byte > 0x7f)) throw new DerFormatError("a SAN is not an IA5String");
    const text = bytes.toString("latin1");
    if (generalName.tag === der.rfc822Name) names.emails.push(text);
    else names.uris.push(text);
  }
}
