import { createHash, randomBytes } from "node:crypto";
import * as asn1js from "asn1js";
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  Extension,
  ExtKeyUsage,
  PublicKeyInfo,
  RelativeDistinguishedNames,
  Time,
} from "pkijs";
import type { KeyAlgorithm, Signer } from "../../common/signer/types.ts";

// RFC 5280 §4.2.1 extension and §4.1.2.4 attribute identifiers.
const ID_CE_SUBJECT_KEY_IDENTIFIER = "2.5.29.14";
const ID_CE_KEY_USAGE = "2.5.29.15";
const ID_CE_BASIC_CONSTRAINTS = "2.5.29.19";
const ID_CE_AUTHORITY_KEY_IDENTIFIER = "2.5.29.35";
const ID_CE_EXT_KEY_USAGE = "2.5.29.37";
const ID_AT_COMMON_NAME = "2.5.4.3";
const ID_AT_ORGANIZATION = "2.5.4.10";
export const ID_KP_TIME_STAMPING = "1.3.6.1.5.5.7.3.8";

/** RFC 5280 §4.2.1.3 KeyUsage bits, numbered from the most significant bit of the first octet. */
export const KeyUsageBit = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

export interface CertificateRequest {
  subject: RelativeDistinguishedNames;
  issuer: RelativeDistinguishedNames;
  /** DER SubjectPublicKeyInfo of the certified key. */
  spki: Buffer;
  /** DER SubjectPublicKeyInfo of the issuer's key, for the authority key identifier. */
  issuerSpki: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
  /** The issuer's key: a local key or Cloud KMS, whose public key is `issuerSpki`. */
  issuerSigner: Signer;
}

// RFC 5758 §3.2: ECDSA signature algorithms, parameters absent.
const SIGNATURE_ALGORITHMS: Readonly<Record<KeyAlgorithm, string>> = {
  "ecdsa-p256-sha256": "1.2.840.10045.4.3.2",
  "ecdsa-p384-sha384": "1.2.840.10045.4.3.3",
};

/** Issues a v3 certificate (RFC 5280 §4.1) with a random positive 127-bit serial number. */
export async function issueCertificate(request: CertificateRequest): Promise<Buffer> {
  const certificate = new Certificate({
    version: 2,
    serialNumber: asn1js.Integer.fromBigInt((BigInt(`0x${randomBytes(16).toString("hex")}`) >> 1n) + 1n),
    subject: request.subject,
    issuer: request.issuer,
    notBefore: validityTime(request.notBefore),
    notAfter: validityTime(request.notAfter),
    subjectPublicKeyInfo: PublicKeyInfo.fromBER(new Uint8Array(request.spki)),
    extensions: [
      ...request.extensions,
      extension(ID_CE_SUBJECT_KEY_IDENTIFIER, false, octets(keyIdentifier(request.spki))),
      extension(
        ID_CE_AUTHORITY_KEY_IDENTIFIER,
        false,
        new AuthorityKeyIdentifier({ keyIdentifier: octets(keyIdentifier(request.issuerSpki)) }).toSchema(),
      ),
    ],
  });
  // Signed through the Signer interface rather than pkijs's Web Crypto path, so a root in Cloud
  // KMS can issue the chain too.
  const algorithm = SIGNATURE_ALGORITHMS[request.issuerSigner.algorithm];
  certificate.signature = new AlgorithmIdentifier({ algorithmId: algorithm });
  certificate.signatureAlgorithm = new AlgorithmIdentifier({ algorithmId: algorithm });
  const tbs = Buffer.from(certificate.encodeTBS().toBER());
  certificate.tbsView = new Uint8Array(tbs);
  const signature = await request.issuerSigner.sign(tbs);
  certificate.signatureValue = new asn1js.BitString({ valueHex: new Uint8Array(signature).buffer });
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
    value: [rdn(ID_AT_ORGANIZATION, organization), rdn(ID_AT_COMMON_NAME, commonName)],
  });
  return RelativeDistinguishedNames.fromBER(name.toBER());
}

export function basicConstraints(ca: boolean): Extension {
  const value = ca ? new BasicConstraints({ cA: true, pathLenConstraint: 0 }) : new BasicConstraints({});
  return extension(ID_CE_BASIC_CONSTRAINTS, true, value.toSchema());
}

export function keyUsage(bits: readonly number[]): Extension {
  const octet = bits.reduce((byte, bit) => byte | (0x80 >> bit), 0);
  // DER: the unused trailing bits are those after the last bit set (X.690 §11.2.2).
  const unusedBits = Math.min(...bits.map((bit) => 7 - bit));
  const value = new asn1js.BitString({ valueHex: new Uint8Array([octet]), unusedBits });
  return extension(ID_CE_KEY_USAGE, true, value);
}

export function extendedKeyUsage(purposes: string[]): Extension {
  return extension(ID_CE_EXT_KEY_USAGE, true, new ExtKeyUsage({ keyPurposes: purposes }).toSchema());
}

/**
 * RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime after, both in whole seconds (a
 * fraction is forbidden, and sigstore-js rejects the trimmed ".12Z" form DER would produce).
 */
function validityTime(date: Date): Time {
  const wholeSeconds = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return new Time({ type: wholeSeconds.getUTCFullYear() < 2050 ? 0 : 1, value: wholeSeconds });
}

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): Extension {
  return new Extension({ extnID, critical, extnValue: value.toBER() });
}

function octets(bytes: Buffer): asn1js.OctetString {
  return new asn1js.OctetString({ valueHex: new Uint8Array(bytes) });
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's bits. */
function keyIdentifier(spki: Buffer): Buffer {
  const publicKey = PublicKeyInfo.fromBER(new Uint8Array(spki)).subjectPublicKey.valueBlock.valueHexView;
  return createHash("sha1").update(publicKey).digest();
}
