import { X509Certificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { certificateEcKey } from "../../../../services/log/entries/spki.ts";
import { createCa, generateKey, issueLeaf, type TestCertificate } from "../../../support/pki.ts";

let ca: TestCertificate;
beforeAll(async () => {
  ca = await createCa();
});

describe("certificateEcKey", () => {
  it.each([
    ["ecdsa-p256", "P-256"],
    ["ecdsa-p384", "P-384"],
    ["ecdsa-p521", "P-521"],
  ] as const)("reads a %s key exactly as node exports it", async (type, curve) => {
    const leaf = await issueLeaf(ca, { email: "a@example.com", key: generateKey(type) });
    const exported = new X509Certificate(leaf.der).publicKey.export({ type: "spki", format: "der" });
    const key = certificateEcKey(leaf.der);
    expect(key?.curve).toBe(curve);
    expect(key?.spki.equals(exported)).toBe(true);
    expect(key?.point.equals(exported.subarray(exported.length - key.point.length))).toBe(true);
    expect(key?.point[0]).toBe(0x04);
  });

  it("leaves RSA and Ed25519 keys to node", async () => {
    for (const type of ["rsa-2048", "ed25519"] as const) {
      const leaf = await issueLeaf(ca, { email: "a@example.com", key: generateKey(type) });
      expect(certificateEcKey(leaf.der)).toBeUndefined();
    }
  });
});
