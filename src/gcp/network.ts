import {
  ComputeFirewall,
  type ComputeFirewallConfig,
} from "@cdktf/provider-google/lib/compute-firewall/index.js";
import { ComputeGlobalAddress } from "@cdktf/provider-google/lib/compute-global-address/index.js";
import { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network/index.js";
import { ComputeRouter } from "@cdktf/provider-google/lib/compute-router/index.js";
import { ComputeRouterNat } from "@cdktf/provider-google/lib/compute-router-nat/index.js";
import { ComputeSubnetwork } from "@cdktf/provider-google/lib/compute-subnetwork/index.js";
import { ServiceNetworkingConnection } from "@cdktf/provider-google/lib/service-networking-connection/index.js";
import { Construct } from "constructs";
import type { Environment } from "../config/schema.ts";

export interface PrivateNetworkProps {
  project: string;
  region: string;
  /** Prefix of every resource name, e.g. `signet-staging`. */
  name: string;
  network: Environment["network"];
}

/** Where Google's load balancers and their health checks come from (cloud.google.com/load-balancing/docs/health-check-concepts#ip-ranges). */
export const healthCheckRanges = ["130.211.0.0/22", "35.191.0.0/16"] as const;

/**
 * The environment's VPC: one node subnet with secondary ranges for pods and services, egress
 * through Cloud NAT only (nodes have no public IPs), a peering range for Cloud SQL's private
 * IPs, and firewall rules that admit only what GKE needs to reach the nodes.
 */
export class PrivateNetwork extends Construct {
  readonly network: ComputeNetwork;
  readonly subnetwork: ComputeSubnetwork;
  readonly podsRangeName = "pods";
  readonly servicesRangeName = "services";
  /** The network tag the GKE node pool carries; the firewall rules target it. */
  readonly nodeTag: string;
  readonly privateServicesConnection: ServiceNetworkingConnection;

  constructor(scope: Construct, id: string, props: PrivateNetworkProps) {
    super(scope, id);
    const { project, region, name, network: cidrs } = props;
    this.nodeTag = `${name}-node`;

    this.network = new ComputeNetwork(this, "vpc", {
      project,
      name,
      description: "Signet: GKE nodes and private service access for Cloud SQL",
      autoCreateSubnetworks: false,
      routingMode: "REGIONAL",
    });

    this.subnetwork = new ComputeSubnetwork(this, "nodes", {
      project,
      region,
      name: `${name}-nodes`,
      network: this.network.id,
      ipCidrRange: cidrs.nodesCidr,
      secondaryIpRange: [
        { rangeName: this.podsRangeName, ipCidrRange: cidrs.podsCidr },
        { rangeName: this.servicesRangeName, ipCidrRange: cidrs.servicesCidr },
      ],
      // Nodes have no public IPs; this is how they reach Google APIs (KMS, Cloud SQL Admin, registry).
      privateIpGoogleAccess: true,
      // Flow logs for incident review, as the security review asks; 5-minute aggregation and half
      // sampling keep their volume and cost bounded.
      logConfig: {
        aggregationInterval: "INTERVAL_5_MIN",
        flowSampling: 0.5,
        metadata: "INCLUDE_ALL_METADATA",
      },
    });

    const router = new ComputeRouter(this, "router", {
      project,
      region,
      name: `${name}-router`,
      network: this.network.id,
    });
    new ComputeRouterNat(this, "nat", {
      project,
      region,
      name: `${name}-nat`,
      router: router.name,
      natIpAllocateOption: "AUTO_ONLY",
      // Pods egress with their own IPs on a VPC-native cluster, so their range needs NAT too.
      sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    });

    this.privateServicesConnection = this.privateServicesAccess(project, name, cidrs.privateServicesCidr);
    this.firewall(project, name, cidrs.controlPlaneCidr);
  }

  /** Cloud SQL gets private IPs from this range, through a peering with Google's service network. */
  private privateServicesAccess(project: string, name: string, cidr: string): ServiceNetworkingConnection {
    const [address, prefixLength] = cidr.split("/");
    const range = new ComputeGlobalAddress(this, "private-services", {
      project,
      name: `${name}-private-services`,
      description: "Private IPs of Google-managed services (Cloud SQL)",
      purpose: "VPC_PEERING",
      addressType: "INTERNAL",
      address,
      prefixLength: Number(prefixLength),
      network: this.network.id,
    });
    return new ServiceNetworkingConnection(this, "private-services-connection", {
      network: this.network.id,
      service: "servicenetworking.googleapis.com",
      reservedPeeringRanges: [range.name],
      // Deleting the peering fails for days after a Cloud SQL instance is deleted; the provider
      // documents ABANDON for a destroy that completes.
      deletionPolicy: "ABANDON",
    });
  }

  private firewall(project: string, name: string, controlPlaneCidr: string): void {
    const rule = (id: string, config: Omit<ComputeFirewallConfig, "project" | "network" | "name">) =>
      new ComputeFirewall(this, id, {
        project,
        network: this.network.id,
        name: `${name}-${id}`,
        direction: "INGRESS",
        ...config,
      });

    rule("allow-health-checks", {
      description:
        "Google load balancer health checks reach nodes and pods (NEG backends) on their serving ports",
      sourceRanges: [...healthCheckRanges],
      targetTags: [this.nodeTag],
      allow: [{ protocol: "tcp" }],
      priority: 1000,
    });
    rule("allow-control-plane", {
      description:
        "GKE control plane reaches the kubelet (10250) and admission webhooks served on 443 and 8443",
      sourceRanges: [controlPlaneCidr],
      targetTags: [this.nodeTag],
      allow: [{ protocol: "tcp", ports: ["443", "8443", "10250"] }],
      priority: 1000,
    });
    rule("deny-all-ingress", {
      description:
        "Explicit default deny at the lowest user priority, so dropped connections are logged; every allow rule (ours and GKE's) outranks it",
      sourceRanges: ["0.0.0.0/0"],
      deny: [{ protocol: "all" }],
      priority: 65534,
      logConfig: { metadata: "INCLUDE_ALL_METADATA" },
    });
  }
}
