import { ContainerCluster } from "@cdktf/provider-google/lib/container-cluster/index.js";
import { ContainerNodePool } from "@cdktf/provider-google/lib/container-node-pool/index.js";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member/index.js";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account/index.js";
import { Construct } from "constructs";
import type { Environment } from "../config/schema.ts";
import type { PrivateNetwork } from "./network.ts";

export interface PrivateGkeClusterProps {
  project: string;
  region: string;
  zones: string[];
  /** Cluster name, also the prefix of the node service account's id. */
  name: string;
  network: PrivateNetwork;
  controlPlaneCidr: string;
  authorizedNetworks: Array<{ name: string; cidr: string }>;
  gke: Environment["gke"];
}

/**
 * What a node needs to report its own health and nothing more
 * (cloud.google.com/kubernetes-engine/docs/how-to/hardening-your-cluster#use_least_privilege_sa).
 */
export const nodeRoles = [
  "roles/logging.logWriter",
  "roles/monitoring.metricWriter",
  "roles/monitoring.viewer",
  "roles/stackdriver.resourceMetadata.writer",
  "roles/autoscaling.metricsWriter",
] as const;

type MaintenanceWindow = Environment["gke"]["maintenanceWindow"];

/** GKE takes RFC 3339 instants; only their time of day and length matter, so the date is a fixed past one. */
export function recurringWindow(window: MaintenanceWindow): {
  startTime: string;
  endTime: string;
  recurrence: string;
} {
  const start = new Date(`2026-01-01T${window.start}:00Z`);
  const end = new Date(start.getTime() + window.durationHours * 3_600_000);
  const rfc3339 = (instant: Date) => instant.toISOString().replace(".000Z", "Z");
  return { startTime: rfc3339(start), endTime: rfc3339(end), recurrence: window.recurrence };
}

/**
 * A regional GKE cluster whose nodes have no public IPs, whose API server answers only the
 * authorized networks (by IP) or IAM-authenticated callers (by DNS), and whose pods reach
 * Google APIs through Workload Identity rather than the node's credentials.
 */
export class PrivateGkeCluster extends Construct {
  readonly cluster: ContainerCluster;
  readonly nodePool: ContainerNodePool;
  readonly nodeServiceAccount: ServiceAccount;
  readonly name: string;
  readonly endpoint: string;
  /** The IAM-authenticated DNS endpoint of the control plane, reachable without a network allow-list entry. */
  readonly dnsEndpoint: string;
  readonly caCertificate: string;
  readonly workloadPool: string;

  constructor(scope: Construct, id: string, props: PrivateGkeClusterProps) {
    super(scope, id);
    this.name = props.name;
    this.workloadPool = `${props.project}.svc.id.goog`;

    this.nodeServiceAccount = this.serviceAccount(props.project, props.name);
    const grants = nodeRoles.map(
      (role) =>
        new ProjectIamMember(this, `node-${role.replace("roles/", "").replaceAll(".", "-")}`, {
          project: props.project,
          role,
          member: this.nodeServiceAccount.member,
        }),
    );

    this.cluster = this.controlPlane(props);
    this.endpoint = this.cluster.endpoint;
    this.dnsEndpoint = this.cluster.controlPlaneEndpointsConfig.dnsEndpointConfig.endpoint;
    this.caCertificate = this.cluster.masterAuth.clusterCaCertificate;

    this.nodePool = this.primaryPool(props);
    // Nodes write logs and metrics from their first boot.
    this.nodePool.dependsOn = grants.map((grant) => grant.fqn);
  }

  private serviceAccount(project: string, name: string): ServiceAccount {
    const accountId = `${name}-nodes`;
    // IAM's limit (cloud.google.com/iam/docs/service-accounts-create#creating).
    if (accountId.length > 30) {
      throw new Error(`cluster name ${name} is too long: node service account id ${accountId} exceeds 30`);
    }
    return new ServiceAccount(this, "nodes", {
      project,
      accountId,
      displayName: `GKE nodes of ${name}`,
    });
  }

  private controlPlane(props: PrivateGkeClusterProps): ContainerCluster {
    const { network, gke } = props;
    return new ContainerCluster(this, "cluster", {
      project: props.project,
      name: props.name,
      location: props.region,
      nodeLocations: props.zones,
      deletionProtection: gke.deletionProtection,
      // The default pool runs with the Compute Engine default account; ours replaces it.
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      network: network.network.id,
      subnetwork: network.subnetwork.id,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: {
        clusterSecondaryRangeName: network.podsRangeName,
        servicesSecondaryRangeName: network.servicesRangeName,
      },
      // Dataplane V2 enforces NetworkPolicy natively (no Calico add-on).
      datapathProvider: "ADVANCED_DATAPATH",
      privateClusterConfig: {
        enablePrivateNodes: true,
        masterIpv4CidrBlock: props.controlPlaneCidr,
      },
      masterAuthorizedNetworksConfig: {
        cidrBlocks: props.authorizedNetworks.map((n) => ({ displayName: n.name, cidrBlock: n.cidr })),
        gcpPublicCidrsAccessEnabled: false,
      },
      // CI reaches the API server through this endpoint, authorized by IAM rather than by its IP
      // (cloud.google.com/kubernetes-engine/docs/concepts/network-isolation#dns-based_endpoint).
      controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: true } },
      workloadIdentityConfig: { workloadPool: this.workloadPool },
      releaseChannel: { channel: gke.releaseChannel },
      maintenancePolicy: { recurringWindow: recurringWindow(gke.maintenanceWindow) },
      monitoringConfig: {
        enableComponents: ["SYSTEM_COMPONENTS"],
        managedPrometheus: { enabled: true },
      },
      loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "WORKLOADS"] },
      securityPostureConfig: { mode: "BASIC", vulnerabilityMode: "VULNERABILITY_BASIC" },
      enableShieldedNodes: true,
      enableLegacyAbac: false,
      // Identities come from Google IAM only; a client certificate could never be revoked.
      masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
    });
  }

  private primaryPool(props: PrivateGkeClusterProps): ContainerNodePool {
    const { gke } = props;
    return new ContainerNodePool(this, "primary", {
      project: props.project,
      location: props.region,
      cluster: this.cluster.id,
      name: "primary",
      nodeLocations: props.zones,
      initialNodeCount: Math.max(1, gke.minNodesPerZone),
      autoscaling: {
        minNodeCount: gke.minNodesPerZone,
        maxNodeCount: gke.maxNodesPerZone,
        locationPolicy: "BALANCED",
      },
      management: { autoRepair: true, autoUpgrade: true },
      // One extra node at a time and none taken away before its replacement is ready.
      upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
      nodeConfig: {
        machineType: gke.machineType,
        diskSizeGb: gke.diskSizeGb,
        diskType: gke.diskType,
        imageType: "COS_CONTAINERD",
        serviceAccount: this.nodeServiceAccount.email,
        // Access is governed by the service account's IAM roles, not by legacy scopes.
        oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
        // Pods see the GKE metadata server, which serves their Workload Identity, never the node's.
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        tags: [props.network.nodeTag],
        metadata: { "disable-legacy-endpoints": "true" },
      },
      // The autoscaler owns the node count; a new minimum must not recreate the pool.
      lifecycle: { ignoreChanges: ["initial_node_count"] },
    });
  }
}
