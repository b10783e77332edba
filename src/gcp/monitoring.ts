import {
  MonitoringAlertPolicy,
  type MonitoringAlertPolicyConditions,
} from "@cdktf/provider-google/lib/monitoring-alert-policy/index.js";
import { MonitoringCustomService } from "@cdktf/provider-google/lib/monitoring-custom-service/index.js";
import { MonitoringNotificationChannel } from "@cdktf/provider-google/lib/monitoring-notification-channel/index.js";
import { MonitoringSlo } from "@cdktf/provider-google/lib/monitoring-slo/index.js";
import { MonitoringUptimeCheckConfig } from "@cdktf/provider-google/lib/monitoring-uptime-check-config/index.js";
import { Construct } from "constructs";
import type { Environment } from "../config/schema.ts";

export interface MonitoredEndpoint {
  name: string;
  host: string;
  path: string;
  /** A string the response body must contain for the check to pass. */
  contains?: string;
}

export interface ServiceMonitoringProps {
  project: string;
  environment: string;
  notificationChannels: Environment["alerts"]["notificationChannels"];
  /** The fraction of prober requests that must succeed over 30 days, e.g. 0.995. */
  availabilityGoal: number;
  endpoints: MonitoredEndpoint[];
  /** Cloud SQL `database_id`s, `<project>:<instance>`, one per log shard. */
  sqlInstanceIds: string[];
}

/** Who hears about it: a page wakes the on-call; a ticket waits for working hours. */
type Urgency = "page" | "ticket";

interface PolicySpec {
  displayName: string;
  urgency: Urgency;
  /** What to look at first, shown in the notification and on the incident page. */
  runbook: string;
  conditions: MonitoringAlertPolicyConditions[];
  combiner?: "OR" | "AND";
}

const severities: Record<Urgency, string> = { page: "CRITICAL", ticket: "WARNING" };

// Multiwindow, multi-burn-rate alerts (SRE workbook, "Alerting on SLOs"): each long window is
// paired with a short one, 1/12 of it, so an alert also resets soon after the burn stops. The
// ticket-level 24h/1.5x pair is the public good instance's, in place of the workbook's 3-day one.
const burnRateAlerts = [
  { id: "fast", long: 3600, short: 300, rate: 14.4, urgency: "page", budget: "2% of the budget in 1 hour" },
  { id: "slow", long: 21600, short: 1800, rate: 6, urgency: "page", budget: "5% of the budget in 6 hours" },
  {
    id: "ticket",
    long: 86400,
    short: 7200,
    rate: 1.5,
    urgency: "ticket",
    budget: "5% of the budget in 1 day",
  },
] as const;

// The prober's request counter as Managed Prometheus stores it: one sample per signing or
// reading call, labelled with the status code it got (the public good instance's SLI too).
const proberRequests = 'metric.type="prometheus.googleapis.com/api_endpoint_latency_count/summary"';

/**
 * Uptime checks, the availability SLO with burn-rate alerts, and alerts on what the services
 * depend on (Cloud SQL, KMS quota, certificates), all sent to every configured channel.
 */
export class ServiceMonitoring extends Construct {
  /** Resource names of every channel the alerts go to. */
  readonly channels: string[];
  /** One HTTPS check per public endpoint, keyed by endpoint name. */
  readonly uptimeChecks: Record<string, MonitoringUptimeCheckConfig>;
  readonly slo: MonitoringSlo;
  private readonly props: ServiceMonitoringProps;

  constructor(scope: Construct, id: string, props: ServiceMonitoringProps) {
    super(scope, id);
    this.props = props;
    this.channels = props.notificationChannels.map(
      (channel, i) =>
        channel.existing ??
        new MonitoringNotificationChannel(this, `email-${i}`, {
          project: props.project,
          type: "email",
          displayName: `Signet ${props.environment} alerts (${channel.email})`,
          labels: { email_address: channel.email ?? "" },
          userLabels: { environment: props.environment },
        }).name,
    );

    this.uptimeChecks = Object.fromEntries(
      props.endpoints.map((endpoint) => [endpoint.name, this.uptimeCheck(endpoint)]),
    );
    for (const endpoint of props.endpoints) this.uptimeAlert(endpoint);
    this.certificateExpiryAlert();
    props.sqlInstanceIds.forEach((databaseId, i) => {
      this.cloudSqlAlerts(`sql-${i}`, databaseId);
    });
    this.kmsQuotaAlert();

    this.slo = this.availabilitySlo();
    for (const alert of burnRateAlerts) {
      this.policy(`burn-${alert.id}`, {
        displayName: `Signet ${props.environment}: error budget burning ${alert.rate}x (${alert.long / 3600}h)`,
        urgency: alert.urgency,
        combiner: "AND",
        runbook: [
          `Prober requests are failing fast enough to spend ${alert.budget}.`,
          "Open the SLO in Monitoring > SLOs, find which endpoint and status codes fail in the prober's",
          "`api_endpoint_latency_count` series, then check that service's pods, its Cloud SQL shard and KMS.",
        ].join("\n"),
        conditions: [alert.long, alert.short].map((seconds) => ({
          displayName: `burn rate over ${seconds / 60} min above ${alert.rate}`,
          conditionThreshold: {
            filter: `select_slo_burn_rate("${this.slo.name}", "${seconds}s")`,
            comparison: "COMPARISON_GT",
            thresholdValue: alert.rate,
            duration: "0s",
          },
        })),
      });
    }
  }

