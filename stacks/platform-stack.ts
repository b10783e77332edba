import { GoogleProvider } from "@cdktf/provider-google/lib/provider/index.js";
import type { Construct } from "constructs";
import { Aspects, GcsBackend, TerraformOutput, TerraformStack } from "../src/cdktf.ts";
import type { Environment } from "../src/config/schema.ts";
import { LogDatabase } from "../src/gcp/cloud-sql.ts";
import { type EndpointName, PublicEndpoints } from "../src/gcp/dns.ts";
import { PrivateGkeCluster } from "../src/gcp/gke.ts";
import { WorkloadIdentity } from "../src/gcp/identity.ts";
import { SigningKeys } from "../src/gcp/kms.ts";
import { ServiceMonitoring } from "../src/gcp/monitoring.ts";
import { PrivateNetwork } from "../src/gcp/network.ts";
import { ProjectServices } from "../src/gcp/project-services.ts";
import { ImageRegistry } from "../src/gcp/registry.ts";
import { ExternalSecretSlots, platformSecretIds } from "../src/gcp/secrets.ts";
import { TufDistribution } from "../src/gcp/tuf-cdn.ts";

/** The paths the uptime checks request: the cheapest call a real client makes of each service. */
const uptimePaths: Record<EndpointName, string> = {
  ca: "/api/v1/rootCert",
  rekor: "/api/v1/log",
  tsa: "/api/v1/timestamp/certchain",
  ctlog: "/ct/v1/get-sth",
  tuf: "/timestamp.json",
};

/**
 * The first stage of an environment: everything in its GCP project that Kubernetes runs on or
 * talks to. One class for every environment; they differ only in their configuration.
 */
export class PlatformStack extends TerraformStack {
  readonly network: PrivateNetwork;
  readonly cluster: PrivateGkeCluster;
  readonly keys: SigningKeys;
  readonly endpoints: PublicEndpoints;
  readonly registry: ImageRegistry;
  readonly tuf: TufDistribution;
  readonly secrets: ExternalSecretSlots;
  readonly identities: Record<"ca" | "log" | "prober" | "tuf" | "externalSecrets", WorkloadIdentity>;
  readonly databases: LogDatabase[];

