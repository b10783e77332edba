import type { KubernetesObject } from "../kubernetes.ts";
import { type SignetService, signetServices } from "../services.ts";
import type { Rule, Rules } from "./gmp.ts";

export interface AlertValues {
  /** `alerts.availabilityGoal`, e.g. 0.995: the share of API requests that must not fail. */
  availabilityGoal: number;
  /** Trees whose checkpoints must stay fresh: the active log shard's and the CT log's. */
  liveTreeIds: string[];
  /** Where docs/runbooks/alerts.md is read on the web; each alert links its own section. */
  runbookUrl: string;
}

/**
 * How soon a person must act: `page` wakes someone now, `ticket` waits for working hours.
 * charts/platform/alertmanager.ts routes each one; a rule cannot carry any other.
 */
export const severities = ["page", "ticket"] as const;
export type Severity = (typeof severities)[number];

/** An alerting rule as this chart writes it: a name, a severity and the service it is about. */
type AlertRule = Rule & { alert: string; labels: { severity: Severity; service: SignetService } };

// Probes and scrapes are not client traffic; `http_request_duration_seconds` (services/common/server.ts)
// labels them by route like any other request.
const clientRoutes = 'route!~"/healthz|/readyz|/metrics"';

function errorRatio(window: string): string {
  const requests = (matchers: string) =>
    `sum(rate(http_request_duration_seconds_count{${matchers}}[${window}]))`;
  return `(${requests(`status_code=~"5..",${clientRoutes}`)} / ${requests(clientRoutes)})`;
}

/**
 * Multiwindow burn-rate alerts on the availability SLO (Google SRE Workbook, "Alerting on SLOs"):
 * 14.4× over 1h spends 2% of a 30-day budget, 6× over 6h spends 5%; the short window (1/12 of
 * the long one) makes the alert stop soon after the burning does.
 */
export function burnRateRules(service: SignetService, availabilityGoal: number): AlertRule[] {
  // Rounded so 1 - 0.995 reads 0.005, not 0.0050000000000000044.
  const budget = Number((1 - availabilityGoal).toPrecision(6));
  const alert = (factor: number, long: string, short: string, wait: string): AlertRule => ({
    alert: `SignetErrorBudgetBurn${long}`,
    expr: `${errorRatio(long)} > (${factor} * ${budget}) and ${errorRatio(short)} > (${factor} * ${budget})`,
    for: wait,
    labels: { severity: "page", service },
    annotations: {
      summary: `${service}: error budget burning ${factor}x (${long})`,
      description: `More than ${factor}x the ${budget} error budget of the ${availabilityGoal} availability goal: 5xx answers over the last ${long} and ${short}.`,
    },
  });
  return [alert(14.4, "1h", "5m", "2m"), alert(6, "6h", "30m", "15m")];
}

function caRules(): AlertRule[] {
  // A spike against the previous day's rate: a broken issuer, a client release sending bad
  // proofs, or someone probing the CA. `or vector(0)` gives a new CA a baseline of zero.
  const now = "sum(rate(signet_ca_refusals_total[10m]))";
  const baseline = "(sum(rate(signet_ca_refusals_total[1d] offset 10m)) or vector(0))";
  return [
    {
      alert: "SignetCaRefusalsSpike",
      expr: `${now} > 5 * ${baseline} + 0.05`,
      for: "10m",
      labels: { severity: "ticket", service: "ca" },
      annotations: {
        summary: "ca: certificate requests refused at 5x the usual rate",
        description:
          "signet_ca_refusals_total by reason says which check fails (UNKNOWN_ISSUER, TOKEN_EXPIRED, ...).",
      },
    },
  ];
}

function logRules(liveTreeIds: string[]): AlertRule[] {
  // Frozen shards never sign again; only the live trees' checkpoints must move. The prober
  // appends every round, so a quiet log still signs.
  const trees = liveTreeIds.join("|");
  return [
    {
      alert: "SignetCheckpointStale",
      expr: `max by (log, tree) (signet_log_checkpoint_age_seconds{tree=~"${trees}"}) > 900`,
      for: "5m",
      labels: { severity: "page", service: "log" },
      annotations: {
        summary: "log: no signed checkpoint for 15 minutes",
        description:
          "Appends are not being committed: the database, the KMS signer or the sequencer is stuck.",
      },
    },
  ];
}

