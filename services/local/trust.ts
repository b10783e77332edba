import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Signer } from "../common/signer/types.ts";
import { buildLocalTrust } from "../trust/local.ts";
import { reconcile } from "../trust/rotation.ts";
import { buildSigningConfig } from "../trust/signing-config.ts";
import type { InstanceDescription, TrustedRootJson } from "../trust/trusted-root.ts";

export interface LocalTrustInput {
  dataDir: string;
  urls: { ca: string; rekor: string; ctlog: string; tsa: string; oidc: string };
  logSpki: Buffer;
  ctSpki: Buffer;
  caChain: Buffer[];
  tsaChain: Buffer[];
  onlineSigner: Signer;
}

export interface LocalTrustFiles {
  trustedRootPath: string;
  /** The TUF root a client starts from. */
  tufRootPath: string;
  /** The repository directory the TUF server serves. */
  repositoryDir: string;
}

/**
 * When the instance first started: the start of every validity window, so restarts with the
 * same keys and URLs reproduce the same trusted root and publish nothing new.
 */
function epochOf(dataDir: string): Date {
  const file = join(dataDir, "epoch");
  if (!existsSync(file)) writeFileSync(file, `${new Date(Date.now() - 3_600_000).toISOString()}\n`);
  return new Date(readFileSync(file, "utf8").trim());
}

/**
 * Writes the instance's trusted root and signing config and publishes them through a local TUF
 * repository, as the clouds do through the CDN bucket. A key or URL that changed since the last
 * start ends the old entry and adds a new one; history is never rewritten.
 */
export async function publishLocalTrust(input: LocalTrustInput): Promise<LocalTrustFiles> {
  const { dataDir, urls } = input;
  const validFor = { start: epochOf(dataDir) };
  const instance: InstanceDescription = {
    tlogs: [{ baseUrl: urls.rekor, spki: input.logSpki, validFor }],
    ctlogs: [{ baseUrl: urls.ctlog, spki: input.ctSpki, validFor }],
    certificateAuthorities: [
      {
        uri: urls.ca,
        subject: { organization: "Signet", commonName: "signet-local" },
        chain: input.caChain,
        validFor,
      },
    ],
    timestampAuthorities: [
      {
        uri: urls.tsa,
        subject: { organization: "Signet", commonName: "signet-local-tsa" },
        chain: input.tsaChain,
        validFor,
      },
    ],
  };
  const trustedRootPath = join(dataDir, "trusted_root.json");
  const previous = existsSync(trustedRootPath)
    ? (JSON.parse(readFileSync(trustedRootPath, "utf8")) as TrustedRootJson)
    : undefined;
  const trustedRoot = reconcile(previous, instance, new Date());
  writeFileSync(trustedRootPath, `${JSON.stringify(trustedRoot, null, 2)}\n`);

  const signingConfig = buildSigningConfig({
    operator: "signet.local",
    validFor,
    ca: urls.ca,
    oidc: urls.oidc,
    rekor: urls.rekor,
    tsa: urls.tsa,
  });
  const repositoryDir = join(dataDir, "tuf-repository");
  const { rootPath } = await buildLocalTrust({
    dir: repositoryDir,
    keysDir: join(dataDir, "tuf-keys"),
    trustedRoot,
    signingConfig,
    onlineSigner: input.onlineSigner,
  });
  const tufRootPath = join(dataDir, "tuf", "root.json");
  mkdirSync(join(dataDir, "tuf"), { recursive: true });
  writeFileSync(tufRootPath, readFileSync(rootPath));
  return { trustedRootPath, tufRootPath, repositoryDir };
}
