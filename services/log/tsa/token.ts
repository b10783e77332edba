import { createHash } from "node:crypto";
import * as asn1js from "asn1js";
import {
  AlgorithmIdentifier,
  Attribute,
  type Certificate,
  ContentInfo,
  EncapsulatedContentInfo,
  GeneralName,
  GeneralNames,
  IssuerAndSerialNumber,
  IssuerSerial,
  SignedAndUnsignedAttributes,
  SignedData,
  SignerInfo,
} from "pkijs";
import type { Signer } from "../../common/signer/types.ts";
import { hashOid, signatureSpec } from "./algorithms.ts";

// RFC 5652 §11 and RFC 3161 §2.4.2 / RFC 5816 §2.2.1 object identifiers.
const ID_SIGNED_DATA = "1.2.840.113549.1.7.2";
const ID_CT_TSTINFO = "1.2.840.113549.1.9.16.1.4";
const ID_CONTENT_TYPE = "1.2.840.113549.1.9.3";
const ID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4";
const ID_SIGNING_TIME = "1.2.840.113549.1.9.5";
const ID_AA_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47";
const DIRECTORY_NAME = 4;

export interface TokenSigner {
  readonly signer: Signer;
  readonly leaf: Certificate;
  readonly leafDer: Buffer;
  readonly chain: readonly Certificate[];
}

/**
 * Wraps a DER TSTInfo in a CMS SignedData (RFC 3161 §2.4.2) signed by the TSA leaf, and returns
 * the DER TimeStampToken (a ContentInfo).
 */
export async function signTstInfo(
  tsa: TokenSigner,
  tstInfo: Buffer,
  genTime: Date,
  includeCertificates: boolean,
): Promise<ContentInfo> {
  const { digest, signatureOid } = signatureSpec(tsa.signer.algorithm);
  const signedAttrs = new SignedAndUnsignedAttributes({
    type: 0,
    attributes: sortedForDer([
      attribute(ID_CONTENT_TYPE, new asn1js.ObjectIdentifier({ value: ID_CT_TSTINFO })),
      attribute(ID_SIGNING_TIME, new asn1js.UTCTime({ valueDate: genTime })),
      attribute(ID_MESSAGE_DIGEST, octets(createHash(digest).update(tstInfo).digest())),
      attribute(ID_AA_SIGNING_CERTIFICATE_V2, signingCertificateV2(tsa)),
    ]),
  });
  const signature = await tsa.signer.sign(signedAttributesForSignature(signedAttrs));
  const signerInfo = new SignerInfo({
    version: 1,
    sid: new IssuerAndSerialNumber({ issuer: tsa.leaf.issuer, serialNumber: tsa.leaf.serialNumber }),
    digestAlgorithm: new AlgorithmIdentifier({ algorithmId: hashOid(digest) }),
    signedAttrs,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithmId: signatureOid }),
    signature: octets(signature),
  });
  // Set after construction: the constructor would re-encode eContent as a constructed (BER)
  // OCTET STRING, which DER-only parsers such as sigstore-js's cannot read.
  const encapContentInfo = new EncapsulatedContentInfo({ eContentType: ID_CT_TSTINFO });
  encapContentInfo.eContent = octets(tstInfo);
  const signedData = new SignedData({
    version: 3,
    digestAlgorithms: [new AlgorithmIdentifier({ algorithmId: hashOid(digest) })],
    encapContentInfo,
    signerInfos: [signerInfo],
    ...(includeCertificates ? { certificates: [...tsa.chain] } : {}),
  });
  return new ContentInfo({ contentType: ID_SIGNED_DATA, content: signedData.toSchema() });
}

function attribute(type: string, value: asn1js.AsnType): Attribute {
  return new Attribute({ type, values: [value] });
}

function octets(bytes: Buffer): asn1js.OctetString {
  return new asn1js.OctetString({ valueHex: new Uint8Array(bytes) });
}

/**
 * RFC 5816 §2.2.1 SigningCertificateV2 with one ESSCertIDv2 naming the leaf. The hash algorithm
 * is SHA-256, the DEFAULT, so DER leaves it out.
 */
function signingCertificateV2(tsa: TokenSigner): asn1js.Sequence {
  const issuerSerial = new IssuerSerial({
    issuer: new GeneralNames({
      names: [new GeneralName({ type: DIRECTORY_NAME, value: tsa.leaf.issuer })],
    }),
    serialNumber: tsa.leaf.serialNumber,
  });
  const certId = new asn1js.Sequence({
    value: [octets(createHash("sha256").update(tsa.leafDer).digest()), issuerSerial.toSchema()],
  });
  return new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [certId] })] });
}

/** X.690 §11.6: DER orders the members of a SET OF by their encodings. */
function sortedForDer(attributes: Attribute[]): Attribute[] {
  const encoded = attributes.map((a) => ({ a, der: Buffer.from(a.toSchema().toBER()) }));
  return encoded.sort((x, y) => Buffer.compare(x.der, y.der)).map(({ a }) => a);
}

/** RFC 5652 §5.4: the signature covers the signed attributes re-tagged as a universal SET OF. */
function signedAttributesForSignature(signedAttrs: SignedAndUnsignedAttributes): Buffer {
  const der = Buffer.from(signedAttrs.toSchema().toBER());
  der[0] = 0x31;
  return der;
}
