/**
 * What the log reads from an entry's X.509 certificate (RFC 5280 §4.1), straight from its DER.
 * Every keyless entry brings a certificate of its own,
 * and a node `X509Certificate` for each cost 30–50 µs here, as much as half the ECDSA check, most
 * of it in native allocations for the collector: the log needs only the key and the SANs.
 *
 * A certificate is taken only if Go's x509.ParseCertificate (Rekor, sigstore-go) and OpenSSL
 * (node, sigstore-js) would both take it and read the same key and names from it, so that every
 * stored entry can be checked by clients of either kind:
 * - strict DER throughout, as Go reads it: every element with a low tag number and a definite
 *   length in its shortest form, children filling their parent exactly, nothing after the
 *   certificate. OpenSSL takes BER and trailing bytes too; in strict DER the bytes read here are
 *   the fields OpenSSL parses;
 * - the TBSCertificate's fields in order and of their types, nothing after them; a version that
 *   allows the optional fields present (unique IDs from v2, extensions from v3: Go ignores
 *   extensions in older versions, OpenSSL reads them);
 * - a positive serial number and minimal INTEGERs; OIDs in their shortest form;
 * - Names as RDN sequences of attributes whose values are strings Go can read (Printable, UTF-8,
 *   BMP, IA5, Numeric, T61), each valid for its type;
 * - validity times with seconds, in UTC or with an offset, that are real dates;
 * - equal inner and outer signature algorithms; extensions well formed and none twice
 *   (ct/certificate.ts readExtensions);
 * - rfc822Name, dNSName and URI SANs as IA5 strings, IP addresses of 4 or 16 bytes.
 * Signatures are not checked, as Rekor does not chain-check entry certificates: the key is what the
 * entry's signature is verified with.
 */
import { isUtf8 } from "node:buffer";
import { readExtensions } from "../ct/certificate.ts";
import {
  bytesOf,
  childrenOf,
  contentOf,
  DerFormatError,
  decodeObjectIdentifier,
  readTlv,
  type Tlv,
  tags,
} from "../ct/der.ts";

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
  dnsName: 0x82,
  uniformResourceIdentifier: 0x86,
  ipAddress: 0x87,
} as const;

const versions = { v1: 0, v2: 1, v3: 2 } as const;
const subjectAltNameOid = "2.5.29.17";

/** Reads a certificate; throws DerFormatError when it is not one the log takes. */
export function readCertificateFields(certificate: Buffer): CertificateFields {
  const whole = readTlv(certificate, 0);
  if (whole.end !== certificate.length) throw new DerFormatError("bytes after the certificate");
  walkStrict(certificate, whole);
  const outer = childrenOf(certificate, expect(whole, tags.sequence, "Certificate"));
  const [tbs, signatureAlgorithm, signatureValue] = outer;
  if (outer.length !== 3 || !tbs || !signatureAlgorithm || !signatureValue)
    throw new DerFormatError("a Certificate has three fields");
  expect(tbs, tags.sequence, "TBSCertificate");
  algorithmIdentifier(certificate, signatureAlgorithm, "signatureAlgorithm");
  bitString(certificate, signatureValue, "signatureValue");

  // Read in order, without closures made per certificate (see walkStrict).
  const fields = childrenOf(certificate, tbs);
  let at = 0;
  let field = fields[at++];
  let version: number = versions.v1;
  if (field?.tag === der.explicitVersion) {
    const [value, ...rest] = childrenOf(certificate, field);
    const single = value && value.tag === der.integer && value.end - value.contentStart === 1;
    version = single ? (certificate[value.contentStart] as number) : -1;
    if (rest.length > 0 || version < versions.v1 || version > versions.v3)
      throw new DerFormatError("version is not v1, v2 or v3");
    field = fields[at++];
  }
  serialNumber(certificate, field);
  const innerAlgorithm = algorithmIdentifier(certificate, fields[at++], "signature");
  if (!bytesOf(certificate, innerAlgorithm).equals(bytesOf(certificate, signatureAlgorithm)))
    throw new DerFormatError("the TBSCertificate's signature algorithm differs from the Certificate's");
  name(certificate, fields[at++], "issuer");
  validity(certificate, fields[at++]);
  name(certificate, fields[at++], "subject");
  const spki = expect(fields[at++], tags.sequence, "subjectPublicKeyInfo");
  const [keyAlgorithm, key, ...extra] = childrenOf(certificate, spki);
  if (extra.length > 0) throw new DerFormatError("subjectPublicKeyInfo has two fields");
  algorithmIdentifier(certificate, keyAlgorithm, "subjectPublicKeyInfo.algorithm");
  bitString(certificate, key, "subjectPublicKey");

  // issuerUniqueID [1] and subjectUniqueID [2] IMPLICIT BIT STRING, then extensions [3], in order.
  field = fields[at++];
  for (const uniqueId of [der.issuerUniqueId, der.subjectUniqueId]) {
    if (field?.tag !== uniqueId) continue;
    if (version < versions.v2) throw new DerFormatError("unique identifiers need a v2 or v3 certificate");
    field = fields[at++];
  }
  const names = { emails: [] as string[], uris: [] as string[] };
  if (field?.tag === der.explicitExtensions) {
    if (version < versions.v3) throw new DerFormatError("extensions need a v3 certificate");
    for (const extension of readExtensions(certificate, field))
      if (extension.oid === subjectAltNameOid) subjectAltNames(extension.value, names);
    field = fields[at++];
  }
  if (field) throw new DerFormatError("unexpected field after the TBSCertificate's extensions");
  return { spki: bytesOf(certificate, spki), ...names };
}

