import { createHash } from "node:crypto";
import * as asn1js from "asn1js";
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Extension,
  ExtKeyUsage,
  GeneralName,
  GeneralNames,
  PublicKeyInfo,
} from "pkijs";
import { sctListExtensionOid } from "../../common/ct/sct.ts";

/** RFC 5280 §4.2.1 extensions, RFC 6962 §3.1 and §3.3, and Fulcio's docs/oid-info.md. */
export const oids = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  ctPoison: "1.3.6.1.4.1.11129.2.4.3",
  ctSctList: sctListExtensionOid,
} as const;

/** RFC 5280 §4.2.1.3 KeyUsage bits, numbered from the most significant bit of the first octet. */
export const keyUsageBit = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

export function keyUsage(bits: readonly number[]): Extension {
  const octet = bits.reduce((byte, bit) => byte | (0x80 >> bit), 0);
  // DER: the unused trailing bits are those after the last bit set (X.690 §11.2.2).
  const unusedBits = Math.min(...bits.map((bit) => 7 - bit));
  return extension(oids.keyUsage, true, new asn1js.BitString({ valueHex: Uint8Array.of(octet), unusedBits }));
}

/** Non-critical, as Go's x509 (and so Fulcio) writes it. */
export function extendedKeyUsage(purposes: string[]): Extension {
  return extension(oids.extKeyUsage, false, new ExtKeyUsage({ keyPurposes: purposes }).toSchema());
}

/** CA:TRUE with a path length constraint (RFC 5280 §4.2.1.9). */
export function caBasicConstraints(pathLength: number): Extension {
  const value = new BasicConstraints({ cA: true, pathLenConstraint: pathLength });
  return extension(oids.basicConstraints, true, value.toSchema());
}

export function subjectKeyIdentifier(spki: Buffer): Extension {
  return extension(oids.subjectKeyIdentifier, false, octets(keyIdentifier(spki)));
}

export function authorityKeyIdentifier(issuerKeyIdentifier: Buffer): Extension {
  const value = new AuthorityKeyIdentifier({ keyIdentifier: octets(issuerKeyIdentifier) });
  return extension(oids.authorityKeyIdentifier, false, value.toSchema());
}

/**
 * Exactly one name, critical because the subject is empty (RFC 5280 §4.2.1.6): an rfc822Name for
 * email identities, a URI otherwise. Both are IA5String, so the caller checks for ASCII.
 */
export function subjectAltName(san: { kind: "email" | "uri"; value: string }): Extension {
  const name = new GeneralName({ type: san.kind === "email" ? 1 : 6, value: san.value });
  return extension(oids.subjectAltName, true, new GeneralNames({ names: [name] }).toSchema());
}

/** RFC 6962 §3.1: critical, value ASN.1 NULL; makes the precertificate unusable as a certificate. */
export function ctPoison(): Extension {
  return extension(oids.ctPoison, true, new asn1js.Null());
}

/** RFC 6962 §3.3: `value` is the extnValue content, the DER OCTET STRING around the TLS SCT list. */
export function ctSctList(value: Buffer): Extension {
  return rawExtension(oids.ctSctList, value);
}

/** A non-critical extension whose extnValue content is `value`, byte for byte. */
export function rawExtension(extnID: string, value: Buffer): Extension {
  return new Extension({ extnID, critical: false, extnValue: new Uint8Array(value).buffer });
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's bits. */
export function keyIdentifier(spki: Buffer): Buffer {
  const publicKey = PublicKeyInfo.fromBER(new Uint8Array(spki)).subjectPublicKey.valueBlock.valueHexView;
  return createHash("sha1").update(publicKey).digest();
}

/** The SubjectKeyIdentifier of a parsed certificate, or undefined when it has none. */
export function findKeyIdentifier(extensions: readonly Extension[] | undefined): Buffer | undefined {
  const found = extensions?.find((candidate) => candidate.extnID === oids.subjectKeyIdentifier);
  const parsed = found && asn1js.fromBER(found.extnValue.valueBlock.valueHexView).result;
  return parsed instanceof asn1js.OctetString ? Buffer.from(parsed.valueBlock.valueHexView) : undefined;
}

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): Extension {
  return new Extension({ extnID, critical, extnValue: value.toBER() });
}

function octets(bytes: Buffer): asn1js.OctetString {
  return new asn1js.OctetString({ valueHex: new Uint8Array(bytes) });
}
