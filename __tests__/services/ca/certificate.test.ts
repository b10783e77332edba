import { createHash, createPublicKey, X509Certificate as NodeCertificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate as SigstoreCertificate } from "@sigstore/core";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toTrustMaterial } from "@sigstore/verify";
import { CertificateChainVerifier } from "@sigstore/verify/dist/key/certificate.js";
import { verifyCertificate } from "@sigstore/verify/dist/key/index.js";
import { verifySCTs } from "@sigstore/verify/dist/key/sct.js";
import * as asn1js from "asn1js";
import { AuthorityKeyIdentifier, Certificate, ExtKeyUsage, GeneralNames } from "pkijs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateAuthority } from "../../../services/ca/certificate/authority.ts";
import { issueCaHierarchy } from "../../../services/ca/certificate/hierarchy.ts";
import type { Principal } from "../../../services/ca/identity/types.ts";
import { ConfigError } from "../../../services/common/config.ts";
import { type SctJson, sctFromJson, sctListExtensionValue } from "../../../services/common/ct/sct.ts";
import { ApiError } from "../../../services/common/errors.ts";
import { ephemeralSigner as testSigner } from "../../../services/common/signer/local.ts";
import type { Signer } from "../../../services/common/signer/types.ts";
import { generateKey, toPem } from "../../support/pki.ts";
import { trustedRootJson } from "../../support/trusted-root.ts";
import { type RunningLog, startLog } from "../log/support.ts";

const OID = {
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  subjectAltName: "2.5.29.17",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  issuerV1: "1.3.6.1.4.1.57264.1.1",
  issuerV2: "1.3.6.1.4.1.57264.1.8",
  poison: "1.3.6.1.4.1.11129.2.4.3",
  sctList: "1.3.6.1.4.1.11129.2.4.2",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
};
const ISSUER_URL = "https://accounts.example.com";

function emailPrincipal(email = "alice@example.com"): Principal {
  return {
    issuer: ISSUER_URL,
    issuerType: "email",
    subject: "1234",
    challenge: email,
    san: { kind: "email", value: email },
    extensions: [],
  };
}

const utf8 = (value: string) => Buffer.from(new asn1js.Utf8String({ value }).toBER());

