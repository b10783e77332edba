import { randomBytes } from "node:crypto";
import * as asn1js from "asn1js";
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  Certificate,
  type Extension,
  PublicKeyInfo,
  RelativeDistinguishedNames,
  Time,
} from "pkijs";
import type { KeyAlgorithm, Signer } from "../../common/signer/types.ts";

export interface CertificateFields {
  issuer: RelativeDistinguishedNames;
  subject: RelativeDistinguishedNames;
  /** DER SubjectPublicKeyInfo of the certified key. */
  spki: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
}

// RFC 5758 §3.2: ecdsa-with-SHA256 / ecdsa-with-SHA384, parameters absent.
const signatureOids: Readonly<Record<KeyAlgorithm, string>> = {
  "ecdsa-p256-sha256": "1.2.840.10045.4.3.2",
  "ecdsa-p384-sha384": "1.2.840.10045.4.3.3",
};

const organizationOid = "2.5.4.10";
const commonNameOid = "2.5.4.3";

/**
 * An unsigned v3 certificate (RFC 5280 §4.1) whose TBSCertificate names the signature algorithm of
 * `algorithm`, with a fresh serial number and validity in whole seconds.
 */
export function unsignedCertificate(fields: CertificateFields, algorithm: KeyAlgorithm): Certificate {
  const signature = new AlgorithmIdentifier({ algorithmId: signatureOids[algorithm] });
  return new Certificate({
    version: 2,
    serialNumber: randomSerialNumber(),
    signature,
    signatureAlgorithm: signature,
    issuer: fields.issuer,
    subject: fields.subject,
    notBefore: validityTime(fields.notBefore),
    notAfter: validityTime(fields.notAfter),
    subjectPublicKeyInfo: PublicKeyInfo.fromBER(new Uint8Array(fields.spki)),
    extensions: fields.extensions,
  });
}

/**
 * DER-encodes the TBSCertificate, has `signer` sign exactly those bytes (locally or in Cloud KMS)
 * and returns the DER certificate. The certificate may be changed and signed again.
 */
export async function signCertificate(certificate: Certificate, signer: Signer): Promise<Buffer> {
  const tbs = new Uint8Array(certificate.encodeTBS().toBER());
  certificate.tbsView = tbs;
  certificate.signatureValue = new asn1js.BitString({
    valueHex: new Uint8Array(await signer.sign(Buffer.from(tbs))),
  });
  return Buffer.from(certificate.toSchema().toBER());
}

/**
 * `O=<organization>, CN=<commonName>` as two single-valued RDNs. Built from DER because pkijs
 * would encode its typesAndValues as one multi-valued RDN.
 */
export function distinguishedName(organization: string, commonName: string): RelativeDistinguishedNames {
  const rdn = (type: string, value: string) =>
    new asn1js.Set({
      value: [new AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) }).toSchema()],
    });
  const name = new asn1js.Sequence({
    value: [rdn(organizationOid, organization), rdn(commonNameOid, commonName)],
  });
  return RelativeDistinguishedNames.fromBER(name.toBER());
}

/**
 * The empty Name of a Fulcio leaf (an empty SEQUENCE): its identity is in the SAN alone. Parsed
 * from DER because a fresh pkijs RelativeDistinguishedNames encodes one empty RDN instead.
 */
export function emptyName(): RelativeDistinguishedNames {
  return RelativeDistinguishedNames.fromBER(new asn1js.Sequence().toBER());
}

export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/**
 * RFC 5280 §4.1.2.2: positive, at most 20 octets, DER-minimal. Like Fulcio (cryptoutils
 * GenerateSerialNumber), 159 random bits, so the leading octet never needs a zero pad.
 */
function randomSerialNumber(): asn1js.Integer {
  for (;;) {
    const bytes = randomBytes(20);
    bytes[0] = (bytes[0] ?? 0) & 0x7f;
    const value = BigInt(`0x${bytes.toString("hex")}`);
    if (value > 0n) return asn1js.Integer.fromBigInt(value);
  }
}

/**
 * RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime after, both in whole seconds (a
 * fraction is forbidden, and sigstore-js rejects the trimmed ".12Z" form DER would produce).
 */
function validityTime(date: Date): Time {
  const value = wholeSeconds(date);
  return new Time({ type: value.getUTCFullYear() < 2050 ? 0 : 1, value });
}
