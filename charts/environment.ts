import { type EndpointUrls, endpointUrls } from "../src/config/endpoints.ts";
import type { Environment } from "../src/config/schema.ts";
import { type CaValues, caChart } from "./ca.ts";
import { googleFrontEndRanges } from "./endpoint.ts";
import type { KubernetesObject } from "./kubernetes.ts";
import { type LogValues, logChart } from "./log.ts";
import { type PlatformValues, platformChart } from "./platform.ts";
import { type ProberValues, proberChart } from "./prober.ts";
import { clusterUrl } from "./services.ts";
import { rootOf, type TrustMaterial } from "./trust.ts";

/** The Cloud SQL Auth Proxy v2 release the log's sidecar runs. */
export const sqlProxyImage = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.21.0";

/** The audience the prober's token carries: the CA's default client id for every issuer. */
const caAudience = "sigstore";

/**
 * The names the platform stack gives what the services use (stacks/platform-stack.ts and the
 * constructs in src/gcp/), derived from the same configuration. __tests__/charts checks them
 * against a synthesized platform stack.
 */
export function platformNames(env: Environment) {
  const project = env.project.id;
  const prefix = `signet-${env.name}`;
  return {
    googleServiceAccount: (id: "ca" | "log" | "prober") => `signet-${id}@${project}.iam.gserviceaccount.com`,
    kmsKeyVersion: (key: "ca" | "log" | "ctlog" | "tsa", version: number) =>
      `projects/${project}/locations/${env.region}/keyRings/${prefix}/cryptoKeys/${key}/cryptoKeyVersions/${version}`,
    sqlConnectionName: (shard: string) => `${project}:${env.region}:${prefix}-${shard}`,
    database: { name: "signet", user: `signet-log@${project}.iam` },
    hostname: (endpoint: keyof EndpointUrls) => new URL(endpointUrls(env)[endpoint]).host,
    // GKE's per-cluster OIDC issuer, which signs projected service account tokens.
    clusterIssuer: `https://container.googleapis.com/v1/projects/${project}/locations/${env.region}/clusters/${prefix}`,
  };
}

export function caValues(env: Environment, trust: TrustMaterial): CaValues {
  const names = platformNames(env);
  const { ca } = env.charts;
  return {
    image: env.images.ca,
    replicas: { min: ca.replicas, max: ca.maxReplicas },
    resources: ca.resources,
    googleServiceAccount: names.googleServiceAccount("ca"),
    signingKey: names.kmsKeyVersion("ca", env.charts.keyVersions.ca),
    chain: trust.caChain,
    issuers: [{ url: names.clusterIssuer, type: "kubernetes" }, ...ca.issuers],
    ctUrl: clusterUrl("log"),
    trustedProxies: [...googleFrontEndRanges, ...(ca.loadBalancerAddress ? [ca.loadBalancerAddress] : [])],
    hostname: names.hostname("ca"),
  };
}

export function logValues(env: Environment, trust: TrustMaterial): LogValues {
  const names = platformNames(env);
  const { log, keyVersions } = env.charts;
  return {
    image: env.images.log,
    replicas: log.replicas,
    resources: log.resources,
    googleServiceAccount: names.googleServiceAccount("log"),
    hostnames: { rekor: names.hostname("rekor"), tsa: names.hostname("tsa"), ctlog: names.hostname("ctlog") },
    keys: {
      log: names.kmsKeyVersion("log", keyVersions.log),
      ctlog: names.kmsKeyVersion("ctlog", keyVersions.ctlog),
      tsa: names.kmsKeyVersion("tsa", keyVersions.tsa),
    },
    shards: env.cloudSql.shards.map((shard) => ({
      treeId: shard.treeId,
      state: shard.state,
      connectionName: names.sqlConnectionName(shard.name),
    })),
    database: names.database,
    ctTreeId: log.ctTreeId,
    tsaChain: trust.tsaChain,
    ctRoots: rootOf(trust.caChain),
    sqlProxyImage,
  };
}

export function proberValues(env: Environment, trust: TrustMaterial): ProberValues {
  const names = platformNames(env);
  const url = (endpoint: Parameters<typeof names.hostname>[0]) => `https://${names.hostname(endpoint)}`;
  return {
    image: env.images.prober,
    resources: env.charts.prober.resources,
    googleServiceAccount: names.googleServiceAccount("prober"),
    urls: { ca: url("ca"), rekor: url("rekor"), ctlog: url("ctlog"), tsa: url("tsa"), tuf: url("tuf") },
    tufRoot: trust.tufRoot,
    clusterIssuer: names.clusterIssuer,
    audience: caAudience,
  };
}

export function platformValues(env: Environment): PlatformValues {
  const active = env.cloudSql.shards.filter((s) => s.state === "active").map((s) => s.treeId);
  return {
    controlPlaneCidr: env.network.controlPlaneCidr,
    privateServicesCidr: env.network.privateServicesCidr,
    availabilityGoal: env.alerts.availabilityGoal,
    liveTreeIds: [...active, env.charts.log.ctTreeId],
    reloaderChartVersion: env.charts.reloader.chartVersion,
    // The branch Argo CD deploys (stacks/cluster-stack.ts), so the page matches what runs.
    runbookUrl: `https://github.com/${env.github.repository}/blob/main/docs/runbooks/alerts.md`,
  };
}

/** Every object of one environment, platform first. */
export function renderEnvironment(env: Environment, trust: TrustMaterial): KubernetesObject[] {
  return [
    ...platformChart(platformValues(env)),
    ...caChart(caValues(env, trust)),
    ...logChart(logValues(env, trust)),
    ...proberChart(proberValues(env, trust)),
  ];
}