/** The TBSCertificate's fields as DER elements (RFC 5280 §4.1), for byte-level checks. */
function tbsElements(der: Buffer): asn1js.AsnType[] {
  const certificate = asn1js.fromBER(new Uint8Array(der)).result as asn1js.Sequence;
  return (certificate.valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
}
const rawBytes = (element: asn1js.AsnType | undefined) =>
  Buffer.from((element as asn1js.BaseBlock).valueBeforeDecodeView);

function extensionsOf(der: Buffer) {
  return (Certificate.fromBER(new Uint8Array(der)).extensions ?? []).map((extension) => ({
    oid: extension.extnID,
    critical: extension.critical,
    value: Buffer.from(extension.extnValue.valueBlock.valueHexView),
  }));
}
function extensionValue(der: Buffer, oid: string): Buffer {
  const found = extensionsOf(der).find((extension) => extension.oid === oid);
  if (!found) throw new Error(`no extension ${oid}`);
  return found.value;
}
function spkiBits(spki: Buffer): Buffer {
  const sequence = asn1js.fromBER(new Uint8Array(spki)).result as asn1js.Sequence;
  return Buffer.from((sequence.valueBlock.value[1] as asn1js.BitString).valueBlock.valueHexView);
}

let root: Buffer;
let intermediate: Buffer;
let caSigner: Signer;
let ca: CertificateAuthority;

beforeAll(async () => {
  caSigner = testSigner("ecdsa-p256-sha256");
  const rootSigner = testSigner("ecdsa-p384-sha384");
  [intermediate, root] = await issueCaHierarchy({
    rootSigner,
    intermediateSigner: caSigner,
    subject: { organization: "signet-test", commonName: "signet-test" },
  });
  ca = new CertificateAuthority({ signer: caSigner, chain: [intermediate, root] });
});

describe("leaf certificate profile", () => {
  const clientKey = generateKey("ecdsa-p256");
  let before: number;
  let leaf: Buffer;

  beforeAll(async () => {
    before = Math.floor(Date.now() / 1000) * 1000;
    leaf = await ca.issue(emailPrincipal(), clientKey.spki);
  });

  it("is a v3 certificate with a DER-minimal positive serial of at most 160 bits", () => {
    const parsed = Certificate.fromBER(new Uint8Array(leaf));
    expect(parsed.version).toBe(2);
    const serial = Buffer.from(parsed.serialNumber.valueBlock.valueHexView);
    expect(serial.length).toBeLessThanOrEqual(20);
    expect(serial[0] ?? 0).toBeLessThan(0x80);
    expect(serial[0] === 0 && serial.length > 1 && ((serial[1] ?? 0) & 0x80) === 0).toBe(false);
    expect(BigInt(`0x${serial.toString("hex")}`)).toBeGreaterThan(0n);
    expect(new NodeCertificate(leaf).serialNumber.toLowerCase()).toBe(serial.toString("hex"));
  });

  it("draws a fresh serial number for every certificate", async () => {
    const other = await ca.issue(emailPrincipal(), clientKey.spki);
    expect(new NodeCertificate(other).serialNumber).not.toBe(new NodeCertificate(leaf).serialNumber);
  });

  it("names the issuing CA's subject byte for byte as issuer, and has an empty subject", () => {
    expect(rawBytes(tbsElements(leaf)[3])).toEqual(rawBytes(tbsElements(intermediate)[5]));
    expect(rawBytes(tbsElements(leaf)[5])).toEqual(Buffer.of(0x30, 0x00));
    const node = new NodeCertificate(leaf);
    expect(node.subject ?? "").toBe("");
    expect(node.issuer).toBe(new NodeCertificate(intermediate).subject);
  });

  it("is valid for ten minutes from now, in whole seconds", () => {
    const node = new NodeCertificate(leaf);
    const notBefore = node.validFromDate.getTime();
    expect(notBefore % 1000).toBe(0);
    expect(notBefore).toBeGreaterThanOrEqual(before);
    expect(notBefore).toBeLessThanOrEqual(Date.now());
    expect(node.validToDate.getTime() - notBefore).toBe(10 * 60 * 1000);
  });

  it("certifies the client's key", () => {
    expect(new NodeCertificate(leaf).publicKey.export({ type: "spki", format: "der" })).toEqual(
      clientKey.spki,
    );
    expect(rawBytes(tbsElements(leaf)[6])).toEqual(clientKey.spki);
  });

  it("carries exactly Fulcio's extensions, in Go's order, with Fulcio's criticality", () => {
    expect(extensionsOf(leaf).map(({ oid, critical }) => [oid, critical])).toEqual([
      [OID.keyUsage, true],
      [OID.extKeyUsage, false],
      [OID.subjectKeyIdentifier, false],
      [OID.authorityKeyIdentifier, false],
      [OID.subjectAltName, true],
      [OID.issuerV1, false],
      [OID.issuerV2, false],
    ]);
  });

  it("allows digitalSignature and codeSigning only", () => {
    expect(extensionValue(leaf, OID.keyUsage)).toEqual(Buffer.from("03020780", "hex"));
    const eku = ExtKeyUsage.fromBER(new Uint8Array(extensionValue(leaf, OID.extKeyUsage)));
    expect(eku.keyPurposes).toEqual([OID.codeSigning]);
    expect(new NodeCertificate(leaf).keyUsage).toEqual([OID.codeSigning]);
  });

  it("identifies its key by RFC 5280 method 1 and its issuer by the issuing CA's SKI", () => {
    const ski = asn1js.fromBER(new Uint8Array(extensionValue(leaf, OID.subjectKeyIdentifier))).result;
    expect(Buffer.from((ski as asn1js.OctetString).valueBlock.valueHexView)).toEqual(
      createHash("sha1").update(spkiBits(clientKey.spki)).digest(),
    );
    const aki = AuthorityKeyIdentifier.fromBER(
      new Uint8Array(extensionValue(leaf, OID.authorityKeyIdentifier)),
    );
    expect(Buffer.from(aki.keyIdentifier?.valueBlock.valueHexView ?? [])).toEqual(
      extensionValue(intermediate, OID.subjectKeyIdentifier).subarray(2),
    );
  });

  it("names the identity in one rfc822Name SAN and the OIDC issuer in .1.1 (raw) and .1.8 (UTF8String)", () => {
    const names = GeneralNames.fromBER(new Uint8Array(extensionValue(leaf, OID.subjectAltName))).names;
    expect(names.map((name) => [name.type, name.value])).toEqual([[1, "alice@example.com"]]);
    expect(new NodeCertificate(leaf).subjectAltName).toBe("email:alice@example.com");
    expect(extensionValue(leaf, OID.issuerV1)).toEqual(Buffer.from(ISSUER_URL));
    expect(extensionValue(leaf, OID.issuerV2)).toEqual(utf8(ISSUER_URL));
  });

  it("is signed with ecdsa-with-SHA256 by the CA key", () => {
    const parsed = Certificate.fromBER(new Uint8Array(leaf));
    expect(parsed.signature.algorithmId).toBe(OID.ecdsaWithSha256);
    expect(parsed.signatureAlgorithm.algorithmId).toBe(OID.ecdsaWithSha256);
    expect(parsed.signature.algorithmParams).toBeUndefined();
    const node = new NodeCertificate(leaf);
    expect(node.checkIssued(new NodeCertificate(intermediate))).toBe(true);
    expect(node.verify(caSigner.publicKey)).toBe(true);
  });

  it("chains leaf → intermediate → root for sigstore-js", () => {
    const [leafCert, intermediateCert, rootCert] = [leaf, intermediate, root].map((der) =>
      SigstoreCertificate.parse(Buffer.from(der)),
    ) as [SigstoreCertificate, SigstoreCertificate, SigstoreCertificate];
    const path = new CertificateChainVerifier({
      trustedCerts: [intermediateCert, rootCert],
      untrustedCert: leafCert,
      timestamp: new Date(),
    }).verify();
    expect(path).toEqual([leafCert, intermediateCert, rootCert]);
  });

  it("carries neither poison nor SCT list when no CT log is asked", () => {
    const oids = extensionsOf(leaf).map(({ oid }) => oid);
    expect(oids).not.toContain(OID.poison);
    expect(oids).not.toContain(OID.sctList);
  });
});

describe("identities", () => {
  it("writes a URI SAN and the principal's extensions in Fulcio's OID order", async () => {
    const raw = Buffer.from("push");
    const principal: Principal = {
      issuer: "https://token.actions.githubusercontent.com",
      issuerType: "github-workflow",
      subject: "repo:octo/app:ref:refs/heads/main",
      challenge: "repo:octo/app:ref:refs/heads/main",
      san: { kind: "uri", value: "https://github.com/octo/app/.github/workflows/ci.yml@refs/heads/main" },
      extensions: [
        { oid: "1.3.6.1.4.1.57264.1.2", value: raw },
        { oid: "1.3.6.1.4.1.57264.1.9", value: utf8("https://github.com/octo/app") },
        { oid: "1.3.6.1.4.1.57264.1.24", value: utf8("repo:octo/app:ref:refs/heads/main") },
        { oid: "1.3.6.1.4.1.57264.1.6", value: Buffer.from("refs/heads/main") },
        { oid: "1.3.6.1.4.1.57264.1.12", value: utf8("https://github.com/octo/app") },
      ],
    };
    const leaf = await ca.issue(principal, generateKey("ed25519").spki);
    const identity = extensionsOf(leaf).slice(5);
    expect(identity.map(({ oid }) => oid.split(".").at(-1))).toEqual(["1", "2", "6", "8", "9", "12", "24"]);
    expect(identity.every(({ critical }) => !critical)).toBe(true);
    for (const { oid, value } of principal.extensions) expect(extensionValue(leaf, oid)).toEqual(value);
    expect(new NodeCertificate(leaf).subjectAltName).toBe(`URI:${principal.san.value}`);
    const names = GeneralNames.fromBER(new Uint8Array(extensionValue(leaf, OID.subjectAltName))).names;
    expect(names.map((name) => name.type)).toEqual([6]);
  });

  it("refuses an identity that cannot be an IA5String SAN", async () => {
    const error = await ca.issue(emailPrincipal("jürgen@example.com"), generateKey().spki).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, code: "INVALID_IDENTITY" });
  });
});

