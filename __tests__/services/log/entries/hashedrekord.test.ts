import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { validateProposedEntry } from "../../../../services/log/entries/index.ts";
import { createCa, generateKey, issueLeaf, type TestCertificate, toPem } from "../../../support/pki.ts";
import * as F from "./fixtures.ts";
import { b64, checkWithSigstore, hexDigestOf, rejectionOf, sigstoreMessage } from "./support.ts";

function hashedRekord(hash: { algorithm?: string; value: string }, signature: string, publicKey: string) {
  return {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: hash.algorithm ?? "sha256", value: hash.value } },
      signature: { content: signature, publicKey: { content: publicKey } },
    },
  };
}

/** The fixed vector with one part replaced. */
function fixedWith(parts: {
  hash?: { algorithm?: string; value: string };
  signature?: string;
  key?: string;
}) {
  return hashedRekord(
    parts.hash ?? { value: F.FIXED_ARTIFACT_SHA256 },
    parts.signature ?? F.FIXED_ARTIFACT_SIGNATURE,
    parts.key ?? F.FIXED_KEY_CONTENT,
  );
}

const WORKFLOW = "https://github.com/Example/Repo/.github/workflows/release.yml@refs/heads/main";
let root: TestCertificate;
let aliceCert: TestCertificate;
let workflowCert: TestCertificate;

beforeAll(async () => {
  root = await createCa();
  aliceCert = await issueLeaf(root, {
    email: "Alice@Example.com",
    oidcIssuer: "https://accounts.example.com",
  });
  workflowCert = await issueLeaf(root, { uri: WORKFLOW });
});

