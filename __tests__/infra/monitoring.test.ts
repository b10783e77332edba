import { describe, expect, it } from "vitest";
import { ServiceMonitoring, type ServiceMonitoringProps } from "../../src/gcp/monitoring.ts";
import { resourcesOf, type Synthesized, staging, synthConstruct } from "./support.ts";

type Resource = Record<string, any>;
const all = (doc: Synthesized, type: string): Resource[] => resourcesOf(doc, type).map(([, r]) => r);

const pagerDuty = "projects/signet-staging/notificationChannels/4242";
const props: ServiceMonitoringProps = {
  project: staging.project.id,
  environment: staging.name,
  notificationChannels: [...staging.alerts.notificationChannels, { existing: pagerDuty }],
  availabilityGoal: staging.alerts.availabilityGoal,
  endpoints: [
    { name: "ca", host: `ca.${staging.dns.domain}`, path: "/api/v1/rootCert" },
    { name: "rekor", host: `rekor.${staging.dns.domain}`, path: "/api/v1/log", contains: "treeSize" },
    { name: "tuf", host: `tuf.${staging.dns.domain}`, path: "/timestamp.json" },
  ],
  sqlInstanceIds: staging.cloudSql.shards.map((s) => `${staging.project.id}:signet-staging-${s.name}`),
};

let monitoring: ServiceMonitoring | undefined;
const doc = synthConstruct((scope) => {
  monitoring = new ServiceMonitoring(scope, "monitoring", props);
});
const policies = all(doc, "google_monitoring_alert_policy");
const thresholds = (policy: Resource) => policy.conditions.map((c: Resource) => c.condition_threshold);
const filtered = (needle: string) =>
  policies.filter((p) => p.conditions.some((c: Resource) => c.condition_threshold?.filter?.includes(needle)));

