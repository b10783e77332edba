/**
 * Reads an issued leaf with node's X509Certificate and pkijs, independently of the CA's code, and
 * checks it against Fulcio's profile (certificate-specification.md, pkg/ca/common.go MakeX509).
 */
import { createHash, X509Certificate } from "node:crypto";
import * as asn1js from "asn1js";
import { AuthorityKeyIdentifier, Certificate, ExtKeyUsage, GeneralNames } from "pkijs";
import { expect } from "vitest";

export const OID = {
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  subjectAltName: "2.5.29.17",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  sctList: "1.3.6.1.4.1.11129.2.4.2",
  poison: "1.3.6.1.4.1.11129.2.4.3",
} as const;

export const fulcioOid = (arc: number): string => `1.3.6.1.4.1.57264.1.${arc}`;

export interface Leaf {
  x509: X509Certificate;
  certificate: Certificate;
  /** The extension's criticality and extnValue content, or undefined when absent. */
  extension(oid: string): { critical: boolean; value: Buffer } | undefined;
}

export function readLeaf(der: Buffer): Leaf {
  const certificate = Certificate.fromBER(new Uint8Array(der));
  return {
    x509: new X509Certificate(der),
    certificate,
    extension(oid) {
      const found = certificate.extensions?.find((extension) => extension.extnID === oid);
      if (!found) return undefined;
      return { critical: found.critical, value: Buffer.from(found.extnValue.valueBlock.valueHexView) };
    },
  };
}

/** The DER UTF8String asn1js makes of `value`. */
export function utf8Der(value: string): Buffer {
  return Buffer.from(new asn1js.Utf8String({ value }).toBER());
}

/** RFC 5280 §4.2.1.2 (1): SHA-1 over the subjectPublicKey bits. */
function keyIdentifierOf(certificate: Certificate): Buffer {
  return createHash("sha1")
    .update(certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)
    .digest();
}

export interface Expected {
  san: { kind: "email" | "uri"; value: string };
  /** The OIDC issuer (.1.1 raw, .1.8 UTF8String). */
  issuer: string;
  /** DER of the issuing (intermediate) certificate. */
  issuing: Buffer;
  /** DER SubjectPublicKeyInfo of the client's key. */
  spki: Buffer;
}

/** Every field of Fulcio's leaf profile that does not depend on the issuer type. */
export function expectFulcioProfile(der: Buffer, expected: Expected): Leaf {
  const leaf = readLeaf(der);
  const { x509, certificate } = leaf;
  const issuing = new X509Certificate(expected.issuing);

  expect(x509.verify(issuing.publicKey)).toBe(true);
  expect(x509.checkIssued(issuing)).toBe(true);
  expect(x509.publicKey.export({ type: "spki", format: "der" })).toEqual(expected.spki);
  expect(certificate.version).toBe(2);
  expect(certificate.subject.typesAndValues).toEqual([]);
  expect(x509.subject ?? "").toBe("");

  const serial = Buffer.from(certificate.serialNumber.valueBlock.valueHexView);
  expect(serial.length).toBeLessThanOrEqual(20);
  expect((serial[0] ?? 0) & 0x80).toBe(0);

  const notBefore = certificate.notBefore.value.getTime();
  const notAfter = certificate.notAfter.value.getTime();
  expect(notAfter - notBefore).toBe(10 * 60_000);
  expect(Math.abs(notBefore - Date.now())).toBeLessThan(60_000);

  const san = leaf.extension(OID.subjectAltName);
  expect(san?.critical).toBe(true);
  const names = GeneralNames.fromBER(new Uint8Array(san?.value ?? Buffer.alloc(0))).names;
  expect(names.map(({ type, value }) => ({ type, value }))).toEqual([
    { type: expected.san.kind === "email" ? 1 : 6, value: expected.san.value },
  ]);
  expect(x509.subjectAltName).toBe(
    `${expected.san.kind === "email" ? "email" : "URI"}:${expected.san.value}`,
  );

  // KeyUsage digitalSignature alone: one octet 0x80 with seven unused bits (X.690 §11.2.2).
  const keyUsage = leaf.extension(OID.keyUsage);
  expect(keyUsage?.critical).toBe(true);
  expect(keyUsage?.value).toEqual(Buffer.from("03020780", "hex"));

  const eku = leaf.extension(OID.extKeyUsage);
  expect(ExtKeyUsage.fromBER(new Uint8Array(eku?.value ?? Buffer.alloc(0))).keyPurposes).toEqual([
    OID.codeSigning,
  ]);

  const ski = leaf.extension(OID.subjectKeyIdentifier);
  expect(ski?.value).toEqual(octetString(keyIdentifierOf(certificate)));
  const aki = AuthorityKeyIdentifier.fromBER(
    new Uint8Array(leaf.extension(OID.authorityKeyIdentifier)?.value ?? Buffer.alloc(0)),
  );
  const issuingCertificate = Certificate.fromBER(new Uint8Array(expected.issuing));
  expect(Buffer.from(aki.keyIdentifier?.valueBlock.valueHexView ?? [])).toEqual(
    keyIdentifierOf(issuingCertificate),
  );

  expect(leaf.extension(fulcioOid(1))?.value.toString("utf8")).toBe(expected.issuer);
  expect(leaf.extension(fulcioOid(8))?.value).toEqual(utf8Der(expected.issuer));
  expect(leaf.extension(OID.poison)).toBeUndefined();
  return leaf;
}

/** An OCTET STRING around `bytes`, as the SKI extension's value is. */
function octetString(bytes: Buffer): Buffer {
  return Buffer.from(new asn1js.OctetString({ valueHex: new Uint8Array(bytes) }).toBER());
}
