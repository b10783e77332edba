import { describe, expect, it } from "vitest";
import { TerraformOutput } from "../../src/cdktf.ts";
import { endpointNames, PublicEndpoints } from "../../src/gcp/dns.ts";
import { onlyResource, resourcesOf, staging, synthConstruct } from "./support.ts";

let endpoints: PublicEndpoints | undefined;
const doc = synthConstruct((scope) => {
  endpoints = new PublicEndpoints(scope, "dns", {
    project: staging.project.id,
    domain: staging.dns.domain,
    zoneName: staging.dns.zoneName,
  });
  new TerraformOutput(scope, "name_servers", { value: endpoints.nameServers });
});
const records = resourcesOf(doc, "google_dns_record_set").map(([, r]) => r);
const addresses = resourcesOf(doc, "google_compute_global_address");

describe("PublicEndpoints", () => {
  it("creates a public zone for the domain, signed with DNSSEC, that Terraform will not empty", () => {
    expect(onlyResource(doc, "google_dns_managed_zone")).toMatchObject({
      name: "signet-staging",
      dns_name: "staging.signet.example.com.",
      visibility: "public",
      dnssec_config: { state: "on", non_existence: "nsec3" },
      force_destroy: false,
    });
  });

  it("reserves one static external IPv4 address per public endpoint", () => {
    expect(addresses).toHaveLength(endpointNames.length);
    for (const [, address] of addresses) {
      expect(address).toMatchObject({
        address_type: "EXTERNAL",
        ip_version: "IPV4",
        project: "signet-staging",
      });
    }
  });

  it("points one A record at each endpoint's own address", () => {
    const a = records.filter((r) => r.type === "A");
    expect(a.map((r) => r.name).sort()).toEqual([
      "ca.staging.signet.example.com.",
      "ctlog.staging.signet.example.com.",
      "rekor.staging.signet.example.com.",
      "tsa.staging.signet.example.com.",
      "tuf.staging.signet.example.com.",
    ]);
    for (const record of a) {
      const name = String(record.name).split(".")[0];
      const [addressId] = addresses.find(([, address]) => address.name === `${name}-endpoint`) ?? [];
      expect(addressId).toBeDefined();
      expect(record.rrdatas).toEqual([`\${google_compute_global_address.${addressId}.address}`]);
      expect(record.ttl).toBe(300);
    }
  });

  it("allows only Google-managed certificate authorities to issue for the domain", () => {
    const caa = records.filter((r) => r.type === "CAA");
    expect(caa).toHaveLength(1);
    expect(caa[0]?.name).toBe("staging.signet.example.com.");
    expect(caa[0]?.rrdatas).toEqual(['0 issue "pki.goog"', '0 issue "letsencrypt.org"', '0 issuewild ";"']);
  });

  it("exposes hostnames without the trailing dot, and the zone's name servers", () => {
    expect(endpoints?.hostnames).toEqual({
      ca: "ca.staging.signet.example.com",
      rekor: "rekor.staging.signet.example.com",
      tsa: "tsa.staging.signet.example.com",
      ctlog: "ctlog.staging.signet.example.com",
      tuf: "tuf.staging.signet.example.com",
    });
    expect(Object.keys(endpoints?.addresses ?? {}).sort()).toEqual([...endpointNames].sort());
    const [[zoneId]] = resourcesOf(doc, "google_dns_managed_zone") as [[string, unknown]];
    expect(doc.output?.name_servers?.value).toBe(`\${google_dns_managed_zone.${zoneId}.name_servers}`);
  });
});
