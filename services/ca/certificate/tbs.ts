import { randomFillSync } from "node:crypto";
import type { KeyAlgorithm, Signer } from "../../common/signer/types.ts";
import {
  bitString,
  objectIdentifier,
  sequence,
  tag,
  tlv,
  unsignedInteger,
  utf8String,
  validityTime,
} from "./der.ts";

/** What a TBSCertificate holds apart from its serial number, all as DER. */
export interface CertificateFields {
  /** DER Name of the issuer. */
  issuer: Buffer;
  /** DER Name of the subject. */
  subject: Buffer;
  /** DER SubjectPublicKeyInfo of the certified key. */
  spki: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** DER Extensions, in the order they are to appear. */
  extensions: readonly Buffer[];
}

// RFC 5758 §3.2: ecdsa-with-SHA256 / ecdsa-with-SHA384, parameters absent.
const signatureAlgorithms: Readonly<Record<KeyAlgorithm, Buffer>> = {
  "ecdsa-p256-sha256": sequence(objectIdentifier("1.2.840.10045.4.3.2")),
  "ecdsa-p384-sha384": sequence(objectIdentifier("1.2.840.10045.4.3.3")),
};

/** RFC 5280 §4.1: `version [0] EXPLICIT INTEGER v3(2)`. */
const version3 = tlv(tag.explicit(0), unsignedInteger(Buffer.of(2)));

const organizationOid = "2.5.4.10";
const commonNameOid = "2.5.4.3";

/**
 * The DER TBSCertificate (RFC 5280 §4.1) of a v3 certificate signed with `algorithm`, with
 * `serial` (DER INTEGER) and validity in whole seconds.
 */
export function tbsCertificate(fields: CertificateFields, serial: Buffer, algorithm: KeyAlgorithm): Buffer {
  return sequence(
    version3,
    serial,
    signatureAlgorithms[algorithm],
    fields.issuer,
    sequence(validityTime(wholeSeconds(fields.notBefore)), validityTime(wholeSeconds(fields.notAfter))),
    fields.subject,
    fields.spki,
    tlv(tag.explicit(3), sequence(...fields.extensions)),
  );
}

/** Has `signer` sign exactly the TBSCertificate's bytes (locally or in Cloud KMS); returns the DER certificate. */
export async function signCertificate(tbs: Buffer, signer: Signer): Promise<Buffer> {
  const signature = await signer.sign(tbs);
  return sequence(tbs, signatureAlgorithms[signer.algorithm], bitString(signature));
}

/** `O=<organization>, CN=<commonName>` as two single-valued RDNs (RFC 5280 §4.1.2.4), UTF8String. */
export function distinguishedName(organization: string, commonName: string): Buffer {
  const rdn = (type: string, value: string) =>
    tlv(tag.set, sequence(objectIdentifier(type), utf8String(value)));
  return sequence(rdn(organizationOid, organization), rdn(commonNameOid, commonName));
}

/** The empty Name of a Fulcio leaf (an empty SEQUENCE): its identity is in the SAN alone. */
export const emptyName: Buffer = sequence();

export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

const serialOctets = 20;
// Each call into the CSPRNG costs about as much as filling a few kilobytes, so serials are cut
// from a pool that is refilled when used up, as node's randomUUID does; no byte is used twice.
const serialPool = Buffer.alloc(serialOctets * 256);
let serialPoolOffset = serialPool.length;

/**
 * RFC 5280 §4.1.2.2: positive, at most 20 octets, DER-minimal. Like Fulcio (cryptoutils
 * GenerateSerialNumber), 159 random bits, so the leading octet never needs a zero pad.
 */
export function randomSerialNumber(): Buffer {
  for (;;) {
    if (serialPoolOffset === serialPool.length) {
      randomFillSync(serialPool);
      serialPoolOffset = 0;
    }
    const bytes = Buffer.from(serialPool.subarray(serialPoolOffset, serialPoolOffset + serialOctets));
    serialPoolOffset += serialOctets;
    bytes[0] = (bytes[0] ?? 0) & 0x7f;
    if (bytes.some((byte) => byte !== 0)) return unsignedInteger(bytes);
  }
}