  constructor(scope: Construct, id: string, env: Environment) {
    super(scope, id);
    const project = env.project.id;
    const prefix = `signet-${env.name}`;
    new GoogleProvider(this, "google", {
      project,
      region: env.region,
      defaultLabels: { environment: env.name, "managed-by": "signet" },
    });
    new GcsBackend(this, { bucket: env.state.bucket, prefix: "platform" });
    Aspects.of(this).add(new ProjectServices(this, "apis", { project }));

    this.network = new PrivateNetwork(this, "network", {
      project,
      region: env.region,
      name: prefix,
      network: env.network,
    });
    this.cluster = new PrivateGkeCluster(this, "gke", {
      project,
      region: env.region,
      zones: env.zones,
      name: prefix,
      network: this.network,
      controlPlaneCidr: env.network.controlPlaneCidr,
      authorizedNetworks: env.network.authorizedNetworks,
      gke: env.gke,
    });

    this.identities = this.workloadIdentities(project);
    this.keys = new SigningKeys(this, "kms", {
      project,
      location: env.region,
      keyRingName: prefix,
      protectionLevel: env.kms.protectionLevel,
    });
    // Each service signs with its own keys only.
    this.keys.grantSigner("ca", this.identities.ca.member);
    this.keys.grantSigner("log", this.identities.log.member);
    this.keys.grantSigner("ctlog", this.identities.log.member);
    this.keys.grantSigner("tsa", this.identities.log.member);
    this.keys.grantSigner("tuf", this.identities.tuf.member);

    this.databases = env.cloudSql.shards.map(
      (shard) =>
        new LogDatabase(this, `sql-${shard.name}`, {
          project,
          region: env.region,
          name: `${prefix}-${shard.name}`,
          network: this.network,
          cloudSql: env.cloudSql,
          shard,
          iamServiceAccountEmail: this.identities.log.email,
        }),
    );

    this.endpoints = new PublicEndpoints(this, "dns", {
      project,
      domain: env.dns.domain,
      zoneName: env.dns.zoneName,
    });
    this.registry = new ImageRegistry(this, "registry", {
      project,
      location: env.region,
      repositoryId: "signet",
      keepRecentVersions: 20,
    });
    this.registry.grantReader(`serviceAccount:${this.cluster.nodeServiceAccount.email}`, "nodes");

    this.tuf = new TufDistribution(this, "tuf", {
      project,
      bucketName: `${prefix}-tuf`,
      location: env.region,
      hostname: this.endpoints.hostnames.tuf,
      address: this.endpoints.addresses.tuf,
    });
    this.tuf.grantPublisher(this.identities.tuf.member, "tuf-publisher");

    this.secrets = new ExternalSecretSlots(this, "secrets", {
      project,
      secretIds: platformSecretIds,
      replicaLocations: [env.region],
    });
    for (const secretId of platformSecretIds) {
      this.secrets.grantAccessor(secretId, this.identities.externalSecrets.member, `eso-${secretId}`);
    }

    new ServiceMonitoring(this, "monitoring", {
      project,
      environment: env.name,
      notificationChannels: env.alerts.notificationChannels,
      availabilityGoal: env.alerts.availabilityGoal,
      endpoints: Object.entries(uptimePaths).map(([name, path]) => ({
        name,
        host: this.endpoints.hostnames[name as EndpointName],
        path,
      })),
      sqlInstanceIds: this.databases.map((db) => `${project}:${db.instance.name}`),
    });

    this.outputs(env);
  }

  /** One Google identity per workload, bound to its Kubernetes service account. */
  private workloadIdentities(project: string): PlatformStack["identities"] {
    const workload = (id: string, namespace: string, ksa: string, projectRoles: string[] = []) =>
      new WorkloadIdentity(this, `wi-${id}`, {
        project,
        accountId: `signet-${id}`,
        displayName: `Signet ${id} (${namespace}/${ksa})`,
        namespace,
        kubernetesServiceAccount: ksa,
        projectRoles,
      });
    return {
      ca: workload("ca", "signet-ca", "ca"),
      // The Cloud SQL Auth Proxy sidecar connects as the log's identity with IAM authentication.
      log: workload("log", "signet-log", "log", ["roles/cloudsql.client", "roles/cloudsql.instanceUser"]),
      prober: workload("prober", "signet-prober", "prober"),
      tuf: workload("tuf", "signet-tuf", "tuf"),
      externalSecrets: workload("eso", "external-secrets", "external-secrets"),
    };
  }

  /** What the `<env>-cluster` stack and the charts read, as cross-stack references. */
  private outputs(env: Environment): void {
    const output = (id: string, value: unknown, sensitive = false) =>
      new TerraformOutput(this, id, { value, sensitive });
    output("cluster_name", this.cluster.name);
    output("cluster_endpoint", this.cluster.endpoint, true);
    output("cluster_ca_certificate", this.cluster.caCertificate, true);
    output("workload_pool", this.cluster.workloadPool);
    for (const [name, identity] of Object.entries(this.identities)) {
      output(`${name}_service_account`, identity.email);
    }
    for (const [name, key] of Object.entries(this.keys.keys)) output(`${name}_kms_key`, key.id);
    for (const [name, address] of Object.entries(this.endpoints.addresses)) {
      output(`${name}_address`, address.address);
    }
    output(
      "log_shards",
      this.databases.map((db, i) => ({
        name: env.cloudSql.shards[i]?.name,
        connection_name: db.connectionName,
      })),
    );
    output("tuf_bucket", this.tuf.bucket.name);
    output("registry_url", this.registry.url);
    output("dns_name_servers", this.endpoints.nameServers);
  }
}
