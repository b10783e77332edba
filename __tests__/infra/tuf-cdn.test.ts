import { ComputeGlobalAddress } from "@cdktf/provider-google/lib/compute-global-address/index.js";
import { describe, expect, it } from "vitest";
import { TufDistribution } from "../../src/gcp/tuf-cdn.ts";
import { onlyResource, resourcesOf, synthConstruct } from "./support.ts";

const hostname = "tuf.staging.signet.example.com";
let tuf: TufDistribution | undefined;
const doc = synthConstruct((scope) => {
  const address = new ComputeGlobalAddress(scope, "tuf-address", { name: "tuf-endpoint" });
  tuf = new TufDistribution(scope, "tuf", {
    project: "signet-staging",
    bucketName: "signet-staging-tuf",
    location: "europe-west1",
    hostname,
    address,
  });
  tuf.grantPublisher("serviceAccount:tuf@signet-staging.iam.gserviceaccount.com", "publisher");
});
const certificateNameFor = (other: string) =>
  onlyResource(
    synthConstruct((scope) => {
      const address = new ComputeGlobalAddress(scope, "tuf-address", { name: "tuf-endpoint" });
      new TufDistribution(scope, "tuf", {
        project: "p",
        bucketName: "b",
        location: "eu",
        hostname: other,
        address,
      });
    }),
    "google_compute_managed_ssl_certificate",
  ).name;
const one = (type: string) => onlyResource(doc, type);
const idOf = (type: string) => resourcesOf(doc, type)[0]?.[0];
const ref = (type: string, attribute = "id") => `\${${type}.${idOf(type)}.${attribute}}`;
const bucket = one("google_storage_bucket");
const bucketGrants = resourcesOf(doc, "google_storage_bucket_iam_member").map(([, g]) => g);

describe("TufDistribution", () => {
  it("keeps the repository in a versioned, uniformly controlled bucket Terraform will not empty", () => {
    expect(bucket).toMatchObject({
      name: "signet-staging-tuf",
      location: "europe-west1",
      versioning: { enabled: true },
      uniform_bucket_level_access: true,
      public_access_prevention: "inherited",
      force_destroy: false,
    });
    // Deleted objects stay restorable for 30 days, on top of versioning.
    expect(bucket.soft_delete_policy).toEqual({ retention_duration_seconds: 2592000 });
  });

  it("bounds old metadata versions by age and by count", () => {
    expect(bucket.lifecycle_rule).toEqual([
      { action: { type: "Delete" }, condition: { days_since_noncurrent_time: 730 } },
      { action: { type: "Delete" }, condition: { num_newer_versions: 10, with_state: "ARCHIVED" } },
    ]);
  });

  it("lets any origin read metadata cross-origin, but only with GET and HEAD", () => {
    expect(bucket.cors).toEqual([expect.objectContaining({ origin: ["*"], method: ["GET", "HEAD"] })]);
  });

  it("makes objects public on this bucket only, and lets the publisher write to it", () => {
    expect(bucketGrants).toHaveLength(2);
    for (const grant of bucketGrants) expect(grant.bucket).toBe(ref("google_storage_bucket", "name"));
    expect(bucketGrants.map((g) => [g.member, g.role]).sort()).toEqual([
      ["allUsers", "roles/storage.objectViewer"],
      ["serviceAccount:tuf@signet-staging.iam.gserviceaccount.com", "roles/storage.objectUser"],
    ]);
    expect(resourcesOf(doc, "google_project_iam_member")).toHaveLength(0);
  });

  it("serves the bucket through Cloud CDN, honouring the publisher's Cache-Control", () => {
    expect(one("google_compute_backend_bucket")).toMatchObject({
      bucket_name: ref("google_storage_bucket", "name"),
      enable_cdn: true,
      compression_mode: "AUTOMATIC",
      cdn_policy: { cache_mode: "USE_ORIGIN_HEADERS", serve_while_stale: 86400 },
    });
  });

  it("terminates HTTPS with a managed certificate for the hostname and a modern TLS policy", () => {
    const certificate = one("google_compute_managed_ssl_certificate");
    expect(certificate.managed).toEqual({ domains: [hostname] });
    // A new hostname gets a new certificate, attached before the old one goes.
    expect(certificate.lifecycle).toEqual({ create_before_destroy: true });
    expect(certificate.name).not.toBe(certificateNameFor("tuf.signet.example.com"));
    expect(one("google_compute_ssl_policy")).toMatchObject({ profile: "MODERN", min_tls_version: "TLS_1_2" });
    expect(one("google_compute_target_https_proxy")).toMatchObject({
      ssl_certificates: [ref("google_compute_managed_ssl_certificate")],
      ssl_policy: ref("google_compute_ssl_policy"),
    });
  });

  it("routes HTTPS to the CDN and redirects HTTP to HTTPS, both on the reserved address", () => {
    const maps = resourcesOf(doc, "google_compute_url_map");
    const [servingId, serving] = maps.find(([, m]) => m.default_service !== undefined) ?? [];
    const [redirectingId, redirecting] = maps.find(([, m]) => m.default_url_redirect !== undefined) ?? [];
    expect(maps).toHaveLength(2);
    expect(serving?.default_service).toBe(ref("google_compute_backend_bucket"));
    expect(redirecting?.default_url_redirect).toEqual({
      https_redirect: true,
      redirect_response_code: "MOVED_PERMANENTLY_DEFAULT",
      strip_query: false,
    });
    expect(one("google_compute_target_https_proxy").url_map).toBe(
      `\${google_compute_url_map.${servingId}.id}`,
    );
    expect(one("google_compute_target_http_proxy").url_map).toBe(
      `\${google_compute_url_map.${redirectingId}.id}`,
    );

    const rules = resourcesOf(doc, "google_compute_global_forwarding_rule").map(([, r]) => r);
    expect(rules.map((r) => [r.port_range, r.target]).sort()).toEqual([
      ["443", ref("google_compute_target_https_proxy")],
      ["80", ref("google_compute_target_http_proxy")],
    ]);
    for (const rule of rules) {
      expect(rule.ip_address).toBe(ref("google_compute_global_address", "address"));
      expect(rule.load_balancing_scheme).toBe("EXTERNAL_MANAGED");
    }
  });

  it("exposes the HTTPS URL clients fetch metadata from", () => {
    expect(tuf?.url).toBe("https://tuf.staging.signet.example.com");
  });
});
