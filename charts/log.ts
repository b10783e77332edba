import type { IContainer } from "kubernetes-models/v1/Container";
import { z } from "zod";
import { backendConfig, publicEndpoint } from "./endpoint.ts";
import {
  configMap,
  googleServiceAccount,
  hostname,
  imageByDigest,
  type KubernetesObject,
  kmsKeyVersion,
  parseValues,
  pem,
  resources,
  workloadServiceAccount,
} from "./kubernetes.ts";
import { signetServices } from "./services.ts";
import {
  dataDir,
  disruptionBudget,
  hardenedContainer,
  scratchVolumes,
  serviceContainer,
  signetDeployment,
  signetService,
} from "./workload.ts";

const treeId = z.string().regex(/^[1-9]\d{0,18}$/, "expected a tree id");

export const logValuesSchema = z
  .strictObject({
    image: imageByDigest,
    /** 0 stops appends and reads alike (docs/runbooks/restore-log-database.md). */
    replicas: z.number().int().min(0),
    resources,
    googleServiceAccount,
    hostnames: z.strictObject({ rekor: hostname, tsa: hostname, ctlog: hostname }),
    keys: z.strictObject({ log: kmsKeyVersion, ctlog: kmsKeyVersion, tsa: kmsKeyVersion }),
    /** In configuration order; each is one Cloud SQL instance (`project:region:name`). */
    shards: z
      .array(
        z.strictObject({
          treeId,
          state: z.enum(["active", "frozen"]),
          connectionName: z
            .string()
            .regex(/^[a-z][a-z0-9-]+:[a-z]+-[a-z]+\d+:[a-z][a-z0-9-]+$/, "expected project:region:instance"),
        }),
      )
      .min(1),
    /** The database and the IAM user (the log's service account without `.gserviceaccount.com`). */
    database: z.strictObject({ name: z.string().min(1), user: z.string().min(1) }),
    ctTreeId: treeId,
    /** The TSA's certificate chain, leaf first. */
    tsaChain: pem,
    /** The roots whose chains the CT log accepts: the CA's root. */
    ctRoots: pem,
    /** The Cloud SQL Auth Proxy v2 image, pinned to an exact release or digest. */
    sqlProxyImage: z
      .string()
      .regex(
        /^[a-z0-9.-]+(\/[a-z0-9._-]+)+(:\d+\.\d+\.\d+|@sha256:[a-f0-9]{64})$/,
        "pin the proxy by exact version or digest",
      ),
  })
  // The CT tree shares the first shard's database, where tree ids must be distinct.
  .refine((v) => !v.shards.some((s) => s.treeId === v.ctTreeId), {
    message: "is also a log shard's tree id",
    path: ["ctTreeId"],
  });

export type LogValues = z.input<typeof logValuesSchema>;
type Values = z.output<typeof logValuesSchema>;

const { namespace, port } = signetServices.log;
const trustDir = "/etc/signet/log";
/** The proxy listens for shard i on 127.0.0.1:(firstProxyPort + i). */
const firstProxyPort = 5432;
const proxyHealthPort = 9801;

function storageUrl(values: Values, shardIndex: number): string {
  const user = encodeURIComponent(values.database.user);
  return `postgres://${user}@127.0.0.1:${firstProxyPort + shardIndex}/${values.database.name}`;
}

/** The environment the log reads (services/log/config.ts), as a ConfigMap the reloader watches. */
function logEnvironment(values: Values): Record<string, string> {
  const shards = values.shards.map((shard, i) => ({
    treeId: shard.treeId,
    storage: storageUrl(values, i),
    state: shard.state,
  }));
  return {
    SIGNET_LOG_PORT: String(port),
    SIGNET_LOG_HOSTNAME: values.hostnames.rekor,
    SIGNET_LOG_DATA_DIR: dataDir("log"),
    SIGNET_LOG_SHARDS: JSON.stringify(shards),
    SIGNET_LOG_SIGNER: "kms",
    SIGNET_LOG_KEY: values.keys.log,
    SIGNET_LOG_LEVEL: "info",
    // The CT tree stays in the first shard's database: shards are frozen, never removed.
    SIGNET_CT_TREE_ID: values.ctTreeId,
    SIGNET_CT_STORAGE: storageUrl(values, 0),
    SIGNET_CT_SIGNER: "kms",
    SIGNET_CT_KEY: values.keys.ctlog,
    SIGNET_CT_ROOTS: `${trustDir}/ct-roots.pem`,
    SIGNET_TSA_SIGNER: "kms",
    SIGNET_TSA_KEY: values.keys.tsa,
    SIGNET_TSA_CHAIN: `${trustDir}/tsa-chain.pem`,
  };
}

/**
 * The Cloud SQL Auth Proxy v2 as a native sidecar (an init container that keeps running): it
 * starts, and answers its startup probe, before the log opens its databases, and stops after the
 * log has drained. It reaches each shard's instance on its private IP and logs in as the pod's
 * Google service account (automatic IAM database authentication): no password exists.
 */
function sqlProxy(values: Values): IContainer {
  const probe = (path: string) => ({ httpGet: { path, port: "proxy-health" } });
  return {
    name: "cloud-sql-proxy",
    image: values.sqlProxyImage,
    restartPolicy: "Always",
    args: [
      "--private-ip",
      "--auto-iam-authn",
      "--structured-logs",
      "--health-check",
      "--http-address=0.0.0.0",
      `--http-port=${proxyHealthPort}`,
      "--exit-zero-on-sigterm",
      ...values.shards.map((shard, i) => `${shard.connectionName}?port=${firstProxyPort + i}`),
    ],
    ports: [{ name: "proxy-health", containerPort: proxyHealthPort, protocol: "TCP" }],
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    securityContext: hardenedContainer,
    startupProbe: { ...probe("/startup"), periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 60 },
    livenessProbe: { ...probe("/liveness"), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
  };
}

/**
 * The transparency log, CT log and timestamp authority: one Deployment behind `rekor.`, `tsa.`
 * and `ctlog.<domain>`, sequencing through PostgreSQL (the database is the single sequencer, so
 * replicas only add read and validation capacity).
 */
export function logChart(input: LogValues): KubernetesObject[] {
  const values = parseValues("log", logValuesSchema, input);
  const scratch = scratchVolumes("log");
  const deployment = signetDeployment({
    name: "log",
    namespace,
    replicas: values.replicas,
    initContainers: [sqlProxy(values)],
    containers: [
      serviceContainer({
        name: "log",
        image: values.image,
        port,
        resources: values.resources,
        // Opening a shard applies pending migrations before the server listens.
        startupSeconds: 120,
        volumeMounts: [...scratch.mounts, { name: "trust", mountPath: trustDir, readOnly: true }],
      }),
    ],
    volumes: [...scratch.volumes, { name: "trust", configMap: { name: "log-trust" } }],
  });
  const endpoint = (name: "rekor" | "tsa" | "ctlog") =>
    publicEndpoint({ endpoint: name, namespace, hostname: values.hostnames[name], service: "log", port });
  return [
    workloadServiceAccount("log", namespace, values.googleServiceAccount),
    configMap("log-env", namespace, "log", logEnvironment(values)),
    configMap("log-trust", namespace, "log", {
      "tsa-chain.pem": values.tsaChain,
      "ct-roots.pem": values.ctRoots,
    }),
    deployment,
    ...(values.replicas > 1 ? [disruptionBudget("log", namespace)] : []),
    signetService("log", namespace, port),
    backendConfig("log", namespace, port),
    ...endpoint("rekor"),
    ...endpoint("tsa"),
    ...endpoint("ctlog"),
  ];
}
