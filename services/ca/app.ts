import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { createRegistry } from "../common/metrics.ts";
import { createServer } from "../common/server.ts";
import { loadSigner } from "../common/signer/index.ts";
import { fulcioApi } from "./api/fulcio.ts";
import { CertificateAuthority } from "./certificate/authority.ts";
import type { CaConfig } from "./config.ts";
import { CtClient } from "./ct-client.ts";
import { IdentityVerifier } from "./identity/verifier.ts";
import { loadOrCreateChain } from "./init.ts";
import { CaMetrics } from "./metrics.ts";
import { RateLimiter } from "./rate-limit.ts";

export interface CaService {
  server: FastifyInstance;
  ca: CertificateAuthority;
  close(): Promise<void>;
}

/** Builds the CA service (Fulcio API) from validated configuration. */
export async function buildCaService(config: CaConfig, logger: Logger | false): Promise<CaService> {
  const signer = await loadSigner(config.signer);
  const chain = await loadOrCreateChain(config.chainPath, signer, config.createChain);
  const ca = new CertificateAuthority({ signer, chain });
  const registry = createRegistry("signet_ca");
  const server = createServer({
    name: "ca",
    logger,
    bodyLimit: config.bodyLimit,
    registry,
    trustedProxies: config.trustedProxies,
  });
  const ct = config.ct ? new CtClient(config.ct.url, config.ct.timeoutMs) : undefined;
  await server.register(fulcioApi, {
    ca,
    identities: new IdentityVerifier(config.issuers, { clockSkewSeconds: config.clockSkewSeconds }),
    issuers: config.issuers,
    ct,
    limits: {
      perIp: new RateLimiter(config.rateLimits.perIp, "client address"),
      perIdentity: new RateLimiter(config.rateLimits.perIdentity, "identity"),
    },
    metrics: new CaMetrics(registry),
  });
  return {
    server,
    ca,
    close: async () => {
      await server.close();
      ct?.close();
    },
  };
}
