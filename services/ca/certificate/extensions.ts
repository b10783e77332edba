import { hash } from "node:crypto";
import { sctListExtensionOid } from "../../common/ct/sct.ts";
import {
  bitString,
  booleanTrue,
  childrenOf,
  objectIdentifier,
  octetString,
  readElement,
  sequence,
  tag,
  tlv,
  unsignedInteger,
} from "./der.ts";

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

/**
 * RFC 5280 §4.1 Extension as DER: `extnID`, `critical` only when true (DER leaves a DEFAULT
 * value out), and `value` (the DER of the extension's own type) inside the extnValue OCTET STRING.
 */
export function extension(extnID: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? sequence(objectIdentifier(extnID), booleanTrue, octetString(value))
    : sequence(objectIdentifier(extnID), octetString(value));
}

export function keyUsage(bits: readonly number[]): Buffer {
  const octet = bits.reduce((byte, bit) => byte | (0x80 >> bit), 0);
  // DER: the unused trailing bits are those after the last bit set (X.690 §11.2.2).
  const unusedBits = Math.min(...bits.map((bit) => 7 - bit));
  return extension(oids.keyUsage, true, bitString(Buffer.of(octet), unusedBits));
}

/** Non-critical, as Go's x509 (and so Fulcio) writes it. */
export function extendedKeyUsage(purposes: readonly string[]): Buffer {
  return extension(oids.extKeyUsage, false, sequence(...purposes.map(objectIdentifier)));
}

/** CA:TRUE with a path length constraint (RFC 5280 §4.2.1.9). */
export function caBasicConstraints(pathLength: number): Buffer {
  const value = sequence(booleanTrue, unsignedInteger(Buffer.of(pathLength)));
  return extension(oids.basicConstraints, true, value);
}

export function subjectKeyIdentifier(spki: Buffer): Buffer {
  return extension(oids.subjectKeyIdentifier, false, octetString(keyIdentifier(spki)));
}

/** AuthorityKeyIdentifier with only `[0] IMPLICIT keyIdentifier` (RFC 5280 §4.2.1.1). */
export function authorityKeyIdentifier(issuerKeyIdentifier: Buffer): Buffer {
  return extension(oids.authorityKeyIdentifier, false, sequence(tlv(tag.implicit(0), issuerKeyIdentifier)));
}

/**
 * Exactly one name, critical because the subject is empty (RFC 5280 §4.2.1.6): an rfc822Name
 * (`[1]`) for email identities, a uniformResourceIdentifier (`[6]`) otherwise. Both are
 * IA5String, so the caller checks for ASCII.
 */
export function subjectAltName(san: { kind: "email" | "uri"; value: string }): Buffer {
  const name = tlv(tag.implicit(san.kind === "email" ? 1 : 6), Buffer.from(san.value, "latin1"));
  return extension(oids.subjectAltName, true, sequence(name));
}

/** RFC 6962 §3.1: critical, value ASN.1 NULL; makes the precertificate unusable as a certificate. */
export const ctPoison: Buffer = extension(oids.ctPoison, true, Buffer.of(tag.null, 0));

/** RFC 6962 §3.3: `value` is the extnValue content, the DER OCTET STRING around the TLS SCT list. */
export function ctSctList(value: Buffer): Buffer {
  return extension(oids.ctSctList, false, value);
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's bits. */
export function keyIdentifier(spki: Buffer): Buffer {
  const [, publicKey] = childrenOf(spki, readElement(spki, 0));
  if (publicKey?.tag !== tag.bitString) throw new Error("not a SubjectPublicKeyInfo");
  // The first content octet counts unused bits; a key's bit string has none.
  return hash("sha1", spki.subarray(publicKey.contentStart + 1, publicKey.end), "buffer");
}

/** The keyIdentifier of the SubjectKeyIdentifier among a certificate's DER extensions, if any. */
export function findKeyIdentifier(certificate: Buffer): Buffer | undefined {
  const tbs = childrenOf(certificate, readElement(certificate, 0))[0];
  const wrapper = tbs && childrenOf(certificate, tbs).find((field) => field.tag === tag.explicit(3));
  const list = wrapper && childrenOf(certificate, wrapper)[0];
  for (const element of list ? childrenOf(certificate, list) : []) {
    const [id, ...rest] = childrenOf(certificate, element);
    const value = rest.at(-1);
    if (
      !id ||
      !value ||
      !certificate.subarray(id.start, id.end).equals(objectIdentifier(oids.subjectKeyIdentifier))
    )
      continue;
    const inner = readElement(certificate, value.contentStart);
    return inner.tag === tag.octetString ? certificate.subarray(inner.contentStart, inner.end) : undefined;
  }
  return undefined;
}