function proberRules(): AlertRule[] {
  return [
    {
      alert: "SignetProberWriteFailures",
      // Writes are the probe's POSTs: signing certificates, log entries and timestamps.
      expr: 'sum by (host, endpoint) (increase(api_endpoint_latency_histogram_count{method="POST",status_code!~"2.."}[15m])) > 2',
      for: "5m",
      labels: { severity: "page", service: "prober" },
      annotations: {
        summary: "prober: writes to {{ $labels.host }}{{ $labels.endpoint }} failing",
        description:
          "The sign-and-verify probe's requests answer non-2xx; clients signing now fail the same way.",
      },
    },
    {
      alert: "SignetProberNoPassingRound",
      // Also catches writes that never got an answer (refused connections are not observed), and
      // a prober that is not running at all: then the series is absent, and `absent` answers 1.
      expr: "(time() - max(probe_last_success_timestamp_seconds) > 900) or absent(probe_last_success_timestamp_seconds)",
      for: "5m",
      labels: { severity: "page", service: "prober" },
      annotations: {
        summary: "prober: no fully passing round for 15 minutes, or no prober reporting",
        description:
          "Read the prober's log: each round names the failing step. No series at all: the prober is not running or not scraped.",
      },
    },
    {
      alert: "SignetBundleVerificationFailed",
      expr: 'increase(verification{verified="false"}[10m]) > 0',
      labels: { severity: "page", service: "prober" },
      annotations: {
        summary: "prober: a freshly signed bundle did not verify against the trusted root",
        description:
          "Clients verifying now would reject signatures: check the trusted root, the CA chain and the log keys.",
      },
    },
    {
      alert: "SignetLogConsistencyFailure",
      expr: "increase(log_consistency_failures_total[30m]) > 0",
      labels: { severity: "page", service: "prober" },
      annotations: {
        summary: "prober: the log showed a split view",
        description:
          "A checkpoint was inconsistent with one seen before (the prober logs SPLIT VIEW). Preserve evidence; never rewrite the log.",
      },
    },
  ];
}

/**
 * Every rule links its section of the alerts runbook (GitHub's heading anchor: the alert name in
 * lower case), which Alertmanager and PagerDuty show beside the alert.
 */
function withRunbook(rule: AlertRule, runbookUrl: string): Rule {
  return {
    ...rule,
    annotations: { ...rule.annotations, runbook_url: `${runbookUrl}#${rule.alert.toLowerCase()}` },
  };
}

function rulesObject(service: SignetService, rules: AlertRule[], runbookUrl: string): KubernetesObject {
  const { namespace } = signetServices[service];
  const object: Rules = {
    apiVersion: "monitoring.googleapis.com/v1",
    kind: "Rules",
    // Namespaced Rules only see their own namespace's series: each service's rules live beside it.
    metadata: { name: `${service}-alerts`, namespace, labels: { "app.kubernetes.io/part-of": "signet" } },
    spec: {
      groups: [
        { name: `signet-${service}`, interval: "30s", rules: rules.map((r) => withRunbook(r, runbookUrl)) },
      ],
    },
  };
  return object as KubernetesObject;
}

/** The alert rules, evaluated by Managed Prometheus's rule evaluator in each service's namespace. */
export function alertRules(values: AlertValues): KubernetesObject[] {
  const { availabilityGoal, runbookUrl } = values;
  return [
    rulesObject("ca", [...burnRateRules("ca", availabilityGoal), ...caRules()], runbookUrl),
    rulesObject(
      "log",
      [...burnRateRules("log", availabilityGoal), ...logRules(values.liveTreeIds)],
      runbookUrl,
    ),
    rulesObject("prober", proberRules(), runbookUrl),
  ];
}
