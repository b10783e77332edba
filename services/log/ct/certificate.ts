import {
  bytesOf,
  childrenOf,
  contentOf,
  DerFormatError,
  decodeObjectIdentifier,
  encodeTlv,
  readTlv,
  type Tlv,
  tags,
} from "./der.ts";

/** RFC 5280 §4.1: the parts of a certificate the CT log reads, as byte ranges of the DER. */
export interface CertificateParts {
  der: Buffer;
  tbs: Buffer;
  subjectPublicKeyInfo: Buffer;
  extensions: CertificateExtension[];
  tbsElement: Tlv;
  /** The `[3] EXPLICIT Extensions` element of the TBSCertificate, if present. */
  extensionsElement: Tlv | undefined;
}

export interface CertificateExtension {
  oid: string;
  critical: boolean;
  value: Buffer;
  element: Tlv;
}

const explicitVersion = 0xa0;
const explicitExtensions = 0xa3;

export function parseCertificate(der: Buffer): CertificateParts {
  const { tbsElement, fields, spki } = tbsFields(der);
  const extensionsElement = fields.find((field) => field.tag === explicitExtensions);
  return {
    der,
    tbs: bytesOf(der, tbsElement),
    subjectPublicKeyInfo: bytesOf(der, spki),
    extensions: extensionsElement ? readExtensions(der, extensionsElement) : [],
    tbsElement,
    extensionsElement,
  };
}

function tbsFields(der: Buffer): { tbsElement: Tlv; fields: Tlv[]; spki: Tlv } {
  const certificate = readTlv(der, 0);
  if (certificate.tag !== tags.sequence || certificate.end !== der.length) {
    throw new DerFormatError("a certificate is one SEQUENCE");
  }
  const [tbsElement] = childrenOf(der, certificate);
  if (tbsElement?.tag !== tags.sequence) throw new DerFormatError("TBSCertificate is not a SEQUENCE");
  const fields = childrenOf(der, tbsElement);
  // serialNumber, signature, issuer, validity, subject come before subjectPublicKeyInfo.
  const spki = fields[fields[0]?.tag === explicitVersion ? 6 : 5];
  if (spki?.tag !== tags.sequence) throw new DerFormatError("subjectPublicKeyInfo is not a SEQUENCE");
  return { tbsElement, fields, spki };
}

/**
 * The Extensions inside a TBSCertificate's `[3]` wrapper (RFC 5280 §4.1), refused as Go's x509
 * refuses them: a malformed Extension, a BOOLEAN other than 0x00 or 0xff, or one OID twice.
 */
export function readExtensions(der: Buffer, wrapper: Tlv): CertificateExtension[] {
  const [list, ...rest] = childrenOf(der, wrapper);
  if (list?.tag !== tags.sequence || rest.length > 0)
    throw new DerFormatError("Extensions is not a SEQUENCE");
  const seen = new Set<string>();
  const extensions: CertificateExtension[] = [];
  // A loop, not a closure made per certificate: V8 compiled such a closure afresh many times.
  for (const element of childrenOf(der, list)) {
    const parts = element.tag === tags.sequence ? childrenOf(der, element) : [];
    const [oid, second, third] = parts;
    const critical = parts.length === 3 ? second : undefined;
    const value = parts.length === 3 ? third : second;
    const criticalByte =
      critical && critical.end - critical.contentStart === 1 ? der[critical.contentStart] : undefined;
    const wellFormed =
      oid?.tag === tags.objectIdentifier &&
      value?.tag === tags.octetString &&
      (critical === undefined ||
        (critical.tag === tags.boolean && (criticalByte === 0x00 || criticalByte === 0xff)));
    if (!wellFormed) throw new DerFormatError("malformed Extension");
    const id = decodeObjectIdentifier(contentOf(der, oid));
    if (seen.has(id)) throw new DerFormatError(`extension ${id} appears twice`);
    seen.add(id);
    extensions.push({ oid: id, critical: criticalByte === 0xff, value: contentOf(der, value), element });
  }
  return extensions;
}

export function findExtension(certificate: CertificateParts, oid: string): CertificateExtension | undefined {
  return certificate.extensions.find((extension) => extension.oid === oid);
}

/**
 * The TBSCertificate with one extension removed and every other byte unchanged (RFC 6962 §3.2).
 * Like Go's x509 it omits the `[3]` wrapper when no extension remains, since RFC 5280 forbids an
 * empty Extensions SEQUENCE.
 */
export function tbsWithoutExtension(certificate: CertificateParts, removed: CertificateExtension): Buffer {
  const { der, tbsElement, extensionsElement } = certificate;
  if (!extensionsElement) throw new DerFormatError("the certificate has no extensions");
  const kept = certificate.extensions.filter((extension) => extension !== removed);
  const wrapper =
    kept.length === 0
      ? Buffer.alloc(0)
      : encodeTlv(
          explicitExtensions,
          encodeTlv(tags.sequence, Buffer.concat(kept.map((extension) => bytesOf(der, extension.element)))),
        );
  const content = Buffer.concat([
    der.subarray(tbsElement.contentStart, extensionsElement.start),
    wrapper,
    der.subarray(extensionsElement.end, tbsElement.end),
  ]);
  return encodeTlv(tags.sequence, content);
}
