import { X509Certificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { DerFormatError } from "../../../../services/log/ct/der.ts";
import { readCertificateFields } from "../../../../services/log/entries/certificate.ts";
import { ecPublicKey } from "../../../../services/log/entries/spki.ts";
import { createCa, generateKey, issueLeaf, type TestCertificate } from "../../../support/pki.ts";

let ca: TestCertificate;
beforeAll(async () => {
  ca = await createCa();
});

describe("ecPublicKey", () => {
  it.each([
    ["ecdsa-p256", "P-256"],
    ["ecdsa-p384", "P-384"],
    ["ecdsa-p521", "P-521"],
  ] as const)("reads a %s key exactly as node exports it", async (type, curve) => {
    const leaf = await issueLeaf(ca, { email: "a@example.com", key: generateKey(type) });
    const exported = new X509Certificate(leaf.der).publicKey.export({ type: "spki", format: "der" });
    const key = ecPublicKey(readCertificateFields(leaf.der).spki);
    expect(key?.curve).toBe(curve);
    expect(key?.spki.equals(exported)).toBe(true);
    expect(key?.point.equals(exported.subarray(exported.length - key.point.length))).toBe(true);
    expect(key?.point[0]).toBe(0x04);
  });

  it("leaves RSA and Ed25519 keys to node", async () => {
    for (const type of ["rsa-2048", "ed25519"] as const) {
      const leaf = await issueLeaf(ca, { email: "a@example.com", key: generateKey(type) });
      expect(ecPublicKey(readCertificateFields(leaf.der).spki)).toBeUndefined();
    }
  });
});

describe("readCertificateFields, strict DER", () => {
  it("accepts certificates as node and pkijs write them", async () => {
    for (const type of ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "ed25519"] as const) {
      const leaf = await issueLeaf(ca, { email: "a@example.com", key: generateKey(type) });
      expect(() => readCertificateFields(leaf.der)).not.toThrow();
    }
    expect(() => readCertificateFields(ca.der)).not.toThrow();
  });

  it("refuses BER anywhere inside, and bytes after", async () => {
    const { der } = await issueLeaf(ca, { email: "a@example.com" });
    // Certificate 30 82 LL LL, TBSCertificate 30 82 LL LL, version a0 03 02 01 02, then the serial.
    const withVersion = (version: string) => {
      const changed = Buffer.concat([der.subarray(0, 8), Buffer.from(version, "hex"), der.subarray(13)]);
      const grown = changed.length - der.length;
      for (const at of [2, 6]) changed.writeUInt16BE(changed.readUInt16BE(at) + grown, at);
      return changed;
    };
    expect(() => readCertificateFields(withVersion("a003020102"))).not.toThrow();
    expect(() => readCertificateFields(withVersion("a0800201020000"))).toThrow(DerFormatError); // indefinite length
    expect(() => readCertificateFields(withVersion("a08103020102"))).toThrow(DerFormatError); // long form for 3
    expect(() => readCertificateFields(withVersion("bf2003020102"))).toThrow(DerFormatError); // high tag number
    expect(() => readCertificateFields(withVersion("a00402010200"))).toThrow(DerFormatError); // child short of its parent
    expect(() => readCertificateFields(Buffer.concat([der, Buffer.of(0)]))).toThrow(DerFormatError);
    expect(() => readCertificateFields(der.subarray(0, der.length - 1))).toThrow(DerFormatError);
  });
});