describe("hashedrekord 0.0.1", () => {
  it("canonicalizes the fixed vector byte for byte", () => {
    const entry = validateProposedEntry(fixedWith({}));
    expect(entry.canonicalBody.toString()).toBe(
      `{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"${F.FIXED_ARTIFACT_SHA256}"}},"signature":{"content":"${F.FIXED_ARTIFACT_SIGNATURE}","publicKey":{"content":"${F.FIXED_KEY_CONTENT}"}}}}`,
    );
    expect(entry.searchKeys).toEqual([
      `hash:sha256:${F.FIXED_ARTIFACT_SHA256}`,
      `key:sha256:${F.FIXED_KEY_SPKI_SHA256}`,
    ]);
  });

  it("accepts what sigstore-js sends with a Fulcio-like certificate, and sigstore-js accepts the stored body", () => {
    const artifact = Buffer.from("release.tar.gz contents");
    const { proposed, content } = sigstoreMessage(artifact, aliceCert.key, aliceCert.pem);
    const entry = validateProposedEntry(proposed);
    checkWithSigstore(entry, content);
    expect(entry.searchKeys).toEqual([
      `hash:sha256:${hexDigestOf(artifact)}`,
      `key:sha256:${hexDigestOf(aliceCert.key.spki)}`,
      "email:alice@example.com",
    ]);
    const other = sigstoreMessage(Buffer.from("another artifact"), aliceCert.key, aliceCert.pem);
    expect(() => checkWithSigstore(entry, other.content)).toThrow(/mismatch/);
  });

  it("indexes a certificate's URI SAN as a subject", () => {
    const { proposed } = sigstoreMessage(Buffer.from("a"), workflowCert.key, workflowCert.pem);
    expect(validateProposedEntry(proposed).searchKeys).toContain(`subject:${WORKFLOW.toLowerCase()}`);
  });

  it("reads SANs that node quotes because they hold commas or quotes", async () => {
    const uri = 'https://example.com/a, email:mallory@example.com "b"';
    const cert = await issueLeaf(root, { uri, email: "x,y@example.com" });
    const { proposed } = sigstoreMessage(Buffer.from("a"), cert.key, cert.pem);
    const keys = validateProposedEntry(proposed).searchKeys;
    expect(keys).toContain(`subject:${uri}`);
    expect(keys).toContain("email:x,y@example.com");
    expect(keys).not.toContain("email:mallory@example.com");
  });

  it("stores the certificate as Rekor re-encodes it: 64-column PEM with LF line ends", () => {
    const lines = aliceCert.der.toString("base64").match(/.{1,76}/g) ?? [];
    const crlf76 = `-----BEGIN CERTIFICATE-----\r\n${lines.join("\r\n")}\r\n-----END CERTIFICATE-----\r\n`;
    const artifact = Buffer.from("x");
    const signature = b64(aliceCert.key.sign(artifact));
    const entry = validateProposedEntry(
      hashedRekord({ value: hexDigestOf(artifact) }, signature, b64(crlf76)),
    );
    const body = JSON.parse(entry.canonicalBody.toString());
    expect(Buffer.from(body.spec.signature.publicKey.content, "base64").toString()).toBe(aliceCert.pem);
  });

  it.each([
    ["ECDSA P-384 over SHA-384", "ecdsa-p384", "sha384"],
    ["ECDSA P-521 over SHA-512", "ecdsa-p521", "sha512"],
    ["ECDSA P-256 over a truncated SHA-512", "ecdsa-p256", "sha512"],
    ["RSA PKCS#1 v1.5 over SHA-256", "rsa-2048", "sha256"],
    ["RSA PKCS#1 v1.5 over SHA-512", "rsa-2048", "sha512"],
  ] as const)("verifies %s with a bare public key", (_, type, algorithm) => {
    const key = generateKey(type);
    const artifact = Buffer.from(`artifact for ${type}`);
    const signature = b64(key.sign(artifact, algorithm));
    const value = hexDigestOf(artifact, algorithm);
    const entry = validateProposedEntry(hashedRekord({ algorithm, value }, signature, b64(key.publicKeyPem)));
    expect(entry.searchKeys[0]).toBe(`hash:${algorithm}:${value}`);
    const forged = hashedRekord(
      { algorithm, value: hexDigestOf("other", algorithm) },
      signature,
      b64(key.publicKeyPem),
    );
    expect(rejectionOf(forged)).toEqual({ status: 400, code: "INVALID_SIGNATURE" });
  });

  it("refuses a certificate that is not strict DER throughout, as Go's x509 does", () => {
    const artifact = Buffer.from("x");
    const signature = b64(aliceCert.key.sign(artifact));
    const withCertificate = (der: Buffer) =>
      hashedRekord({ value: hexDigestOf(artifact) }, signature, b64(toPem("CERTIFICATE", der)));
    const der = aliceCert.der;
    expect(validateProposedEntry(withCertificate(der)).kind).toBe("hashedrekord");
    // Certificate 30 82 LL LL, TBSCertificate 30 82 LL LL, then version a0 03 02 01 02.
    expect(der.subarray(0, 13).toString("hex")).toMatch(/^3082....3082....a003020102$/);
    const refused = {
      "bytes after the certificate": Buffer.concat([der, Buffer.of(0)]),
      "an outer length one octet longer than it needs": Buffer.concat([
        Buffer.of(0x30, 0x83, 0x00),
        der.subarray(2),
      ]),
      // BER that OpenSSL parses, and that a lenient walk of the fields would misread.
      "an indefinite length inside the TBSCertificate": (() => {
        const ber = Buffer.concat([
          der.subarray(0, 8),
          Buffer.from("a0800201020000", "hex"),
          der.subarray(13),
        ]);
        for (const at of [2, 6]) ber.writeUInt16BE(ber.readUInt16BE(at) + 2, at);
        return ber;
      })(),
    };
    for (const [what, certificate] of Object.entries(refused)) {
      expect(() => new X509Certificate(certificate), what).not.toThrow();
      expect(rejectionOf(withCertificate(certificate)), what).toEqual({ status: 400, code: "BAD_ENCODING" });
    }
  });

  it("refuses a certificate whose EC point is off its curve, which OpenSSL parses", async () => {
    const key = generateKey("ecdsa-p256");
    const spki = Buffer.from(key.spki);
    spki[spki.length - 1] = (spki[spki.length - 1] ?? 0) ^ 1;
    const leaf = await issueLeaf(root, { email: "off@example.com", key: { ...key, spki } });
    expect(() => new X509Certificate(leaf.der)).not.toThrow();
    const artifact = Buffer.from("x");
    const proposed = hashedRekord({ value: hexDigestOf(artifact) }, b64(key.sign(artifact)), b64(leaf.pem));
    expect(rejectionOf(proposed)).toEqual({ status: 400, code: "UNSUPPORTED_KEY" });
  });

  it("does not check the certificate's validity period, as Rekor does not", async () => {
    const expired = await issueLeaf(root, {
      email: "old@example.com",
      notBefore: new Date("2020-01-01T00:00:00Z"),
    });
    const { proposed } = sigstoreMessage(Buffer.from("old"), expired.key, expired.pem);
    expect(validateProposedEntry(proposed).kind).toBe("hashedrekord");
  });

  it("keeps the digest's case as sent, and indexes it lowercased", () => {
    const upper = F.FIXED_ARTIFACT_SHA256.toUpperCase();
    const entry = validateProposedEntry(fixedWith({ hash: { value: upper } }));
    expect(JSON.parse(entry.canonicalBody.toString()).spec.data.hash.value).toBe(upper);
    expect(entry.searchKeys[0]).toBe(`hash:sha256:${F.FIXED_ARTIFACT_SHA256}`);
  });

  it.each([
    [
      "a signature over another digest",
      fixedWith({ hash: { value: hexDigestOf("other") } }),
      "INVALID_SIGNATURE",
    ],
    ["a signature by another key", fixedWith({ key: b64(generateKey().publicKeyPem) }), "INVALID_SIGNATURE"],
    ["a signature that is not DER", fixedWith({ signature: b64("not a signature") }), "INVALID_SIGNATURE"],
    [
      "an unknown hash algorithm",
      fixedWith({ hash: { algorithm: "md5", value: F.FIXED_ARTIFACT_SHA256 } }),
      "BAD_HASH",
    ],
    [
      "a digest of the wrong length",
      fixedWith({ hash: { value: F.FIXED_ARTIFACT_SHA256.slice(2) } }),
      "BAD_HASH",
    ],
    [
      "a sha384 label on a sha256 digest",
      fixedWith({ hash: { algorithm: "sha384", value: F.FIXED_ARTIFACT_SHA256 } }),
      "BAD_HASH",
    ],
    ["a digest that is not hex", fixedWith({ hash: { value: "zz".repeat(32) } }), "BAD_ENCODING"],
    ["a signature that is not base64", fixedWith({ signature: "***" }), "BAD_ENCODING"],
    ["unpadded base64", fixedWith({ key: F.FIXED_KEY_CONTENT.replace(/=+$/, "") }), "BAD_ENCODING"],
    ["a key that is not PEM", fixedWith({ key: b64("hello") }), "BAD_ENCODING"],
    [
      "a PEM certificate that is not DER",
      fixedWith({ key: b64(toPem("CERTIFICATE", Buffer.from("junk"))) }),
      "BAD_ENCODING",
    ],
    ["a PEM private key", fixedWith({ key: b64(toPem("PRIVATE KEY", Buffer.alloc(8))) }), "UNSUPPORTED_KEY"],
    ["a certificate chain", fixedWith({ key: b64(F.FIXED_KEY_PEM + F.FIXED_KEY_PEM) }), "UNSUPPORTED_KEY"],
    [
      "an unknown field",
      { ...fixedWith({}), spec: { ...fixedWith({}).spec, url: "https://x" } },
      "MALFORMED_ENTRY",
    ],
    [
      "a missing signature",
      { apiVersion: "0.0.1", kind: "hashedrekord", spec: { data: fixedWith({}).spec.data } },
      "MALFORMED_ENTRY",
    ],
    ["a field beside kind, apiVersion and spec", { ...fixedWith({}), extra: 1 }, "MALFORMED_ENTRY"],
    ["a body that is not an object", "hashedrekord", "MALFORMED_ENTRY"],
    ["an unknown kind", { ...fixedWith({}), kind: "rekord" }, "UNSUPPORTED_KIND"],
    ["a prototype property as kind", { ...fixedWith({}), kind: "__proto__" }, "UNSUPPORTED_KIND"],
    ["an unknown version", { ...fixedWith({}), apiVersion: "0.0.2" }, "UNSUPPORTED_VERSION"],
  ])("refuses %s", (_, proposed, code) => {
    expect(rejectionOf(proposed)).toEqual({ status: 400, code });
  });

  it.each([
    [
      "Ed25519 (Rekor verifies it as Ed25519ph, which node cannot)",
      () => generateKey("ed25519").publicKeyPem,
    ],
    ["RSA under 2048 bits", () => pemOf(generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey)],
    ["EC off the NIST curves", () => pemOf(generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey)],
    [
      "an EC point in hybrid form (X9.62 0x06/0x07), which OpenSSL reads and Go does not",
      () => {
        const spki = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({
          type: "spki",
          format: "der",
        });
        spki[spki.length - 65] = 0x06 | ((spki[spki.length - 1] ?? 0) & 1);
        return toPem("PUBLIC KEY", spki);
      },
    ],
  ])("refuses keys of a kind it does not verify: %s", (_, pem) => {
    expect(rejectionOf(fixedWith({ key: b64(pem()) }))).toEqual({ status: 400, code: "UNSUPPORTED_KEY" });
  });
});

function pemOf(key: import("node:crypto").KeyObject): string {
  return key.export({ type: "spki", format: "pem" }).toString();
}
