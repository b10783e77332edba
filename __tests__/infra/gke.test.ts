import { describe, expect, it } from "vitest";
import { TerraformOutput } from "../../src/cdktf.ts";
import type { Environment } from "../../src/config/schema.ts";
import { nodeRoles, PrivateGkeCluster, recurringWindow } from "../../src/gcp/gke.ts";
import { PrivateNetwork } from "../../src/gcp/network.ts";
import { onlyResource, production, resourcesOf, staging, synthConstruct } from "./support.ts";

/** The blocks of the synthesized cluster and node pool these tests read into. */
type Block = Record<string, unknown>;
interface Cluster {
  master_authorized_networks_config: { cidr_blocks: Array<{ cidr_block: string }> };
  monitoring_config: Block;
  logging_config: Block;
  maintenance_policy: Block;
  [argument: string]: unknown;
}
interface NodePool {
  node_config: Block;
  [argument: string]: unknown;
}

function build(env: Environment, name = `signet-${env.name}`) {
  let gke: PrivateGkeCluster | undefined;
  const doc = synthConstruct((scope) => {
    const network = new PrivateNetwork(scope, "network", {
      project: env.project.id,
      region: env.region,
      name,
      network: env.network,
    });
    gke = new PrivateGkeCluster(scope, "gke", {
      project: env.project.id,
      region: env.region,
      zones: env.zones,
      name,
      network,
      controlPlaneCidr: env.network.controlPlaneCidr,
      authorizedNetworks: env.network.authorizedNetworks,
      gke: env.gke,
    });
    new TerraformOutput(scope, "endpoint", { value: gke.endpoint });
    new TerraformOutput(scope, "dns_endpoint", { value: gke.dnsEndpoint });
    new TerraformOutput(scope, "ca_certificate", { value: gke.caCertificate });
  });
  return { doc, gke: gke as PrivateGkeCluster };
}

