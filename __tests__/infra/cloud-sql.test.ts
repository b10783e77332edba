import { ServiceAccount } from "@cdktf/provider-google/lib/service-account/index.js";
import { describe, expect, it } from "vitest";
import { TerraformOutput } from "../../src/cdktf.ts";
import type { Environment } from "../../src/config/schema.ts";
import { LogDatabase } from "../../src/gcp/cloud-sql.ts";
import { PrivateNetwork } from "../../src/gcp/network.ts";
import { onlyResource, production, resourcesOf, staging, synthConstruct } from "./support.ts";

/** Builds the shard's database; the log's email is a literal or, as in the stack, a reference. */
function build(env: Environment, email: "literal" | "reference" = "literal") {
  return synthConstruct((scope) => {
    const network = new PrivateNetwork(scope, "network", {
      project: env.project.id,
      region: env.region,
      name: `signet-${env.name}`,
      network: env.network,
    });
    const shard = env.cloudSql.shards[0];
    if (!shard) throw new Error("the example environments have a shard");
    const iamServiceAccountEmail =
      email === "literal"
        ? `signet-log@${env.project.id}.iam.gserviceaccount.com`
        : new ServiceAccount(scope, "log", { project: env.project.id, accountId: "signet-log" }).email;
    const database = new LogDatabase(scope, "sql", {
      project: env.project.id,
      region: env.region,
      name: `signet-${env.name}-${shard.name}`,
      network,
      cloudSql: env.cloudSql,
      shard,
      iamServiceAccountEmail,
    });
    new TerraformOutput(scope, "connection_name", { value: database.connectionName });
  });
}

/** The arguments of a synthesized `google_sql_database_instance` these tests read directly. */
interface Instance {
  depends_on: string[];
  settings: {
    database_flags: Array<{ name: string; value: string }>;
    ip_configuration: Record<string, unknown>;
    [argument: string]: unknown;
  };
}

describe.each([staging, production])("log database ($name)", (env) => {
  const doc = build(env);
  const instance = onlyResource(doc, "google_sql_database_instance") as unknown as Instance;
  const [[instanceName]] = resourcesOf(doc, "google_sql_database_instance") as [[string, unknown]];
  const flags = Object.fromEntries(instance.settings.database_flags.map((flag) => [flag.name, flag.value]));

  it("has no public IP and sits on the VPC's private services range", () => {
    const [[networkName]] = resourcesOf(doc, "google_compute_network") as [[string, unknown]];
    const [[connectionName]] = resourcesOf(doc, "google_service_networking_connection") as [
      [string, unknown],
    ];
    expect(instance.settings.ip_configuration).toMatchObject({
      ipv4_enabled: false,
      private_network: `\${google_compute_network.${networkName}.id}`,
    });
    expect(instance.settings.ip_configuration.authorized_networks).toBeUndefined();
    expect(instance.depends_on).toContain(`google_service_networking_connection.${connectionName}`);
  });

  it("refuses connections without TLS", () => {
    expect(instance.settings.ip_configuration.ssl_mode).toBe("ENCRYPTED_ONLY");
  });

  it("authenticates with IAM and logs connections and schema changes", () => {
    expect(flags).toMatchObject({
      "cloudsql.iam_authentication": "on",
      log_connections: "on",
      log_disconnections: "on",
      log_checkpoints: "on",
      log_statement: "ddl",
    });
  });

  it("runs the configured PostgreSQL on SSD that grows on its own", () => {
    expect(instance).toMatchObject({
      database_version: env.cloudSql.databaseVersion,
      region: env.region,
      settings: {
        tier: env.cloudSql.tier,
        edition: env.cloudSql.edition,
        disk_type: "PD_SSD",
        disk_size: env.cloudSql.diskSizeGb,
        disk_autoresize: true,
      },
    });
  });

  it("backs up daily with point-in-time recovery, and keeps backups past the instance", () => {
    expect(instance.settings.backup_configuration).toEqual({
      enabled: true,
      point_in_time_recovery_enabled: true,
      transaction_log_retention_days: env.cloudSql.pointInTimeRecoveryDays,
      backup_retention_settings: {
        retained_backups: env.cloudSql.backupRetentionDays,
        retention_unit: "COUNT",
      },
    });
    expect(instance.settings.retain_backups_on_delete).toBe(true);
  });

  it("takes maintenance in the configured weekly window on the stable track", () => {
    const days = { MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6, SUN: 7 };
    expect(instance.settings.maintenance_window).toEqual({
      day: days[env.cloudSql.maintenanceWindow.day],
      hour: env.cloudSql.maintenanceWindow.hour,
      update_track: "stable",
    });
  });

  it("records query insights without client addresses", () => {
    expect(instance.settings.insights_config).toMatchObject({
      query_insights_enabled: true,
      record_client_address: false,
    });
  });

  it("labels the instance with its shard", () => {
    const shard = env.cloudSql.shards[0];
    expect(instance.settings.user_labels).toEqual({ shard: shard?.name, "shard-state": shard?.state });
  });

  it("holds the signet database and exposes its connection name", () => {
    expect(onlyResource(doc, "google_sql_database")).toMatchObject({
      name: "signet",
      instance: `\${google_sql_database_instance.${instanceName}.name}`,
    });
    expect(doc.output?.connection_name?.value).toBe(
      `\${google_sql_database_instance.${instanceName}.connection_name}`,
    );
  });

  it("lets the log's service account in as an IAM user named without .gserviceaccount.com", () => {
    expect(onlyResource(doc, "google_sql_user")).toMatchObject({
      type: "CLOUD_IAM_SERVICE_ACCOUNT",
      name: `\${replace("signet-log@${env.project.id}.iam.gserviceaccount.com", ".gserviceaccount.com", "")}`,
    });
    const referenced = build(env, "reference");
    const user = onlyResource(referenced, "google_sql_user");
    const [[accountName]] = resourcesOf(referenced, "google_service_account") as [[string, unknown]];
    expect(user.name).toBe(
      `\${replace(google_service_account.${accountName}.email, ".gserviceaccount.com", "")}`,
    );
    expect(user.password).toBeUndefined();
  });
});

describe("availability and deletion protection follow the configuration", () => {
  const settingsOf = (env: Environment) => onlyResource(build(env), "google_sql_database_instance");

  it("makes production regional and undeletable by Terraform and by the API", () => {
    expect(production.cloudSql).toMatchObject({ availability: "REGIONAL", deletionProtection: true });
    expect(settingsOf(production)).toMatchObject({
      deletion_protection: true,
      settings: { availability_type: "REGIONAL", deletion_protection_enabled: true },
    });
  });

  it("keeps staging zonal and disposable", () => {
    expect(settingsOf(staging)).toMatchObject({
      deletion_protection: false,
      settings: { availability_type: "ZONAL", deletion_protection_enabled: false },
    });
  });
});
