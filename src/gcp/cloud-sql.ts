import { SqlDatabase } from "@cdktf/provider-google/lib/sql-database/index.js";
import { SqlDatabaseInstance } from "@cdktf/provider-google/lib/sql-database-instance/index.js";
import { SqlUser } from "@cdktf/provider-google/lib/sql-user/index.js";
import { Construct } from "constructs";
import { Fn } from "../cdktf.ts";
import type { Environment, Shard } from "../config/schema.ts";
import type { PrivateNetwork } from "./network.ts";

export interface LogDatabaseProps {
  project: string;
  region: string;
  /** Instance name, e.g. `signet-staging-log-2026`. */
  name: string;
  network: PrivateNetwork;
  cloudSql: Environment["cloudSql"];
  shard: Shard;
  /** The log service's Google service account; it connects with IAM database authentication. */
  iamServiceAccountEmail: string;
}

type Weekday = Environment["cloudSql"]["maintenanceWindow"]["day"];

/** Cloud SQL numbers days 1-7 from Monday (cloud.google.com/sql/docs/postgres/admin-api/rest/v1/instances#maintenancewindow). */
const weekdayNumber: Record<Weekday, number> = { MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6, SUN: 7 };

/**
 * Server flags: IAM authentication, and an audit trail of who connected and what changed the
 * schema (cloud.google.com/sql/docs/postgres/flags). Statement text is not logged by duration;
 * Query Insights shows slow queries without copying them into Cloud Logging (CIS GCP 6.2.7).
 */
const databaseFlags: Record<string, string> = {
  "cloudsql.iam_authentication": "on",
  log_connections: "on",
  log_disconnections: "on",
  log_checkpoints: "on",
  log_lock_waits: "on",
  log_statement: "ddl",
  log_min_duration_statement: "-1",
};

/**
 * The PostgreSQL database of one log shard: private IP only, TLS only, IAM authentication for
 * the log service, backups with point-in-time recovery. A transparency log cannot be rebuilt
 * from anywhere else, so Terraform and the Cloud SQL API both refuse to delete it when
 * configured to, and its backups outlive the instance.
 */
export class LogDatabase extends Construct {
  readonly instance: SqlDatabaseInstance;
  readonly connectionName: string;
  readonly databaseName = "signet";
  readonly iamUserName: string;

  constructor(scope: Construct, id: string, props: LogDatabaseProps) {
    super(scope, id);
    const { cloudSql, network, shard } = props;

    this.instance = new SqlDatabaseInstance(this, "instance", {
      project: props.project,
      region: props.region,
      name: props.name,
      databaseVersion: cloudSql.databaseVersion,
      deletionProtection: cloudSql.deletionProtection,
      settings: {
        tier: cloudSql.tier,
        edition: cloudSql.edition,
        availabilityType: cloudSql.availability,
        diskType: "PD_SSD",
        diskSize: cloudSql.diskSizeGb,
        diskAutoresize: true,
        deletionProtectionEnabled: cloudSql.deletionProtection,
        retainBackupsOnDelete: true,
        ipConfiguration: {
          ipv4Enabled: false,
          privateNetwork: network.network.id,
          // The Cloud SQL Auth Proxy wraps its own mTLS, which satisfies this; plain TCP is refused.
          sslMode: "ENCRYPTED_ONLY",
        },
        databaseFlags: Object.entries(databaseFlags).map(([name, value]) => ({ name, value })),
        backupConfiguration: {
          enabled: true,
          pointInTimeRecoveryEnabled: true,
          transactionLogRetentionDays: cloudSql.pointInTimeRecoveryDays,
          // Automated backups are daily, so a count of them is a number of days.
          backupRetentionSettings: {
            retainedBackups: cloudSql.backupRetentionDays,
            retentionUnit: "COUNT",
          },
        },
        maintenanceWindow: {
          day: weekdayNumber[cloudSql.maintenanceWindow.day],
          hour: cloudSql.maintenanceWindow.hour,
          updateTrack: "stable",
        },
        insightsConfig: {
          queryInsightsEnabled: true,
          recordClientAddress: false,
          recordApplicationTags: false,
        },
        userLabels: { shard: shard.name, "shard-state": shard.state },
      },
      dependsOn: [network.privateServicesConnection],
    });
    this.connectionName = this.instance.connectionName;

    new SqlDatabase(this, "database", {
      project: props.project,
      instance: this.instance.name,
      name: this.databaseName,
      // PostgreSQL refuses to drop a database other roles own objects in; Terraform leaves it
      // to the instance's own deletion instead of failing the destroy.
      deletionPolicy: "ABANDON",
    });

    const user = new SqlUser(this, "log-service", {
      project: props.project,
      instance: this.instance.name,
      // Cloud SQL names an IAM service-account user by its email without `.gserviceaccount.com`
      // (cloud.google.com/sql/docs/postgres/add-manage-iam-users#creating-a-database-user).
      name: Fn.replace(props.iamServiceAccountEmail, ".gserviceaccount.com", ""),
      type: "CLOUD_IAM_SERVICE_ACCOUNT",
      // A PostgreSQL role that owns tables cannot be dropped through the API.
      deletionPolicy: "ABANDON",
    });
    this.iamUserName = user.name;
  }
}
