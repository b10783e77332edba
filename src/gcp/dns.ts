import { ComputeGlobalAddress } from "@cdktf/provider-google/lib/compute-global-address/index.js";
import { DnsManagedZone } from "@cdktf/provider-google/lib/dns-managed-zone/index.js";
import { DnsRecordSet } from "@cdktf/provider-google/lib/dns-record-set/index.js";
import { Construct } from "constructs";

/** The public services, each at `<name>.<domain>`: CA, transparency log, TSA, CT log and TUF. */
export const endpointNames = ["ca", "rekor", "tsa", "ctlog", "tuf"] as const;
export type EndpointName = (typeof endpointNames)[number];

export interface PublicEndpointsProps {
  project: string;
  /** The delegated domain, without trailing dot, e.g. `staging.signet.example.com`. */
  domain: string;
  zoneName: string;
}

/**
 * The environment's public DNS zone, signed with DNSSEC, and a static global IPv4 address with
 * its A record for each public endpoint. Addresses are reserved here rather than by the load
 * balancers so that rebuilding a load balancer never changes what clients resolve.
 */
export class PublicEndpoints extends Construct {
  readonly zone: DnsManagedZone;
  readonly addresses: Record<EndpointName, ComputeGlobalAddress>;
  readonly hostnames: Record<EndpointName, string>;
  readonly nameServers: string[];

  constructor(scope: Construct, id: string, props: PublicEndpointsProps) {
    super(scope, id);
    this.zone = new DnsManagedZone(this, "zone", {
      project: props.project,
      name: props.zoneName,
      dnsName: `${props.domain}.`,
      description: `Signet public endpoints under ${props.domain}`,
      visibility: "public",
      // Signed answers keep a spoofed resolver from sending clients to a look-alike CA or log.
      // DNSSEC only protects once the parent zone holds this zone's DS record (set at the registrar).
      dnssecConfig: { state: "on", nonExistence: "nsec3" },
      forceDestroy: false,
    });
    this.nameServers = this.zone.nameServers;
    const record = (recordId: string, name: string, type: string, rrdatas: string[]) =>
      new DnsRecordSet(this, recordId, {
        project: props.project,
        managedZone: this.zone.name,
        name,
        type,
        ttl: 300,
        rrdatas,
      });

    const addresses: Partial<Record<EndpointName, ComputeGlobalAddress>> = {};
    const hostnames: Partial<Record<EndpointName, string>> = {};
    for (const name of endpointNames) {
      const address = new ComputeGlobalAddress(this, `${name}-address`, {
        project: props.project,
        name: `${name}-endpoint`,
        addressType: "EXTERNAL",
        ipVersion: "IPV4",
        description: `Public address of ${name}.${props.domain}`,
      });
      record(`${name}-a`, `${name}.${props.domain}.`, "A", [address.address]);
      addresses[name] = address;
      hostnames[name] = `${name}.${props.domain}`;
    }
    this.addresses = addresses as Record<EndpointName, ComputeGlobalAddress>;
    this.hostnames = hostnames as Record<EndpointName, string>;

    // Google-managed certificates are issued by Google Trust Services or Let's Encrypt
    // (https://cloud.google.com/load-balancing/docs/ssl-certificates/google-managed-certs#caa);
    // no other CA may issue for these names, and nobody may issue a wildcard.
    record("caa", `${props.domain}.`, "CAA", [
      '0 issue "pki.goog"',
      '0 issue "letsencrypt.org"',
      '0 issuewild ";"',
    ]);
  }
}
