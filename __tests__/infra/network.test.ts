import { describe, expect, it } from "vitest";
import type { Environment } from "../../src/config/schema.ts";
import { PrivateNetwork } from "../../src/gcp/network.ts";
import { onlyResource, production, resourcesOf, staging, synthConstruct } from "./support.ts";

/** The arguments of a synthesized `google_compute_firewall` these tests read. */
interface FirewallRule {
  name: string;
  description?: string;
  priority?: number;
  source_ranges?: string[];
  source_tags?: string[];
  source_service_accounts?: string[];
  target_tags?: string[];
  allow?: unknown[];
  deny?: unknown[];
}

function build(env: Environment) {
  let network: PrivateNetwork | undefined;
  const doc = synthConstruct((scope) => {
    network = new PrivateNetwork(scope, "network", {
      project: env.project.id,
      region: env.region,
      name: `signet-${env.name}`,
      network: env.network,
    });
  });
  return { doc, network: network as PrivateNetwork };
}

describe.each([staging, production])("private network ($name)", (env) => {
  const { doc, network } = build(env);
  const firewalls = resourcesOf(doc, "google_compute_firewall").map(
    ([, rule]) => rule as unknown as FirewallRule,
  );
  const allowRules = firewalls.filter((rule) => rule.allow !== undefined);
  const ruleNamed = (suffix: string) => firewalls.find((rule) => String(rule.name).endsWith(suffix));

  it("is a custom-mode VPC with regional routing", () => {
    expect(onlyResource(doc, "google_compute_network")).toMatchObject({
      name: `signet-${env.name}`,
      auto_create_subnetworks: false,
      routing_mode: "REGIONAL",
    });
  });

  it("gives nodes one subnet with named pod and service ranges, Private Google Access and flow logs", () => {
    const subnet = onlyResource(doc, "google_compute_subnetwork");
    expect(subnet).toMatchObject({
      ip_cidr_range: env.network.nodesCidr,
      private_ip_google_access: true,
      log_config: { aggregation_interval: "INTERVAL_5_MIN", flow_sampling: expect.any(Number) },
    });
    expect(subnet.secondary_ip_range).toEqual([
      { range_name: network.podsRangeName, ip_cidr_range: env.network.podsCidr },
      { range_name: network.servicesRangeName, ip_cidr_range: env.network.servicesCidr },
    ]);
    expect([network.podsRangeName, network.servicesRangeName]).toEqual(["pods", "services"]);
  });

  it("sends all egress of every range through Cloud NAT and logs its errors", () => {
    expect(onlyResource(doc, "google_compute_router_nat")).toMatchObject({
      nat_ip_allocate_option: "AUTO_ONLY",
      source_subnetwork_ip_ranges_to_nat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
      log_config: { enable: true, filter: "ERRORS_ONLY" },
    });
  });

  it("reserves the configured private services range and peers it with Google's service network", () => {
    const [address, prefix] = env.network.privateServicesCidr.split("/");
    const [[rangeName, range]] = resourcesOf(doc, "google_compute_global_address") as [[string, unknown]];
    expect(range).toMatchObject({
      purpose: "VPC_PEERING",
      address_type: "INTERNAL",
      address,
      prefix_length: Number(prefix),
    });
    expect(onlyResource(doc, "google_service_networking_connection")).toMatchObject({
      service: "servicenetworking.googleapis.com",
      reserved_peering_ranges: [`\${google_compute_global_address.${rangeName}.name}`],
    });
  });

  it("admits no traffic from the whole internet", () => {
    expect(allowRules.length).toBeGreaterThan(0);
    for (const rule of allowRules) {
      for (const range of rule.source_ranges ?? []) expect(range).not.toMatch(/\/0$/);
      expect(rule.source_ranges ?? rule.source_tags ?? rule.source_service_accounts).toBeDefined();
    }
  });

  it("admits Google's health checks to the nodes", () => {
    expect(network.nodeTag).toBe(`signet-${env.name}-node`);
    expect(ruleNamed("allow-health-checks")).toMatchObject({
      direction: "INGRESS",
      source_ranges: ["130.211.0.0/22", "35.191.0.0/16"],
      target_tags: [network.nodeTag],
      allow: [{ protocol: "tcp" }],
    });
  });

  it("admits the control plane to kubelets and webhooks only", () => {
    expect(ruleNamed("allow-control-plane")).toMatchObject({
      source_ranges: [env.network.controlPlaneCidr],
      target_tags: [network.nodeTag],
      allow: [{ protocol: "tcp", ports: ["443", "8443", "10250"] }],
    });
  });

  it("targets every allow rule at the nodes and explains every rule", () => {
    for (const rule of allowRules) expect(rule.target_tags).toEqual([network.nodeTag]);
    for (const rule of firewalls) expect(String(rule.description).length).toBeGreaterThan(20);
  });

  it("ends with a logged deny-all below every allow rule", () => {
    const denyAll = ruleNamed("deny-all-ingress");
    expect(denyAll).toMatchObject({
      direction: "INGRESS",
      priority: 65534,
      deny: [{ protocol: "all" }],
      log_config: { metadata: "INCLUDE_ALL_METADATA" },
    });
    expect(denyAll?.allow).toBeUndefined();
    for (const rule of allowRules) expect(rule.priority ?? 1000).toBeLessThan(65534);
  });
});
