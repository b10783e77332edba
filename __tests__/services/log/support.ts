import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenAndServe } from "../../../services/common/server.ts";
import { buildLogService, type LogService } from "../../../services/log/app.ts";
import { loadLogConfig } from "../../../services/log/config.ts";
import { createCa, type TestCertificate } from "../../support/pki.ts";

export interface RunningLog {
  url: string;
  dataDir: string;
  service: LogService;
  /** The code-signing CA the CT log trusts; tests issue leaves from it. */
  ca: TestCertificate;
  close(): Promise<void>;
}

/** Starts a whole log service (Rekor API, CT log, TSA) on a free loopback port with SQLite. */
export async function startLog(env: Record<string, string> = {}): Promise<RunningLog> {
  const dataDir = env.SIGNET_LOG_DATA_DIR ?? mkdtempSync(join(tmpdir(), "signet-log-"));
  const ca = await createCa({ commonName: "signet-test-ca" });
  const rootsPath = join(dataDir, "ct-roots.pem");
  writeFileSync(rootsPath, ca.pem);
  const config = loadLogConfig({
    SIGNET_LOG_DATA_DIR: dataDir,
    SIGNET_LOG_HOSTNAME: "127.0.0.1",
    SIGNET_CT_ROOTS: rootsPath,
    SIGNET_LOG_LEVEL: "silent",
    ...env,
  });
  const service = await buildLogService(config, false);
  const url = await listenAndServe(service.server, { host: "127.0.0.1", port: 0 });
  return { url, dataDir, service, ca, close: () => service.close() };
}

export async function getJson(url: string): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json(), headers: response.headers };
}

export async function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json(), headers: response.headers };
}
