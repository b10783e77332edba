import { describe, expect, it } from "vitest";
import { type App, Testing } from "../../src/cdktf.ts";
import type { Environment } from "../../src/config/schema.ts";
import { platformApis } from "../../src/gcp/project-services.ts";
import { PlatformStack } from "../../stacks/platform-stack.ts";
import { production, resourcesOf, type Synthesized, staging } from "./support.ts";

function synth(env: Environment): Synthesized {
  const stack = new PlatformStack(Testing.app() as App, `${env.name}-platform`, env);
  return JSON.parse(Testing.synth(stack)) as Synthesized;
}

const stacks = { staging: synth(staging), production: synth(production) };
type Resource = Record<string, any>;
const all = (doc: Synthesized, type: string): Resource[] => resourcesOf(doc, type).map(([, r]) => r);
function first(doc: Synthesized, type: string): Resource {
  const [resource] = all(doc, type);
  if (!resource) throw new Error(`no ${type} synthesized`);
  return resource;
}

describe.each(Object.entries(stacks))("%s platform stack", (name, doc) => {
  it("keeps its state in the environment's bucket", () => {
    expect(doc.terraform?.backend).toEqual({ gcs: { bucket: `signet-tfstate-${name}`, prefix: "platform" } });
  });

  it("enables the APIs it uses, and every other resource waits for them", () => {
    const services = resourcesOf(doc, "google_project_service");
    expect(services.map(([, s]) => s.service).sort()).toEqual([...platformApis].sort());
    const waits = services.map(([id]) => `google_project_service.${id}`);
    for (const [type, byName] of Object.entries(doc.resource ?? {})) {
      if (type === "google_project_service") continue;
      for (const resource of Object.values(byName)) {
        expect(resource.depends_on).toEqual(expect.arrayContaining(waits));
      }
    }
  });

  it("admits no traffic from the whole internet except Google's health checkers", () => {
    const firewalls = all(doc, "google_compute_firewall");
    expect(firewalls.length).toBeGreaterThan(0);
    for (const rule of firewalls.filter((r) => r.direction !== "EGRESS" && r.allow)) {
      for (const range of rule.source_ranges ?? []) {
        expect(range).not.toBe("0.0.0.0/0");
      }
    }
    const healthChecks = firewalls.find((r) => r.source_ranges?.includes("35.191.0.0/16"));
    expect(healthChecks?.source_ranges).toEqual(expect.arrayContaining(["130.211.0.0/22", "35.191.0.0/16"]));
  });

  it("runs GKE with private nodes, Workload Identity and secure boot", () => {
    const cluster = first(doc, "google_container_cluster");
    expect(cluster.private_cluster_config.enable_private_nodes).toBe(true);
    expect(cluster.workload_identity_config.workload_pool).toBe(`signet-${name}.svc.id.goog`);
    expect(cluster.master_authorized_networks_config.cidr_blocks.length).toBeGreaterThan(0);
    const pool = first(doc, "google_container_node_pool");
    expect(pool.node_config.shielded_instance_config.enable_secure_boot).toBe(true);
    expect(pool.node_config.workload_metadata_config.mode).toBe("GKE_METADATA");
  });

  it("gives every bucket uniform access", () => {
    const buckets = all(doc, "google_storage_bucket");
    expect(buckets.length).toBeGreaterThan(0);
    for (const bucket of buckets) expect(bucket.uniform_bucket_level_access).toBe(true);
  });

  it("grants no primitive role to any identity", () => {
    const grants = [
      ...all(doc, "google_project_iam_member"),
      ...all(doc, "google_kms_crypto_key_iam_member"),
      ...all(doc, "google_storage_bucket_iam_member"),
      ...all(doc, "google_service_account_iam_member"),
      ...all(doc, "google_secret_manager_secret_iam_member"),
      ...all(doc, "google_artifact_registry_repository_iam_member"),
    ];
    expect(grants.length).toBeGreaterThan(10);
    for (const grant of grants)
      expect(["roles/owner", "roles/editor", "roles/viewer"]).not.toContain(grant.role);
  });

  it("protects every signing key from destruction, and lets each service use only its own", () => {
    const keys = resourcesOf(doc, "google_kms_crypto_key");
    expect(keys.map(([, k]) => k.name).sort()).toEqual(["ca", "ctlog", "log", "tsa", "tuf"]);
    for (const [, key] of keys) expect(key.lifecycle).toMatchObject({ prevent_destroy: true });
    const byKey = new Map(keys.map(([id, k]) => [`\${google_kms_crypto_key.${id}.id}`, k.name]));
    const accounts = new Map(
      resourcesOf(doc, "google_service_account").map(([id, a]) => [
        `serviceAccount:\${google_service_account.${id}.email}`,
        String(a.account_id).replace("signet-", ""),
      ]),
    );
    const signers = all(doc, "google_kms_crypto_key_iam_member").map(
      (g) => `${byKey.get(g.crypto_key_id)} ${accounts.get(g.member)}`,
    );
    expect(signers.sort()).toEqual(["ca ca", "ctlog log", "log log", "tsa log", "tuf tuf"]);
  });

  it("creates one private, TLS-only, IAM-authenticated database per log shard", () => {
    const instances = all(doc, "google_sql_database_instance");
    expect(instances).toHaveLength((name === "staging" ? staging : production).cloudSql.shards.length);
    for (const instance of instances) {
      expect(instance.settings.ip_configuration.ipv4_enabled).toBe(false);
      expect(instance.settings.ip_configuration.ssl_mode).toBe("ENCRYPTED_ONLY");
      expect(instance.settings.database_flags).toContainEqual({
        name: "cloudsql.iam_authentication",
        value: "on",
      });
      expect(instance.settings.backup_configuration.point_in_time_recovery_enabled).toBe(true);
    }
    const user = first(doc, "google_sql_user");
    expect(user.type).toBe("CLOUD_IAM_SERVICE_ACCOUNT");
  });

  it("binds one Google identity per workload to its Kubernetes service account", () => {
    const bindings = all(doc, "google_service_account_iam_member").filter(
      (b) => b.role === "roles/iam.workloadIdentityUser",
    );
    expect(bindings.map((b) => b.member).sort()).toEqual(
      [
        "external-secrets/external-secrets",
        "signet-ca/ca",
        "signet-log/log",
        "signet-prober/prober",
        "signet-tuf/tuf",
      ].map((ksa) => `serviceAccount:signet-${name}.svc.id.goog[${ksa}]`),
    );
  });

  it("serves the TUF repository from a public, versioned bucket through Cloud CDN over HTTPS", () => {
    const bucket = first(doc, "google_storage_bucket");
    expect(bucket.versioning.enabled).toBe(true);
    expect(all(doc, "google_storage_bucket_iam_member")).toContainEqual(
      expect.objectContaining({ member: "allUsers", role: "roles/storage.objectViewer" }),
    );
    expect(all(doc, "google_compute_backend_bucket")[0]?.enable_cdn).toBe(true);
    expect(all(doc, "google_compute_managed_ssl_certificate")[0]?.managed.domains).toEqual([
      `tuf.${name === "staging" ? "staging." : ""}signet.example.com`,
    ]);
  });

  it("publishes DNSSEC-signed records for every public endpoint", () => {
    const zone = first(doc, "google_dns_managed_zone");
    expect(zone.dnssec_config.state).toBe("on");
    const records = all(doc, "google_dns_record_set").filter((r) => r.type === "A");
    expect(records.map((r) => r.name.split(".")[0]).sort()).toEqual(["ca", "ctlog", "rekor", "tsa", "tuf"]);
  });

  it("keeps secret values out of Terraform", () => {
    expect(all(doc, "google_secret_manager_secret").length).toBeGreaterThan(0);
    expect(resourcesOf(doc, "google_secret_manager_secret_version")).toHaveLength(0);
  });

  it("checks every public endpoint and alerts on SLO burn", () => {
    const checks = all(doc, "google_monitoring_uptime_check_config");
    expect(checks.map((c) => c.monitored_resource.labels.host.split(".")[0]).sort()).toEqual([
      "ca",
      "ctlog",
      "rekor",
      "tsa",
      "tuf",
    ]);
    expect(all(doc, "google_monitoring_slo")[0]?.goal).toBe(0.995);
  });

  it("outputs what the cluster stack needs", () => {
    expect(Object.keys(doc.output ?? {})).toEqual(
      expect.arrayContaining([
        "cluster_endpoint",
        "cluster_ca_certificate",
        "ca_service_account",
        "log_service_account",
        "prober_service_account",
        "externalSecrets_service_account",
        "log_kms_key",
        "tuf_bucket",
        "log_shards",
        "rekor_address",
      ]),
    );
    expect(doc.output?.cluster_ca_certificate?.sensitive).toBe(true);
  });
});

describe("production against staging", () => {
  it("is highly available and protected where staging is not", () => {
    const prod = first(stacks.production, "google_sql_database_instance");
    const stag = first(stacks.staging, "google_sql_database_instance");
    expect(prod.settings.availability_type).toBe("REGIONAL");
    expect(prod.deletion_protection).toBe(true);
    expect(stag.settings.availability_type).toBe("ZONAL");
    expect(all(stacks.production, "google_kms_crypto_key")[0]?.version_template.protection_level).toBe("HSM");
    expect(all(stacks.production, "google_container_cluster")[0]?.deletion_protection).toBe(true);
  });

  it("has the same resources, differing only in configured values", () => {
    const addresses = (doc: Synthesized) =>
      Object.entries(doc.resource ?? {}).flatMap(([type, byName]) =>
        Object.keys(byName).map((n) => `${type}.${n}`),
      );
    expect(addresses(stacks.production).sort()).toEqual(addresses(stacks.staging).sort());
  });

  it("synthesizes deterministically", () => {
    expect(synth(staging)).toEqual(stacks.staging);
  });
});

describe("synthesized stacks", () => {
  it.each(Object.entries(stacks))("%s matches its snapshot", (_, doc) => {
    expect(doc).toMatchSnapshot();
  });
});