describe("issuing CA", () => {
  it("signs with ecdsa-with-SHA384 when its key is P-384", async () => {
    const signer = testSigner("ecdsa-p384-sha384");
    const [p384Intermediate, p384Root] = await issueCaHierarchy({
      rootSigner: testSigner("ecdsa-p384-sha384"),
      intermediateSigner: signer,
      subject: { organization: "signet-test", commonName: "p384" },
    });
    const authority = new CertificateAuthority({ signer, chain: [p384Intermediate, p384Root] });
    const leaf = await authority.issue(emailPrincipal(), generateKey("rsa-2048").spki);
    expect(Certificate.fromBER(new Uint8Array(leaf)).signatureAlgorithm.algorithmId).toBe(
      OID.ecdsaWithSha384,
    );
    expect(new NodeCertificate(leaf).verify(signer.publicKey)).toBe(true);
  });

  it("refuses a chain that does not certify its key, is not a CA, or is broken", async () => {
    const other = testSigner("ecdsa-p256-sha256");
    expect(() => new CertificateAuthority({ signer: other, chain: [intermediate, root] })).toThrow(
      ConfigError,
    );
    const leaf = await ca.issue(emailPrincipal(), generateKey().spki);
    expect(() => new CertificateAuthority({ signer: caSigner, chain: [leaf, intermediate, root] })).toThrow(
      /not a CA/,
    );
    expect(() => new CertificateAuthority({ signer: caSigner, chain: [intermediate, intermediate] })).toThrow(
      /broken/,
    );
    expect(() => new CertificateAuthority({ signer: caSigner, chain: [] })).toThrow(ConfigError);
  });

  it("passes a CT log failure through untouched", async () => {
    const outage = new ApiError(503, "CT_LOG_UNAVAILABLE", "down");
    await expect(
      ca.issue(emailPrincipal(), generateKey().spki, async () => Promise.reject(outage)),
    ).rejects.toBe(outage);
  });
});

