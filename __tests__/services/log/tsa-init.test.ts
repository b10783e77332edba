import { createPrivateKey, createPublicKey, X509Certificate as NodeCertificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../services/common/config.ts";
import { certificatesFromPem } from "../../../services/common/pem.ts";
import { loadSigner, type SignerConfig } from "../../../services/common/signer/index.ts";
import { loadOrCreateTsaChain } from "../../../services/log/tsa/chain.ts";
import { initTsaChain, loadTsaInitConfig } from "../../../services/log/tsa/init.ts";
import { runEntry } from "../../support/command.ts";
import { FakeKms } from "../../support/kms.ts";

const command = (env: Record<string, string>) => runEntry("services/log/tsa/init.ts", env);

const spkiOf = (der: Buffer) => new NodeCertificate(der).publicKey.export({ type: "spki", format: "der" });

describe("tsa init", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "signet-tsa-init-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("creates missing file keys, writes a chain the log accepts, and refuses a second run unless forced", async () => {
    const env = { SIGNET_LOG_DATA_DIR: dir, SIGNET_TSA_COMMON_NAME: "Example TSA" };
    const created = await command(env);
    expect(created).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/wrote the TSA chain to .*tsa-chain\.pem/),
    });
    const path = join(dir, "tsa-chain.pem");
    const [leaf, root] = certificatesFromPem(await readFile(path, "utf8"), path) as [Buffer, Buffer];
    const tsaKey = createPublicKey(createPrivateKey(await readFile(join(dir, "tsa-key.pem"), "utf8")));
    const rootKey = createPublicKey(createPrivateKey(await readFile(join(dir, "tsa-root-key.pem"), "utf8")));
    expect(spkiOf(leaf)).toEqual(tsaKey.export({ type: "spki", format: "der" }));
    expect(new NodeCertificate(leaf).verify(rootKey) && new NodeCertificate(root).verify(rootKey)).toBe(true);
    expect(new NodeCertificate(leaf).subject).toBe("O=Signet\nCN=Example TSA");

    // The log, pointed at this chain and key, serves it (it refuses a chain for another key).
    const signer = await loadSigner({
      kind: "file",
      path: join(dir, "tsa-key.pem"),
      algorithm: "ecdsa-p256-sha256",
      create: false,
    });
    expect((await loadOrCreateTsaChain(path, signer, false)).der).toEqual([leaf, root]);

    const refused = await command(env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^signet: .*tsa-chain\.pem: a TSA certificate chain already exists; set SIGNET_TSA_INIT_FORCE=true/,
    );
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect((await command({ ...env, SIGNET_TSA_INIT_FORCE: "true" })).code).toBe(0);
    const [replaced] = certificatesFromPem(await readFile(path, "utf8"), path);
    expect(replaced).not.toEqual(leaf);
    expect(spkiOf(replaced as Buffer)).toEqual(spkiOf(leaf));
  });

  it("signs through Cloud KMS signers: a P-384 root over the platform's P-384 TSA key", async () => {
    const rootKms = new FakeKms("secp384r1");
    const tsaKms = new FakeKms("secp384r1");
    const config = loadTsaInitConfig({
      SIGNET_TSA_SIGNER: "kms",
      SIGNET_TSA_KEY:
        "projects/p/locations/europe-west1/keyRings/signet-staging/cryptoKeys/tsa/cryptoKeyVersions/1",
      SIGNET_TSA_ROOT_SIGNER: "kms",
      SIGNET_TSA_ROOT_KEY:
        "projects/p/locations/global/keyRings/offline/cryptoKeys/tsa-root/cryptoKeyVersions/1",
      SIGNET_TSA_CHAIN: join(dir, "out", "tsa-chain.pem"),
    });
    expect(config.signer).toEqual({ kind: "kms", keyVersion: expect.stringContaining("/cryptoKeys/tsa/") });
    expect(config.rootSigner).toEqual({ kind: "kms", keyVersion: expect.stringContaining("/tsa-root/") });
    const load = (signer: SignerConfig) => (signer === config.rootSigner ? rootKms : tsaKms).signer();
    const { der } = await initTsaChain(config, load);
    const [leaf, root] = der as [Buffer, Buffer];
    expect(rootKms.signRequests).toBe(2);
    expect(tsaKms.signRequests).toBe(0);
    expect(new NodeCertificate(leaf).verify(rootKms.publicKey)).toBe(true);
    expect(new NodeCertificate(root).verify(rootKms.publicKey)).toBe(true);
    expect(spkiOf(leaf)).toEqual(tsaKms.publicKey.export({ type: "spki", format: "der" }));
    // node lists the extended key usages as `keyUsage`: timeStamping alone.
    expect(new NodeCertificate(leaf).keyUsage).toEqual(["1.3.6.1.5.5.7.3.8"]);
  });

  it("refuses a root that shares the TSA's key, and a kms signer without its key version", async () => {
    const kms = new FakeKms("secp384r1");
    const config = loadTsaInitConfig({
      SIGNET_LOG_DATA_DIR: dir,
      SIGNET_TSA_SIGNER: "kms",
      SIGNET_TSA_KEY: "k",
      SIGNET_TSA_ROOT_SIGNER: "kms",
      SIGNET_TSA_ROOT_KEY: "k",
    });
    await expect(initTsaChain(config, () => kms.signer())).rejects.toThrow(
      new ConfigError("SIGNET_TSA_ROOT_KEY: the root must have a key of its own, not the TSA's"),
    );
    expect(() => loadTsaInitConfig({ SIGNET_TSA_SIGNER: "kms" })).toThrow(/SIGNET_TSA_KEY: required/);
  });
});
