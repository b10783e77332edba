import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startOidcIssuer, type TestOidcIssuer } from "../../support/oidc.ts";
import { trustedRootJson } from "../../support/trusted-root.ts";
import { type RunningCa, startCaWithLog } from "../ca/support.ts";
import type { RunningLog } from "../log/support.ts";

/** A whole local instance for the prober to watch: OIDC issuer, CA, log with CT log and TSA. */
export interface TestInstance {
  oidc: TestOidcIssuer;
  ca: RunningCa;
  log: RunningLog;
  /** `POST /token` minting tokens from `oidc`, as the local dev issuer answers. */
  tokenUrl: string;
  trustedRootPath: string;
  dir: string;
  /** The prober's environment for this instance. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export const proberEmail = "prober@signet.test";

const derOf = (pem: string) =>
  [...pem.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)].map((m) =>
    Buffer.from((m[1] ?? "").replace(/\s/g, ""), "base64"),
  );

/** The dev issuer's token endpoint: `{"sub","email"}` in, `{"id_token"}` out. */
async function startTokenEndpoint(oidc: TestOidcIssuer): Promise<Server> {
  const server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk) => {
      text += chunk;
    });
    request.on("end", async () => {
      const { sub, email } = JSON.parse(text) as { sub: string; email: string };
      const idToken = await oidc.mint({ sub, email, email_verified: true });
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ id_token: idToken }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

export async function startInstance(): Promise<TestInstance> {
  const dir = mkdtempSync(join(tmpdir(), "signet-prober-"));
  const oidc = await startOidcIssuer();
  const { ca, log } = await startCaWithLog([{ url: oidc.url, clientId: "sigstore", type: "email" }]);
  const tokens = await startTokenEndpoint(oidc);
  const tokenUrl = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}`;
  const trustedRootPath = join(dir, "trusted_root.json");
  const root = trustedRootJson({
    rekorUrl: log.url,
    logSpki: log.service.identity.signer.spki,
    caChain: derOf(ca.chainPem),
    caUrl: ca.url,
    tsaChain: log.service.tsaChain,
    tsaUrl: `${log.url}/api/v1/timestamp`,
    ctlog: { url: log.url, spki: log.service.ct.spki },
  });
  writeFileSync(trustedRootPath, JSON.stringify(root));
  const env = {
    SIGNET_PROBER_CA_URL: ca.url,
    SIGNET_PROBER_REKOR_URL: log.url,
    SIGNET_PROBER_CT_URL: log.url,
    SIGNET_PROBER_TSA_URL: log.url,
    SIGNET_PROBER_TRUSTED_ROOT: trustedRootPath,
    SIGNET_PROBER_TOKEN_SOURCE: "dev",
    SIGNET_PROBER_OIDC_URL: tokenUrl,
    SIGNET_PROBER_DEV_EMAIL: proberEmail,
    SIGNET_PROBER_ISSUER: oidc.url,
    SIGNET_PROBER_CLIENT_RETRIES: "0",
    SIGNET_PROBER_TIMEOUT_MS: "5000",
    SIGNET_PROBER_HOST: "127.0.0.1",
    SIGNET_PROBER_PORT: "0",
    SIGNET_PROBER_LOG_LEVEL: "silent",
  };
  return {
    oidc,
    ca,
    log,
    tokenUrl,
    trustedRootPath,
    dir,
    env,
    async close() {
      tokens.closeAllConnections();
      await new Promise((resolve) => tokens.close(resolve));
      await Promise.all([ca.close(), log.close(), oidc.stop()]);
    },
  };
}