describe.each([staging, production])("private GKE cluster ($name)", (env) => {
  const { doc, gke } = build(env);
  const cluster = onlyResource(doc, "google_container_cluster") as unknown as Cluster;
  const pool = onlyResource(doc, "google_container_node_pool") as unknown as NodePool;
  const [[accountName, account]] = resourcesOf(doc, "google_service_account") as [
    [string, Record<string, unknown>],
  ];

  it("is regional across the configured zones, without the default node pool", () => {
    expect(cluster).toMatchObject({
      location: env.region,
      node_locations: env.zones,
      remove_default_node_pool: true,
      initial_node_count: 1,
    });
    expect(pool.autoscaling).toMatchObject({
      min_node_count: env.gke.minNodesPerZone,
      max_node_count: env.gke.maxNodesPerZone,
    });
  });

  it("keeps nodes private and the control plane behind the authorized networks", () => {
    expect(cluster.private_cluster_config).toMatchObject({
      enable_private_nodes: true,
      master_ipv4_cidr_block: env.network.controlPlaneCidr,
    });
    expect(cluster.master_authorized_networks_config).toEqual({
      cidr_blocks: env.network.authorizedNetworks.map((n) => ({ cidr_block: n.cidr, display_name: n.name })),
      gcp_public_cidrs_access_enabled: false,
    });
    for (const block of cluster.master_authorized_networks_config.cidr_blocks) {
      expect(block.cidr_block).not.toMatch(/\/0$/);
    }
  });

  it("offers the IAM-authenticated DNS endpoint for CI", () => {
    expect(cluster.control_plane_endpoints_config).toEqual({
      dns_endpoint_config: { allow_external_traffic: true },
    });
  });

  it("runs VPC-native on the network's secondary ranges with Dataplane V2", () => {
    expect(cluster).toMatchObject({
      networking_mode: "VPC_NATIVE",
      ip_allocation_policy: {
        cluster_secondary_range_name: "pods",
        services_secondary_range_name: "services",
      },
      datapath_provider: "ADVANCED_DATAPATH",
    });
    expect(cluster.network_policy).toBeUndefined();
  });

  it("gives pods Workload Identity and hides node credentials from them", () => {
    expect(cluster.workload_identity_config).toEqual({ workload_pool: `${env.project.id}.svc.id.goog` });
    expect(gke.workloadPool).toBe(`${env.project.id}.svc.id.goog`);
    expect(pool.node_config.workload_metadata_config).toEqual({ mode: "GKE_METADATA" });
    expect(pool.node_config.metadata).toEqual({ "disable-legacy-endpoints": "true" });
  });

  it("hardens the control plane", () => {
    expect(cluster).toMatchObject({
      enable_shielded_nodes: true,
      enable_legacy_abac: false,
      master_auth: { client_certificate_config: { issue_client_certificate: false } },
      security_posture_config: { mode: "BASIC", vulnerability_mode: "VULNERABILITY_BASIC" },
      deletion_protection: env.gke.deletionProtection,
    });
  });

  it("collects workload logs and Managed Prometheus metrics", () => {
    expect(cluster.monitoring_config.managed_prometheus).toEqual({ enabled: true });
    expect(cluster.logging_config.enable_components).toEqual(["SYSTEM_COMPONENTS", "WORKLOADS"]);
  });

  it("follows the configured release channel and maintenance window", () => {
    expect(cluster.release_channel).toEqual({ channel: env.gke.releaseChannel });
    expect(cluster.maintenance_policy.recurring_window).toEqual({
      start_time: "2026-01-01T03:00:00Z",
      end_time: "2026-01-01T07:00:00Z",
      recurrence: env.gke.maintenanceWindow.recurrence,
    });
  });

  it("runs shielded, self-healing, self-upgrading COS nodes with the node tag", () => {
    expect(pool).toMatchObject({
      cluster: expect.stringContaining("google_container_cluster."),
      management: { auto_repair: true, auto_upgrade: true },
      upgrade_settings: { strategy: "SURGE", max_unavailable: 0 },
    });
    expect(pool.node_config).toMatchObject({
      machine_type: env.gke.machineType,
      disk_size_gb: env.gke.diskSizeGb,
      disk_type: env.gke.diskType,
      image_type: "COS_CONTAINERD",
      shielded_instance_config: { enable_secure_boot: true, enable_integrity_monitoring: true },
      tags: [`signet-${env.name}-node`],
    });
  });

  it("runs nodes as their own account with only the roles a node needs", () => {
    expect(account.account_id).toBe(`signet-${env.name}-nodes`);
    expect(pool.node_config.service_account).toBe(`\${google_service_account.${accountName}.email}`);
    expect(pool.node_config.oauth_scopes).toEqual(["https://www.googleapis.com/auth/cloud-platform"]);
    const grants = resourcesOf(doc, "google_project_iam_member").map(([, grant]) => grant);
    expect(grants.map((g) => g.role).sort()).toEqual([...nodeRoles].sort());
    for (const grant of grants) {
      expect(grant.member).toBe(`\${google_service_account.${accountName}.member}`);
      expect(["roles/owner", "roles/editor", "roles/viewer"]).not.toContain(grant.role);
    }
  });

  it("exposes the endpoints and CA certificate as references to the cluster", () => {
    const [[clusterName]] = resourcesOf(doc, "google_container_cluster") as [[string, unknown]];
    const ref = `google_container_cluster.${clusterName}`;
    expect(doc.output?.endpoint?.value).toBe(`\${${ref}.endpoint}`);
    expect(doc.output?.dns_endpoint?.value).toBe(
      `\${${ref}.control_plane_endpoints_config[0].dns_endpoint_config[0].endpoint}`,
    );
    expect(doc.output?.ca_certificate?.value).toBe(`\${${ref}.master_auth[0].cluster_ca_certificate}`);
    expect(gke.name).toBe(`signet-${env.name}`);
  });
});

describe("maintenance window", () => {
  it("turns a start time and a duration into RFC 3339 instants, across midnight too", () => {
    expect(recurringWindow({ start: "22:30", durationHours: 6, recurrence: "FREQ=DAILY" })).toEqual({
      startTime: "2026-01-01T22:30:00Z",
      endTime: "2026-01-02T04:30:00Z",
      recurrence: "FREQ=DAILY",
    });
  });
});

describe("node service account", () => {
  it("refuses a cluster name that would make its id longer than IAM allows", () => {
    expect(() => build(staging, "signet-a-rather-long-environment")).toThrow(/exceeds 30/);
  });
});