  private uptimeCheck(endpoint: MonitoredEndpoint): MonitoringUptimeCheckConfig {
    return new MonitoringUptimeCheckConfig(this, `uptime-${endpoint.name}`, {
      project: this.props.project,
      displayName: `Signet ${this.props.environment} ${endpoint.name} (${endpoint.host}${endpoint.path})`,
      period: "60s",
      timeout: "10s",
      monitoredResource: {
        type: "uptime_url",
        labels: { project_id: this.props.project, host: endpoint.host },
      },
      httpCheck: {
        requestMethod: "GET",
        path: endpoint.path,
        port: 443,
        useSsl: true,
        validateSsl: true,
        acceptedResponseStatusCodes: [{ statusClass: "STATUS_CLASS_2XX" }],
      },
      contentMatchers: endpoint.contains
        ? [{ content: endpoint.contains, matcher: "CONTAINS_STRING" }]
        : undefined,
      userLabels: { environment: this.props.environment, endpoint: endpoint.name },
    });
  }

  private uptimeAlert(endpoint: MonitoredEndpoint): void {
    const check = this.uptimeChecks[endpoint.name] as MonitoringUptimeCheckConfig;
    this.policy(`down-${endpoint.name}`, {
      displayName: `Signet ${this.props.environment}: ${endpoint.host} is down`,
      urgency: "page",
      runbook: [
        `More than one checker region cannot GET https://${endpoint.host}${endpoint.path}.`,
        "Look at the uptime check's latest results (TLS, DNS, status code), the load balancer's",
        `backend health, and the ${endpoint.name} pods and their recent rollouts in Argo CD.`,
      ].join("\n"),
      conditions: [
        {
          displayName: `${endpoint.name} uptime check failing`,
          conditionThreshold: {
            filter: [
              'metric.type="monitoring.googleapis.com/uptime_check/check_passed"',
              'resource.type="uptime_url"',
              `metric.label.check_id="${check.uptimeCheckId}"`,
            ].join(" AND "),
            // One region failing is usually the checker's network, not ours.
            aggregations: [
              {
                alignmentPeriod: "300s",
                perSeriesAligner: "ALIGN_NEXT_OLDER",
                crossSeriesReducer: "REDUCE_COUNT_FALSE",
                groupByFields: ["metric.label.check_id"],
              },
            ],
            comparison: "COMPARISON_GT",
            thresholdValue: 1,
            duration: "600s",
          },
        },
      ],
    });
  }

  private certificateExpiryAlert(): void {
    this.policy("certificate-expiry", {
      displayName: `Signet ${this.props.environment}: TLS certificate expires in under 28 days`,
      urgency: "ticket",
      runbook: [
        "Google-managed certificates renew about 30 days before they expire, so this one's renewal is stuck.",
        "Check the certificate's status in Certificate Manager / load balancing, that the name still",
        "resolves to the load balancer's address, and that the CAA record still allows pki.goog.",
      ].join("\n"),
      conditions: [
        {
          displayName: "days until the served certificate expires",
          conditionThreshold: {
            filter: [
              'metric.type="monitoring.googleapis.com/uptime_check/time_until_ssl_cert_expires"',
              'resource.type="uptime_url"',
            ].join(" AND "),
            aggregations: [
              {
                alignmentPeriod: "600s",
                perSeriesAligner: "ALIGN_NEXT_OLDER",
                crossSeriesReducer: "REDUCE_MIN",
                groupByFields: ["resource.label.host"],
              },
            ],
            comparison: "COMPARISON_LT",
            thresholdValue: 28,
            duration: "600s",
          },
        },
      ],
    });
  }