describe("ServiceMonitoring", () => {
  it("checks every endpoint over HTTPS with certificate validation", () => {
    const checks = all(doc, "google_monitoring_uptime_check_config");
    expect(checks.map((c) => c.monitored_resource.labels.host)).toEqual(props.endpoints.map((e) => e.host));
    for (const check of checks) {
      expect(check.monitored_resource.type).toBe("uptime_url");
      expect(check.http_check).toMatchObject({
        port: 443,
        use_ssl: true,
        validate_ssl: true,
        request_method: "GET",
      });
      expect(check.period).toBe("60s");
      expect(check.timeout).toBe("10s");
    }
    expect(checks[1]?.content_matchers).toEqual([{ content: "treeSize", matcher: "CONTAINS_STRING" }]);
    expect(checks[0]?.content_matchers).toBeUndefined();
    expect(Object.keys(monitoring?.uptimeChecks ?? {})).toEqual(["ca", "rekor", "tuf"]);
  });

  it("creates email channels, references existing ones, and every policy notifies all of them", () => {
    const channels = resourcesOf(doc, "google_monitoring_notification_channel");
    expect(channels).toHaveLength(1);
    const [name, channel] = channels[0] as [string, Resource];
    expect(channel.type).toBe("email");
    expect(channel.labels.email_address).toBe("signet-staging-alerts@example.com");
    const expected = [`\${google_monitoring_notification_channel.${name}.name}`, pagerDuty];
    expect(monitoring?.channels).toHaveLength(2);
    expect(policies.length).toBeGreaterThan(0);
    for (const policy of policies) expect(policy.notification_channels).toEqual(expected);
  });

  it("labels every policy with its environment and urgency, and says where to look", () => {
    for (const policy of policies) {
      expect(policy.user_labels.environment).toBe("staging");
      expect(["page", "ticket"]).toContain(policy.user_labels.severity);
      expect(policy.documentation.content.length).toBeGreaterThan(40);
    }
  });

  it("pages when more than one region fails an uptime check for 10 minutes", () => {
    const uptime = filtered("uptime_check/check_passed");
    expect(uptime).toHaveLength(props.endpoints.length);
    for (const policy of uptime) {
      const [condition] = thresholds(policy);
      expect(condition).toMatchObject({ comparison: "COMPARISON_GT", threshold_value: 1, duration: "600s" });
      expect(condition.aggregations[0]).toMatchObject({
        per_series_aligner: "ALIGN_NEXT_OLDER",
        cross_series_reducer: "REDUCE_COUNT_FALSE",
      });
      expect(condition.filter).toMatch(
        /metric\.label\.check_id="\$\{google_monitoring_uptime_check_config\./,
      );
      expect(policy.alert_strategy.auto_close).toBe("604800s");
      expect(policy.severity).toBe("CRITICAL");
    }
  });

  it("holds prober requests to the availability goal over 30 days", () => {
    const [service] = all(doc, "google_monitoring_custom_service");
    expect(service?.service_id).toBe("signet-staging");
    const [slo] = all(doc, "google_monitoring_slo");
    expect(slo?.goal).toBe(0.995);
    expect(slo?.rolling_period_days).toBe(30);
    const ratio = slo?.request_based_sli.good_total_ratio;
    expect(ratio.total_service_filter).toContain(
      "prometheus.googleapis.com/api_endpoint_latency_count/summary",
    );
    expect(ratio.good_service_filter).toBe(
      `${ratio.total_service_filter} AND metric.labels.status_code=one_of("200", "201")`,
    );
  });

  it("alerts on error-budget burn at 14.4x over 1h and 6x over 6h (paging), 1.5x over 24h (ticket)", () => {
    const burn = filtered("select_slo_burn_rate");
    const windows = burn.map((p) => ({
      urgency: p.user_labels.severity,
      combiner: p.combiner,
      conditions: thresholds(p).map((c: Resource) => [c.filter.match(/"(\d+)s"\)$/)?.[1], c.threshold_value]),
    }));
    expect(windows).toHaveLength(3);
    expect(windows).toEqual(
      expect.arrayContaining([
        {
          urgency: "page",
          combiner: "AND",
          conditions: [
            ["3600", 14.4],
            ["300", 14.4],
          ],
        },
        {
          urgency: "page",
          combiner: "AND",
          conditions: [
            ["21600", 6],
            ["1800", 6],
          ],
        },
        {
          urgency: "ticket",
          combiner: "AND",
          conditions: [
            ["86400", 1.5],
            ["7200", 1.5],
          ],
        },
      ]),
    );
    for (const policy of burn) {
      for (const c of thresholds(policy)) expect(c.filter).toContain("${google_monitoring_slo.");
    }
  });

  it("watches CPU, memory and disk of every Cloud SQL instance", () => {
    for (const databaseId of props.sqlInstanceIds) {
      const limits = filtered(`database_id="${databaseId}"`).map((p) => {
        const [c] = thresholds(p);
        return [c.filter.match(/database\/(\w+)\/utilization/)?.[1], c.threshold_value, c.duration];
      });
      expect(limits).toHaveLength(3);
      expect(limits).toEqual(
        expect.arrayContaining([
          ["cpu", 0.9, "600s"],
          ["memory", 0.95, "600s"],
          ["disk", 0.9, "300s"],
        ]),
      );
    }
  });

  it("warns before certificates expire and before KMS runs out of quota", () => {
    const [expiry] = filtered("uptime_check/time_until_ssl_cert_expires");
    expect(thresholds(expiry as Resource)[0]).toMatchObject({
      comparison: "COMPARISON_LT",
      threshold_value: 28,
    });
    const kms = policies.filter((p) =>
      p.conditions.some((c: Resource) => c.condition_prometheus_query_language?.query.includes("cloudkms")),
    );
    expect(kms).toHaveLength(1);
    const query: string = kms[0]?.conditions[0].condition_prometheus_query_language.query;
    expect(query).toContain("quota_rate_net_usage");
    expect(query).toContain("quota_limit");
    expect(query).toMatch(/> 0\.8$/);
  });
});
