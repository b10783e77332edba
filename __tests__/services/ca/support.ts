import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCaService, type CaService } from "../../../services/ca/app.ts";
import { loadCaConfig } from "../../../services/ca/config.ts";
import type { IssuerConfig } from "../../../services/ca/identity/types.ts";
import { listenAndServe } from "../../../services/common/server.ts";
import { type RunningLog, startLog } from "../log/support.ts";

export interface RunningCa {
  url: string;
  dataDir: string;
  service: CaService;
  /** The CA's chain as PEM, intermediate then root. */
  chainPem: string;
  close(): Promise<void>;
}

/** Starts the CA on a free loopback port, with a generated chain in a temporary directory. */
export async function startCa(issuers: IssuerConfig[], env: Record<string, string> = {}): Promise<RunningCa> {
  const dataDir = env.SIGNET_CA_DATA_DIR ?? mkdtempSync(join(tmpdir(), "signet-ca-"));
  const config = loadCaConfig({
    SIGNET_CA_ISSUERS: JSON.stringify(issuers),
    SIGNET_CA_LOG_LEVEL: "silent",
    ...env,
    SIGNET_CA_DATA_DIR: dataDir,
  });
  const service = await buildCaService(config, false);
  const url = await listenAndServe(service.server, { host: "127.0.0.1", port: 0 });
  const chainPem = readFileSync(join(dataDir, "chain.pem"), "utf8");
  return { url, dataDir, service, chainPem, close: () => service.close() };
}

/**
 * A CA whose precertificates go to a real log service's CT log, which trusts the CA's root: the
 * instance a client signs against.
 */
export async function startCaWithLog(
  issuers: IssuerConfig[],
  env: Record<string, string> = {},
): Promise<{ ca: RunningCa; log: RunningLog }> {
  const chainDir = mkdtempSync(join(tmpdir(), "signet-ca-chain-"));
  // The chain is made first so the CT log can be told to trust its root.
  const ca = await startCa(issuers, { SIGNET_CA_DATA_DIR: chainDir, ...env });
  await ca.close();
  const rootPath = join(chainDir, "root.pem");
  const root = ca.chainPem.slice(ca.chainPem.lastIndexOf("-----BEGIN CERTIFICATE-----"));
  writeFileSync(rootPath, root);
  const log = await startLog({ SIGNET_CT_ROOTS: rootPath });
  const withCt = await startCa(issuers, { SIGNET_CA_DATA_DIR: chainDir, SIGNET_CA_CT_URL: log.url, ...env });
  return { ca: withCt, log };
}
