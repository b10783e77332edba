import { ExternalSecret } from "@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret";
import { stringify } from "yaml";
import { secretStoreName } from "../../src/cluster/external-secrets.ts";
import type { platformSecretIds } from "../../src/gcp/secrets.ts";
import { type KubernetesObject, labelsFor, toObject } from "../kubernetes.ts";
import { type Severity, severities } from "./alerts.ts";

/**
 * Where GKE's Managed Alertmanager reads its configuration: the Secret `alertmanager`, key
 * `alertmanager.yaml`, in the namespace `gmp-public` that GKE creates (the defaults of the
 * Managed Prometheus operator; an OperatorConfig could name another Secret, ours does not).
 */
export const alertmanagerConfigSecret = {
  namespace: "gmp-public",
  name: "alertmanager",
  key: "alertmanager.yaml",
};

/** The Secret Manager secret holding the PagerDuty service's Events API v2 integration key. */
export const pagerDutyKeySecret: (typeof platformSecretIds)[number] = "alertmanager-pagerduty-key";

/**
 * The key's name inside the ExternalSecret, and the template expression that inserts it, trimmed:
 * a value added with `echo ... | gcloud secrets versions add` ends in a newline.
 */
export const pagerDutyKeyField = "pagerdutyRoutingKey";
export const pagerDutyKeyReference = `{{ .${pagerDutyKeyField} | trim }}`;

/**
 * What each severity becomes in PagerDuty: one service, whose urgency rules make `critical`
 * high-urgency (it pages) and `warning` low-urgency (it waits in the queue). A Record forces a
 * route for every severity a rule may carry.
 */
export const pagerDutySeverity: Record<Severity, "critical" | "warning"> = {
  page: "critical",
  ticket: "warning",
};

const receiverOf = (severity: Severity) => `pagerduty-${severity}`;

/**
 * The Alertmanager configuration. Alerts are grouped per alert and namespace (one service), so a
 * burn that fails both the CA and the log opens two incidents, each with its runbook. A page that
 * fires holds back a ticket of the same alert. No Alertmanager template appears here: the whole
 * text is itself an External Secrets template, where `{{` would be read as External Secrets'.
 */
export function alertmanagerConfig(): Record<string, unknown> {
  return {
    route: {
      // Anything without a known severity still reaches someone, at low urgency.
      receiver: receiverOf("ticket"),
      group_by: ["alertname", "namespace"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      routes: severities.map((severity) => ({
        matchers: [`severity="${severity}"`],
        receiver: receiverOf(severity),
        // A page repeats while it stays open; a ticket reminds once a working day.
        repeat_interval: severity === "page" ? "1h" : "24h",
      })),
    },
    inhibit_rules: [
      {
        source_matchers: ['severity="page"'],
        target_matchers: ['severity="ticket"'],
        equal: ["alertname", "namespace"],
      },
    ],
    receivers: severities.map((severity) => ({
      name: receiverOf(severity),
      pagerduty_configs: [
        { routing_key: pagerDutyKeyReference, severity: pagerDutySeverity[severity], send_resolved: true },
      ],
    })),
  };
}

/**
 * The ExternalSecret that writes Managed Alertmanager's configuration with the PagerDuty key
 * from Secret Manager: the key is never in Git, and a rotated key reaches Alertmanager within
 * the hour. Until a version of the key is added, the ExternalSecret is Degraded in Argo CD and
 * Alertmanager routes nowhere.
 */
export function alertmanagerExternalSecret(): KubernetesObject {
  const { namespace, name, key } = alertmanagerConfigSecret;
  return toObject(
    new ExternalSecret({
      metadata: { name, namespace, labels: labelsFor("alertmanager") },
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { kind: "ClusterSecretStore", name: secretStoreName },
        target: {
          name,
          creationPolicy: "Owner",
          template: {
            engineVersion: "v2",
            metadata: { labels: labelsFor("alertmanager") },
            data: { [key]: stringify(alertmanagerConfig(), { lineWidth: 0 }) },
          },
        },
        data: [{ secretKey: pagerDutyKeyField, remoteRef: { key: pagerDutyKeySecret, version: "latest" } }],
      },
    }),
  );
}