// Every element, and every element inside a constructed one, read as strict DER (ct/der.ts
// readTlv). A module-level function, not a closure made per call: V8 compiled such a closure
// afresh many times over a run of appends (perf map of the log, 2026-12-08).
function walkStrict(certificate: Buffer, element: Tlv): void {
  if (element.tag & 0x20)
    for (const child of childrenOf(certificate, element)) walkStrict(certificate, child);
}

function expect(element: Tlv | undefined, tag: number, what: string): Tlv {
  if (element?.tag !== tag) throw new DerFormatError(`${what} is missing or of the wrong type`);
  return element;
}

/** A minimal, positive INTEGER (X.690 §8.3.2; RFC 5280 §4.1.2.2, which Go enforces since 1.23). */
function serialNumber(certificate: Buffer, element: Tlv | undefined): void {
  const { contentStart, end } = expect(element, der.integer, "serialNumber");
  const first = certificate[contentStart] as number;
  const second = certificate[contentStart + 1] as number;
  if (end === contentStart) throw new DerFormatError("serialNumber is empty");
  if (end - contentStart > 1 && first === 0 && second < 0x80)
    throw new DerFormatError("serialNumber is not a minimal INTEGER");
  if (first & 0x80) throw new DerFormatError("serialNumber is negative");
}

function bitString(certificate: Buffer, element: Tlv | undefined, what: string): void {
  const { contentStart, end } = expect(element, der.bitString, what);
  const unused = certificate[contentStart] as number;
  if (end === contentStart || unused > 7 || (unused > 0 && end - contentStart === 1))
    throw new DerFormatError(`${what} is not a BIT STRING`);
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } */
function algorithmIdentifier(certificate: Buffer, element: Tlv | undefined, what: string): Tlv {
  const sequence = expect(element, tags.sequence, what);
  const [algorithm, ...parameters] = childrenOf(certificate, sequence);
  decodeObjectIdentifier(
    contentOf(certificate, expect(algorithm, tags.objectIdentifier, `${what}.algorithm`)),
  );
  if (parameters.length > 1) throw new DerFormatError(`${what} has more than one parameter`);
  return sequence;
}

// Go's isPrintable: PrintableString's alphabet, plus '*' and '&', which real CAs write.
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?*&]*$/;

function isIa5(value: Buffer): boolean {
  for (const byte of value) if (byte >= 0x80) return false;
  return true;
}

function isNumeric(value: Buffer): boolean {
  for (const byte of value) if ((byte < 0x30 || byte > 0x39) && byte !== 0x20) return false;
  return true;
}

const stringTags = {
  utf8String: 0x0c,
  numericString: 0x12,
  printableString: 0x13,
  t61String: 0x14,
  ia5String: 0x16,
  bmpString: 0x1e,
} as const;

/** Go's parseASN1String: the string types a Name's attribute values may have, each checked. */
const STRING_CHECKS: Readonly<Record<number, (value: Buffer) => boolean>> = {
  [stringTags.utf8String]: isUtf8,
  [stringTags.numericString]: isNumeric,
  [stringTags.printableString]: (value) => PRINTABLE.test(value.toString("latin1")),
  [stringTags.t61String]: () => true, // read as Latin-1
  [stringTags.ia5String]: isIa5,
  [stringTags.bmpString]: (value) => value.length % 2 === 0,
};