describe("precertificate and embedded SCT, against a real CT log", () => {
  let log: RunningLog;
  let dir: string;
  let ctSpki: Buffer;
  const submitted: Buffer[][] = [];
  const sctJson: SctJson[] = [];
  let leaf: Buffer;

  const embed = async (chain: Buffer[]) => {
    submitted.push(chain);
    const response = await fetch(`${log.url}/ct/v1/add-pre-chain`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ chain: chain.map((der) => der.toString("base64")) }),
    });
    expect(response.status).toBe(200);
    const sct = (await response.json()) as SctJson;
    sctJson.push(sct);
    return sctListExtensionValue([sctFromJson(sct)]);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "signet-ca-ct-"));
    const rootsPath = join(dir, "roots.pem");
    writeFileSync(rootsPath, toPem("CERTIFICATE", root));
    log = await startLog({ SIGNET_LOG_DATA_DIR: dir, SIGNET_CT_ROOTS: rootsPath });
    ctSpki = createPublicKey(readFileSync(join(dir, "ctlog-key.pem"), "utf8")).export({
      type: "spki",
      format: "der",
    });
    leaf = await ca.issue(emailPrincipal(), generateKey().spki, embed);
  });

  afterAll(async () => {
    await log?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("submits the poisoned precertificate with the whole chain", () => {
    expect(submitted).toHaveLength(1);
    const [precert, ...chain] = submitted[0] as Buffer[];
    expect(chain).toEqual([intermediate, root]);
    const extensions = extensionsOf(precert as Buffer);
    expect(extensions.at(-1)).toEqual({ oid: OID.poison, critical: true, value: Buffer.of(0x05, 0x00) });
    expect(extensions.map(({ oid }) => oid)).not.toContain(OID.sctList);
    expect(new NodeCertificate(precert as Buffer).verify(caSigner.publicKey)).toBe(true);
  });

  it("puts the SCT list where the poison was and changes nothing else", () => {
    const precert = submitted[0]?.[0] as Buffer;
    const finalExtensions = extensionsOf(leaf);
    expect(finalExtensions.at(-1)).toEqual({
      oid: OID.sctList,
      critical: false,
      value: sctListExtensionValue([sctFromJson(sctJson[0] as SctJson)]),
    });
    expect(finalExtensions.slice(0, -1)).toEqual(extensionsOf(precert).slice(0, -1));
    const [finalTbs, precertTbs] = [leaf, precert].map(tbsElements);
    for (const index of [0, 1, 2, 3, 4, 5, 6]) {
      expect(rawBytes(finalTbs?.[index])).toEqual(rawBytes(precertTbs?.[index]));
    }
    expect(new NodeCertificate(leaf).verify(caSigner.publicKey)).toBe(true);
  });

  it("embeds an SCT that sigstore-js verifies against the CT log's key, and only that key", () => {
    const trustMaterial = (ctSpki: Buffer) =>
      toTrustMaterial(
        TrustedRoot.fromJSON(
          trustedRootJson({
            rekorUrl: "https://rekor.invalid",
            logSpki: ctSpki,
            caChain: [intermediate, root],
            ctlog: { url: log.url, spki: ctSpki },
          }),
        ),
      );
    const finalCert = SigstoreCertificate.parse(Buffer.from(leaf));
    const verified = verifyCertificate(finalCert, [new Date()], trustMaterial(ctSpki));
    expect(verified.scts.map((id) => Buffer.from(id).toString("base64"))).toEqual([sctJson[0]?.id]);
    expect(Buffer.from(sctJson[0]?.id ?? "", "base64")).toEqual(createHash("sha256").update(ctSpki).digest());
    expect(verified.signer.identity).toMatchObject({
      extensions: { issuer: ISSUER_URL },
      subjectAlternativeName: "alice@example.com",
    });
    const otherLog = trustMaterial(testSigner("ecdsa-p256-sha256").spki);
    expect(() =>
      verifySCTs(finalCert, SigstoreCertificate.parse(Buffer.from(intermediate)), otherLog.ctlogs),
    ).toThrow(/SCT verification failed/);
  });
});
