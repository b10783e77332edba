// The CA and the log whose CT log issues its SCTs, each as its own process, set up as an operator
// would: `ca init` writes the chain, the log trusts its root, the CA submits to the log.
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serviceNodeFlags } from "../services/node-flags.ts";
import { runCommand, type ServiceProcess, startService } from "./ca-process.ts";

export interface CaStack {
  ca: ServiceProcess;
  log: ServiceProcess;
  /** DER, intermediate first, root last. */
  chain: Buffer[];
  /** The CT log's public key, PEM. */
  ctPublicKeyPem: string;
  stop(): Promise<void>;
}

export interface CaStackSetup {
  dataDir: string;
  issuerUrl: string;
  /** CPU profiles of both services go here when they exit. */
  profileDir?: string;
}

export async function startCaStack(setup: CaStackSetup): Promise<CaStack> {
  const caDir = join(setup.dataDir, "ca");
  const logDir = join(setup.dataDir, "log");
  mkdirSync(logDir, { recursive: true });
  await runCommand("services/ca/init.ts", { SIGNET_CA_DATA_DIR: caDir });
  const chainPem = readFileSync(join(caDir, "chain.pem"), "utf8");
  const chain = pemBlocks(chainPem);
  const rootPath = join(setup.dataDir, "ca-root.pem");
  writeFileSync(rootPath, pemOf(chain.at(-1) as Buffer));
  const ctKey = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const ctKeyPath = join(logDir, "ctlog-key.pem");
  writeFileSync(ctKeyPath, ctKey.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  const profile = setup.profileDir ? { profileDir: setup.profileDir } : {};

  const log = await startService({
    name: "log",
    entry: "services/log/main.ts",
    nodeFlags: serviceNodeFlags.log,
    portVariable: "SIGNET_LOG_PORT",
    logDir: setup.dataDir,
    ...profile,
    env: {
      SIGNET_LOG_HOST: "127.0.0.1",
      SIGNET_LOG_HOSTNAME: "127.0.0.1",
      SIGNET_LOG_DATA_DIR: logDir,
      SIGNET_CT_KEY: ctKeyPath,
      SIGNET_CT_ROOTS: rootPath,
    },
  });
  const ca = await startService({
    name: "ca",
    entry: "services/ca/main.ts",
    nodeFlags: serviceNodeFlags.ca,
    portVariable: "SIGNET_CA_PORT",
    logDir: setup.dataDir,
    ...profile,
    env: {
      SIGNET_CA_HOST: "127.0.0.1",
      SIGNET_CA_DATA_DIR: caDir,
      SIGNET_CA_KEY: join(caDir, "ca-key.pem"),
      SIGNET_CA_CHAIN: join(caDir, "chain.pem"),
      SIGNET_CA_ISSUERS: JSON.stringify([{ url: setup.issuerUrl, clientId: "sigstore", type: "email" }]),
      SIGNET_CA_CT_URL: log.url,
      // Every request comes from one address and the load is the point: limits off.
      SIGNET_CA_RATE_PER_IP: "0",
      SIGNET_CA_RATE_PER_IDENTITY: "0",
    },
  }).catch(async (error: unknown) => {
    await log.stop();
    throw error;
  });
  return {
    ca,
    log,
    chain,
    ctPublicKeyPem: ctKey.publicKey.export({ type: "spki", format: "pem" }) as string,
    stop: async () => {
      await ca.stop();
      await log.stop();
    },
  };
}

export function pemBlocks(pem: string): Buffer[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)].map((match) =>
    Buffer.from((match[1] ?? "").replace(/\s/g, ""), "base64"),
  );
}

function pemOf(der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}
