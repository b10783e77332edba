import { execFile } from "node:child_process";
import { createPrivateKey, createPublicKey, X509Certificate as NodeCertificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { X509Certificate as SigstoreCertificate } from "@sigstore/core";
import { CertificateChainVerifier } from "@sigstore/verify/dist/key/certificate.js";
import * as asn1js from "asn1js";
import { AuthorityKeyIdentifier, BasicConstraints, Certificate, ExtKeyUsage } from "pkijs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CertificateAuthority } from "../../../services/ca/certificate/authority.ts";
import { issueCaHierarchy } from "../../../services/ca/certificate/hierarchy.ts";
import { initChain, loadInitConfig, loadOrCreateChain, parsePemChain } from "../../../services/ca/init.ts";
import { ConfigError } from "../../../services/common/config.ts";
import { ephemeralSigner as testSigner } from "../../../services/common/signer/local.ts";
import { runEntry } from "../../support/command.ts";
import { FakeKms } from "../../support/kms.ts";

const _run = promisify(execFile);
const OID = {
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  basicConstraints: "2.5.29.19",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  codeSigning: "1.3.6.1.5.5.7.3.3",
};
const subject = { organization: "Example Org", commonName: "example" };

function extensions(der: Buffer) {
  return (Certificate.fromBER(new Uint8Array(der)).extensions ?? []).map((extension) => ({
    oid: extension.extnID,
    critical: extension.critical,
    value: new Uint8Array(extension.extnValue.valueBlock.valueHexView),
  }));
}
function extension(der: Buffer, oid: string): Uint8Array {
  const found = extensions(der).find((candidate) => candidate.oid === oid);
  if (!found) throw new Error(`no extension ${oid}`);
  return found.value;
}
const hex = (bytes: Uint8Array | ArrayBuffer) => Buffer.from(new Uint8Array(bytes)).toString("hex");
const skiOf = (der: Buffer) =>
  hex(
    (asn1js.fromBER(extension(der, OID.subjectKeyIdentifier)).result as asn1js.OctetString).valueBlock
      .valueHexView,
  );
const pathLength = (der: Buffer) =>
  BasicConstraints.fromBER(extension(der, OID.basicConstraints)).pathLenConstraint;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-ca-init-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("initChain", () => {
  it("writes the intermediate then the root, both profiled as Fulcio's specification asks", async () => {
    const rootSigner = testSigner("ecdsa-p384-sha384");
    const intermediateSigner = testSigner("ecdsa-p256-sha256");
    const out = join(dir, "chain.pem");
    const [intermediate, root] = (await initChain({ rootSigner, intermediateSigner, subject, out })) as [
      Buffer,
      Buffer,
    ];
    expect(parsePemChain(await readFile(out, "utf8"), out)).toEqual([intermediate, root]);

    const rootCert = new NodeCertificate(root);
    expect(rootCert.subject).toBe("O=Example Org\nCN=example");
    expect(rootCert.issuer).toBe(rootCert.subject);
    expect(rootCert.ca).toBe(true);
    expect(rootCert.verify(rootSigner.publicKey)).toBe(true);
    expect(extensions(root).map(({ oid, critical }) => [oid, critical])).toEqual([
      [OID.keyUsage, true],
      [OID.basicConstraints, true],
      [OID.subjectKeyIdentifier, false],
    ]);
    expect(hex(extension(root, OID.keyUsage))).toBe("03020106"); // keyCertSign | cRLSign
    expect(pathLength(root)).toBe(1);

    const intermediateCert = new NodeCertificate(intermediate);
    expect(intermediateCert.subject).toBe("O=Example Org\nCN=example-intermediate");
    expect(intermediateCert.checkIssued(rootCert)).toBe(true);
    expect(intermediateCert.verify(rootSigner.publicKey)).toBe(true);
    expect(intermediateCert.publicKey.export({ type: "spki", format: "der" })).toEqual(
      intermediateSigner.spki,
    );
    expect(extensions(intermediate).map(({ oid, critical }) => [oid, critical])).toEqual([
      [OID.keyUsage, true],
      [OID.extKeyUsage, false],
      [OID.basicConstraints, true],
      [OID.subjectKeyIdentifier, false],
      [OID.authorityKeyIdentifier, false],
    ]);
    expect(hex(extension(intermediate, OID.keyUsage))).toBe("03020106");
    expect(ExtKeyUsage.fromBER(extension(intermediate, OID.extKeyUsage)).keyPurposes).toEqual([
      OID.codeSigning,
    ]);
    expect(pathLength(intermediate)).toBe(0);
    const aki = AuthorityKeyIdentifier.fromBER(extension(intermediate, OID.authorityKeyIdentifier));
    expect(hex(aki.keyIdentifier?.valueBlock.valueHexView ?? new Uint8Array())).toBe(skiOf(root));
  });

  it("gives the root ten years and the intermediate three, from an hour before, in whole seconds", async () => {
    const [intermediate, root] = await issueCaHierarchy({
      rootSigner: testSigner("ecdsa-p256-sha256"),
      intermediateSigner: testSigner("ecdsa-p256-sha256"),
      subject,
      now: new Date("2030-06-15T12:00:00.750Z"),
    });
    const [i, r] = [new NodeCertificate(intermediate), new NodeCertificate(root)];
    expect(r.validFromDate.toISOString()).toBe("2030-06-15T11:00:00.000Z");
    expect(r.validToDate.toISOString()).toBe("2040-06-15T11:00:00.000Z");
    expect(i.validFromDate.toISOString()).toBe("2030-06-15T11:00:00.000Z");
    expect(i.validToDate.toISOString()).toBe("2033-06-15T11:00:00.000Z");
  });

  it("yields a chain sigstore-js verifies from a leaf the CA issues under it", async () => {
    const intermediateSigner = testSigner("ecdsa-p256-sha256");
    const chain = await initChain({
      rootSigner: testSigner("ecdsa-p384-sha384"),
      intermediateSigner,
      subject,
      out: join(dir, "chain.pem"),
    });
    const leaf = await new CertificateAuthority({ signer: intermediateSigner, chain }).issue(
      {
        issuer: "https://issuer.example.com",
        issuerType: "uri",
        subject: "https://ci.example.com/job/1",
        challenge: "https://ci.example.com/job/1",
        san: { kind: "uri", value: "https://ci.example.com/job/1" },
        extensions: [],
      },
      testSigner("ecdsa-p256-sha256").spki,
    );
    const [leafCert, ...trusted] = [leaf, ...chain].map((der) => SigstoreCertificate.parse(Buffer.from(der)));
    const path = new CertificateChainVerifier({
      trustedCerts: trusted,
      untrustedCert: leafCert as SigstoreCertificate,
      timestamp: new Date(),
    }).verify();
    expect(path).toHaveLength(3);
  });

  it("refuses to overwrite an existing chain unless forced", async () => {
    const out = join(dir, "chain.pem");
    const options = {
      rootSigner: testSigner("ecdsa-p256-sha256"),
      intermediateSigner: testSigner("ecdsa-p256-sha256"),
      subject,
      out,
    };
    await initChain(options);
    const first = await readFile(out, "utf8");
    await expect(initChain(options)).rejects.toThrow(ConfigError);
    expect(await readFile(out, "utf8")).toBe(first);
    const replaced = await initChain({ ...options, force: true });
    expect(parsePemChain(await readFile(out, "utf8"), out)).toEqual(replaced);
    expect(await readFile(out, "utf8")).not.toBe(first);
  });

  it("signs through Cloud KMS signers", async () => {
    const rootKms = new FakeKms("secp384r1");
    const intermediateKms = new FakeKms("prime256v1");
    const [rootSigner, intermediateSigner] = await Promise.all([rootKms.signer(), intermediateKms.signer()]);
    const [intermediate, root] = (await initChain({
      rootSigner,
      intermediateSigner,
      subject,
      out: join(dir, "chain.pem"),
    })) as [Buffer, Buffer];
    expect(rootKms.signRequests).toBe(2);
    expect(new NodeCertificate(root).verify(rootKms.publicKey)).toBe(true);
    expect(new NodeCertificate(intermediate).verify(rootKms.publicKey)).toBe(true);
    expect(new NodeCertificate(intermediate).publicKey.export({ type: "spki", format: "der" })).toEqual(
      intermediateSigner.spki,
    );
  });
});

describe("loadOrCreateChain", () => {
  it("issues a local chain for the signer on first start and serves it from then on", async () => {
    const signer = testSigner("ecdsa-p256-sha256");
    const path = join(dir, "ca", "chain.pem");
    const [first, concurrent] = await Promise.all([
      loadOrCreateChain(path, signer, true),
      loadOrCreateChain(path, signer, true),
    ]);
    expect(concurrent).toEqual(first);
    expect(await loadOrCreateChain(path, signer, false)).toEqual(first);
    expect(new CertificateAuthority({ signer, chain: first }).chain).toHaveLength(2);
  });

  it("refuses a missing chain when it is not to be created, and a file without certificates", async () => {
    const signer = testSigner("ecdsa-p256-sha256");
    await expect(loadOrCreateChain(join(dir, "none.pem"), signer, false)).rejects.toThrow(/run ca init/);
    await writeFile(join(dir, "empty.pem"), "nothing here");
    await expect(loadOrCreateChain(join(dir, "empty.pem"), signer, false)).rejects.toThrow(ConfigError);
  });
});

describe("ca init command", () => {
  const command = (env: Record<string, string>) => runEntry("services/ca/init.ts", env);

  it("creates missing file keys, writes the chain, and refuses a second run unless forced", async () => {
    const env = { SIGNET_CA_DATA_DIR: dir, SIGNET_CA_COMMON_NAME: "example" };
    const created = await command(env);
    expect(created).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/wrote the CA chain to .*chain\.pem/),
    });
    expect((await stat(join(dir, "root-key.pem"))).mode & 0o777).toBe(0o600);
    const chainPath = join(dir, "chain.pem");
    const [intermediate, root] = parsePemChain(await readFile(chainPath, "utf8"), chainPath) as [
      Buffer,
      Buffer,
    ];
    const caKey = createPrivateKey(await readFile(join(dir, "ca-key.pem"), "utf8"));
    const rootKey = createPrivateKey(await readFile(join(dir, "root-key.pem"), "utf8"));
    expect(new NodeCertificate(intermediate).publicKey.export({ type: "spki", format: "der" })).toEqual(
      createPublicKey(caKey).export({ type: "spki", format: "der" }),
    );
    expect(rootKey.asymmetricKeyDetails?.namedCurve).toBe("secp384r1");
    expect(new NodeCertificate(root).verify(createPublicKey(rootKey))).toBe(true);
    expect(new NodeCertificate(root).subject).toBe("O=Signet\nCN=example");

    const refused = await command(env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^signet: .*chain\.pem: a CA certificate chain already exists; set SIGNET_CA_INIT_FORCE=true/,
    );
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);

    expect((await command({ ...env, SIGNET_CA_INIT_FORCE: "true" })).code).toBe(0);
    const [replaced] = parsePemChain(await readFile(chainPath, "utf8"), chainPath);
    expect(replaced).not.toEqual(intermediate);
    expect(new NodeCertificate(replaced as Buffer).publicKey.export({ type: "spki", format: "der" })).toEqual(
      createPublicKey(caKey).export({ type: "spki", format: "der" }),
    );
  });

  it("reads Cloud KMS key versions for both signers from the environment", () => {
    const root = "projects/p/locations/global/keyRings/ca/cryptoKeys/root/cryptoKeyVersions/1";
    const config = loadInitConfig({
      SIGNET_CA_ROOT_SIGNER: "kms",
      SIGNET_CA_ROOT_KEY: root,
      SIGNET_CA_SIGNER: "kms",
      SIGNET_CA_KEY: "projects/p/locations/global/keyRings/ca/cryptoKeys/ca/cryptoKeyVersions/1",
      SIGNET_CA_CHAIN: join(dir, "out.pem"),
    });
    expect(config.rootSigner).toEqual({ kind: "kms", keyVersion: root });
    // The key's own algorithm is used: the platform's CA key is P-384.
    expect(config.intermediateSigner).toEqual({
      kind: "kms",
      keyVersion: "projects/p/locations/global/keyRings/ca/cryptoKeys/ca/cryptoKeyVersions/1",
    });
    expect(config.out).toBe(join(dir, "out.pem"));
    expect(() => loadInitConfig({ SIGNET_CA_ROOT_SIGNER: "kms" })).toThrow(/SIGNET_CA_ROOT_KEY: required/);
  });
});