/** Name ::= SEQUENCE OF SET OF SEQUENCE { type OBJECT IDENTIFIER, value ANY } (RFC 5280 §4.1.2.4) */
function name(certificate: Buffer, element: Tlv | undefined, what: string): void {
  for (const rdn of childrenOf(certificate, expect(element, tags.sequence, what))) {
    for (const attribute of childrenOf(certificate, expect(rdn, der.set, `${what} RDN`))) {
      const parts = childrenOf(certificate, expect(attribute, tags.sequence, `${what} attribute`));
      const [type, value] = parts;
      if (parts.length !== 2 || !type || !value)
        throw new DerFormatError(`${what} attribute is not a type and a value`);
      decodeObjectIdentifier(
        contentOf(certificate, expect(type, tags.objectIdentifier, `${what} attribute type`)),
      );
      if (!STRING_CHECKS[value.tag]?.(contentOf(certificate, value)))
        throw new DerFormatError(`${what} attribute value is not a valid string`);
    }
  }
}

// UTCTime YYMMDDHHMMSS and GeneralizedTime YYYYMMDDHHMMSS, then Z or a non-zero ±HHMM offset: what
// Go's cryptobyte reads back unchanged and OpenSSL takes (X.690 §11.7–11.8 would allow only Z).
const TIME_FORMS: Readonly<Record<number, RegExp>> = {
  [der.utcTime]: /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(Z|[+-](\d{2})(\d{2}))$/,
  [der.generalizedTime]: /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(Z|[+-](\d{2})(\d{2}))$/,
};

function validity(certificate: Buffer, element: Tlv | undefined): void {
  const times = childrenOf(certificate, expect(element, tags.sequence, "validity"));
  if (times.length !== 2) throw new DerFormatError("validity has two times");
  for (const time of times) {
    const match = TIME_FORMS[time.tag]?.exec(certificate.toString("latin1", time.contentStart, time.end));
    if (!match || !isRealTime(match, time.tag === der.utcTime))
      throw new DerFormatError("validity time is not a valid UTCTime or GeneralizedTime");
  }
}

function isRealTime(match: RegExpExecArray, twoDigitYear: boolean): boolean {
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
  const [zone, offsetHours, offsetMinutes] = match.slice(7);
  // RFC 5280 §4.1.2.5.1: a two-digit year below 50 is 20YY.
  const fullYear = twoDigitYear ? (year as number) + ((year as number) < 50 ? 2000 : 1900) : (year as number);
  const date = new Date(0);
  date.setUTCFullYear(fullYear, (month as number) - 1, day);
  const offset =
    zone === "Z" || (Number(offsetHours) < 24 && Number(offsetMinutes) < 60 && zone?.slice(1) !== "0000");
  return (
    date.getUTCMonth() === (month as number) - 1 &&
    date.getUTCDate() === day &&
    (hour as number) < 24 &&
    (minute as number) < 60 &&
    (second as number) < 60 &&
    offset
  );
}

/**
 * GeneralNames at the start of the extension's OCTET STRING (RFC 5280 §4.2.1.6). Go and OpenSSL
 * both ignore bytes after it; name forms other than these are skipped, as both skip them.
 */
function subjectAltNames(content: Buffer, names: { emails: string[]; uris: string[] }): void {
  const list = expect(readTlv(content, 0), tags.sequence, "subjectAltName");
  const generalNames = childrenOf(content, list);
  if (generalNames.length === 0) throw new DerFormatError("subjectAltName is empty");
  for (const generalName of generalNames) {
    const bytes = contentOf(content, generalName);
    switch (generalName.tag) {
      case der.ipAddress:
        if (bytes.length !== 4 && bytes.length !== 16)
          throw new DerFormatError("a SAN IP address is not 4 or 16 bytes");
        break;
      case der.rfc822Name:
      case der.dnsName:
      case der.uniformResourceIdentifier: {
        if (!isIa5(bytes)) throw new DerFormatError("a SAN is not an IA5String");
        const text = bytes.toString("latin1");
        if (generalName.tag === der.rfc822Name) names.emails.push(text);
        if (generalName.tag === der.uniformResourceIdentifier) names.uris.push(text);
        break;
      }
    }
  }
}
