import { mkdirSync, writeFileSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { buildCaService } from "../ca/app.ts";
import { loadCaConfig } from "../ca/config.ts";
import { caKeyAlgorithm, loadOrCreateChain } from "../ca/init.ts";
import { createRegistry } from "../common/metrics.ts";
import { encodePem } from "../common/pem.ts";
import { createServer, listenAndServe } from "../common/server.ts";
import { loadSigner } from "../common/signer/index.ts";
import { buildLogService } from "../log/app.ts";
import { loadLogConfig } from "../log/config.ts";
import { createProber, type Prober } from "../prober/app.ts";
import { loadProberConfig } from "../prober/config.ts";
import type { RoundReport } from "../prober/report.ts";
import { devIssuer } from "./oidc.ts";
import { publishLocalTrust } from "./trust.ts";
import { tufRepositoryRoutes } from "./tuf-server.ts";

export interface Endpoints {
  ca: string;
  rekor: string;
  ctlog: string;
  tsa: string;
  oidc: string;
  tuf: string;
  prober: string;
}

export interface LocalOptions {
  /** State that survives restarts: databases, keys, the TUF repository. */
  dataDir: string;
  /** Ports base, base+1, … base+4 for log, CA, OIDC, TUF and prober; 0 picks free ports. */
  basePort: number;
  logger: Logger | false;
  proberIntervalSeconds?: number;
  onRound?: (report: RoundReport) => void;
}

export interface LocalInstance {
  endpoints: Endpoints;
  trustedRootPath: string;
  tufRootPath: string;
  prober: Prober;
  close(): Promise<void>;
}

const host = "127.0.0.1";

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

async function ports(base: number): Promise<number[]> {
  if (base !== 0) return [0, 1, 2, 3, 4].map((i) => base + i);
  return Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
}

/**
 * A whole Signet instance in one process on loopback: log (with CT log and TSA), CA, a dev OIDC
 * issuer the CA trusts, a TUF repository server publishing the trusted root, and the prober.
 */
export async function startLocalInstance(options: LocalOptions): Promise<LocalInstance> {
  const { dataDir, logger } = options;
  mkdirSync(dataDir, { recursive: true });
  const [logPort, caPort, oidcPort, tufPort, proberPort] = (await ports(options.basePort)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const url = (port: number) => `http://${host}:${port}`;
  const endpoints: Endpoints = {
    rekor: url(logPort),
    ctlog: url(logPort),
    tsa: url(logPort),
    ca: url(caPort),
    oidc: url(oidcPort),
    tuf: url(tufPort),
    prober: url(proberPort),
  };
  const servers: FastifyInstance[] = [];
  const closers: Array<() => Promise<void>> = [];
  const level = logger ? logger.level : "silent";

  const oidc = createServer({ name: "oidc", logger, registry: createRegistry("signet_oidc") });
  await devIssuer(join(dataDir, "oidc", "key.pem")).register(oidc, endpoints.oidc);
  await listenAndServe(oidc, { host, port: oidcPort });
  servers.push(oidc);

  // The CA's chain comes first: the CT log must trust its root before the CA submits to it.
  const caDir = join(dataDir, "ca");
  const caSigner = await loadSigner({
    kind: "file",
    path: join(caDir, "ca-key.pem"),
    create: true,
    algorithm: caKeyAlgorithm,
  });
  const caChain = await loadOrCreateChain(join(caDir, "chain.pem"), caSigner, true);
  const rootPath = join(caDir, "root.pem");
  writeFileSync(rootPath, encodePem("CERTIFICATE", caChain.at(-1) as Buffer));

  const log = await buildLogService(
    loadLogConfig({
      SIGNET_LOG_DATA_DIR: join(dataDir, "log"),
      SIGNET_LOG_HOSTNAME: host,
      SIGNET_CT_ROOTS: rootPath,
      SIGNET_LOG_LEVEL: level,
    }),
    logger,
  );
  await listenAndServe(log.server, { host, port: logPort });
  closers.push(() => log.close());

  const ca = await buildCaService(
    loadCaConfig({
      SIGNET_CA_DATA_DIR: caDir,
      SIGNET_CA_ISSUERS: JSON.stringify([{ url: endpoints.oidc, type: "email" }]),
      SIGNET_CA_CT_URL: endpoints.ctlog,
      SIGNET_CA_LOG_LEVEL: level,
    }),
    logger,
  );
  await listenAndServe(ca.server, { host, port: caPort });
  closers.push(() => ca.close());

  const trust = await publishLocalTrust({
    dataDir,
    urls: { ...endpoints, tsa: `${endpoints.tsa}/api/v1/timestamp` },
    logSpki: log.identity.signer.spki,
    ctSpki: log.ct.spki,
    caChain,
    tsaChain: log.tsaChain,
    onlineSigner: await loadSigner({
      kind: "file",
      path: join(dataDir, "tuf-keys", "online.pem"),
      create: true,
      algorithm: "ecdsa-p256-sha256",
    }),
  });
  const tuf = createServer({ name: "tuf", logger, registry: createRegistry("signet_tuf") });
  tufRepositoryRoutes(tuf, trust.repositoryDir);
  await listenAndServe(tuf, { host, port: tufPort });
  servers.push(tuf);

  const prober = await createProber(
    loadProberConfig({
      SIGNET_PROBER_HOST: host,
      SIGNET_PROBER_PORT: String(proberPort),
      SIGNET_PROBER_CA_URL: endpoints.ca,
      SIGNET_PROBER_REKOR_URL: endpoints.rekor,
      SIGNET_PROBER_CT_URL: endpoints.ctlog,
      SIGNET_PROBER_TSA_URL: endpoints.tsa,
      SIGNET_PROBER_TUF_URL: endpoints.tuf,
      SIGNET_PROBER_TUF_ROOT: trust.tufRootPath,
      SIGNET_PROBER_TUF_CACHE: join(dataDir, "prober", "tuf-cache"),
      SIGNET_PROBER_TOKEN_SOURCE: "dev",
      SIGNET_PROBER_OIDC_URL: endpoints.oidc,
      SIGNET_PROBER_STATE: join(dataDir, "prober", "monitor.json"),
      SIGNET_PROBER_INTERVAL_SECONDS: String(options.proberIntervalSeconds ?? 10),
      SIGNET_PROBER_LOG_LEVEL: level,
    }),
    { logger, onRound: options.onRound },
  );
  await prober.start();

  writeFileSync(join(dataDir, "endpoints.json"), `${JSON.stringify(endpoints, null, 2)}\n`);
  return {
    endpoints,
    trustedRootPath: trust.trustedRootPath,
    tufRootPath: trust.tufRootPath,
    prober,
    async close() {
      await prober.stop();
      await Promise.all(servers.map((server) => server.close()));
      for (const close of closers.reverse()) await close();
    },
  };
}