  private cloudSqlAlerts(id: string, databaseId: string): void {
    const resource = (metric: string) =>
      [
        `metric.type="cloudsql.googleapis.com/database/${metric}"`,
        'resource.type="cloudsql_database"',
        `resource.label.database_id="${databaseId}"`,
      ].join(" AND ");
    const utilization = (metric: string, threshold: number, duration: string) => ({
      displayName: `${metric} above ${threshold * 100}%`,
      conditionThreshold: {
        filter: resource(`${metric}/utilization`),
        aggregations: [{ alignmentPeriod: "60s", perSeriesAligner: "ALIGN_MEAN" }],
        comparison: "COMPARISON_GT",
        thresholdValue: threshold,
        duration,
      },
    });
    const runbook = (first: string) =>
      [
        first,
        `Open the instance ${databaseId} in Cloud SQL > Query insights for the statements behind it, and`,
        "the log service's append batch size and rate; a full shard is frozen and a new one started.",
      ].join("\n");
    this.policy(`${id}-cpu`, {
      displayName: `Signet ${this.props.environment}: Cloud SQL ${databaseId} CPU above 90%`,
      urgency: "ticket",
      runbook: runbook("Sustained CPU saturation slows every append; consider a larger tier."),
      conditions: [utilization("cpu", 0.9, "600s")],
    });
    this.policy(`${id}-memory`, {
      displayName: `Signet ${this.props.environment}: Cloud SQL ${databaseId} memory above 95%`,
      urgency: "ticket",
      runbook: runbook("PostgreSQL is close to being killed for memory, which restarts the instance."),
      conditions: [utilization("memory", 0.95, "600s")],
    });
    this.policy(`${id}-disk`, {
      displayName: `Signet ${this.props.environment}: Cloud SQL ${databaseId} disk above 90%`,
      urgency: "ticket",
      runbook: runbook("A full disk stops writes: the log can no longer append. Grow the disk first."),
      conditions: [utilization("disk", 0.9, "300s")],
    });
  }

  private kmsQuotaAlert(): void {
    // Rate quotas are per minute: compare a minute of usage with the per-minute limit.
    const selector = `monitored_resource="consumer_quota", project_id="${this.props.project}", service="cloudkms.googleapis.com"`;
    const query = [
      `sum by (quota_metric, location) (increase(serviceruntime_googleapis_com:quota_rate_net_usage{${selector}}[1m]))`,
      "/ on (quota_metric, location)",
      `min by (quota_metric, location) (serviceruntime_googleapis_com:quota_limit{${selector}, limit_name=~"(?i).*per.?minute.*"})`,
      "> 0.8",
    ].join("\n");
    this.policy("kms-quota", {
      displayName: `Signet ${this.props.environment}: Cloud KMS requests above 80% of quota`,
      urgency: "ticket",
      runbook: [
        "Every certificate, log entry and timestamp is a KMS signature; at the quota, signing fails.",
        "Check IAM & Admin > Quotas for cloudkms.googleapis.com and request an increase, and look for a",
        "client retrying in a loop in the CA and log request rates.",
      ].join("\n"),
      conditions: [
        {
          displayName: "KMS request rate over the per-minute quota",
          conditionPrometheusQueryLanguage: { query, duration: "300s", evaluationInterval: "60s" },
        },
      ],
    });
  }

  private availabilitySlo(): MonitoringSlo {
    const service = new MonitoringCustomService(this, "service", {
      project: this.props.project,
      serviceId: `signet-${this.props.environment}`,
      displayName: `Signet ${this.props.environment}`,
      userLabels: { environment: this.props.environment },
    });
    const total = `${proberRequests} AND resource.type="prometheus_target" AND resource.labels.project_id="${this.props.project}"`;
    return new MonitoringSlo(this, "availability", {
      project: this.props.project,
      service: service.serviceId,
      sloId: "availability",
      displayName: `${this.props.availabilityGoal * 100}% of prober requests succeed over 30 days`,
      goal: this.props.availabilityGoal,
      rollingPeriodDays: 30,
      requestBasedSli: {
        goodTotalRatio: {
          totalServiceFilter: total,
          goodServiceFilter: `${total} AND metric.labels.status_code=one_of("200", "201")`,
        },
      },
      userLabels: { environment: this.props.environment },
    });
  }

  private policy(id: string, spec: PolicySpec): MonitoringAlertPolicy {
    return new MonitoringAlertPolicy(this, id, {
      project: this.props.project,
      displayName: spec.displayName,
      combiner: spec.combiner ?? "OR",
      severity: severities[spec.urgency],
      notificationChannels: this.channels,
      alertStrategy: { autoClose: `${7 * 24 * 3600}s` },
      documentation: { content: spec.runbook, mimeType: "text/markdown" },
      conditions: spec.conditions,
      userLabels: { environment: this.props.environment, severity: spec.urgency },
    });
  }
}
