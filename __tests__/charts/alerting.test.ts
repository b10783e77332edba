import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { pagerDutyKeySecret } from "../../charts/platform/alertmanager.ts";
import { severities } from "../../charts/platform/alerts.ts";
import { platformSecretIds } from "../../src/gcp/secrets.ts";
import { environments, find, ofKind, rendered } from "./support.ts";

// Alerts must reach a person: every severity a rule carries has a route to PagerDuty, the key
// comes from Secret Manager, and every alert links the runbook section that says what to do.

interface Route {
  receiver: string;
  matchers?: string[];
  routes?: Route[];
}

/** `name="value"` matchers only: the configuration uses no other kind, and the test insists. */
function matches(route: Route, labels: Record<string, string>): boolean {
  return (route.matchers ?? []).every((matcher) => {
    const parsed = /^([a-zA-Z_]\w*)="([^"]*)"$/.exec(matcher);
    expect(parsed, matcher).not.toBeNull();
    return labels[parsed?.[1] as string] === parsed?.[2];
  });
}

/** The receiver Alertmanager picks for an alert: the first matching child route, else the root's. */
function receiverFor(route: Route, labels: Record<string, string>): string {
  const child = (route.routes ?? []).find((r) => matches(r, labels));
  return child ? receiverFor(child, labels) : route.receiver;
}

const runbookDir = join(import.meta.dirname, "../../docs/runbooks");

/** GitHub's anchor of each `###`-or-deeper heading of a runbook. */
function anchorsOf(file: string): Set<string> {
  const text = readFileSync(join(runbookDir, file), "utf8");
  return new Set(
    [...text.matchAll(/^#{2,6} (.+)$/gm)].map((m) =>
      (m[1] as string)
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, "")
        .replaceAll(" ", "-"),
    ),
  );
}

describe.each(Object.entries(rendered))("%s alerting", (name, objects) => {
  const env = environments[name];
  const rules = ofKind(objects, "Rules").flatMap((r) =>
    r.spec.groups.flatMap((g: any) =>
      g.rules.map((rule: any) => ({ ...rule, namespace: r.metadata.namespace })),
    ),
  );
  const externalSecret = find(objects, "ExternalSecret", "alertmanager", "gmp-public");
  const config = parse(externalSecret.spec.target.template.data["alertmanager.yaml"]);
  const receivers = new Map<string, any>(config.receivers.map((r: any) => [r.name, r]));

  it("writes the Secret Managed Alertmanager reads, from the PagerDuty key in Secret Manager", () => {
    expect(externalSecret.apiVersion).toBe("external-secrets.io/v1");
    expect(externalSecret.spec.secretStoreRef).toEqual({
      kind: "ClusterSecretStore",
      name: "gcp-secret-manager",
    });
    expect(externalSecret.spec.target).toMatchObject({ name: "alertmanager", creationPolicy: "Owner" });
    expect(externalSecret.spec.target.template.engineVersion).toBe("v2");
    expect(externalSecret.spec.data).toEqual([
      { secretKey: expect.any(String), remoteRef: { key: pagerDutyKeySecret, version: "latest" } },
    ]);
    expect(platformSecretIds).toContain(pagerDutyKeySecret);
  });

  it("renders no Namespace for gmp-public, which GKE owns", () => {
    expect(ofKind(objects, "Namespace").map((n) => n.metadata.name)).not.toContain("gmp-public");
    expect(objects.filter((o) => o.metadata.namespace === "gmp-public").map((o) => o.kind)).toEqual([
      "ExternalSecret",
    ]);
  });

  it("routes every severity the rules use, pages as critical and tickets at lower urgency", () => {
    const used = new Set(rules.map((r) => r.labels.severity));
    expect([...used].sort()).toEqual([...severities].sort());
    for (const severity of used) {
      expect(
        config.route.routes.map((r: Route) => r.matchers),
        severity,
      ).toContainEqual([`severity="${severity}"`]);
    }
    for (const rule of rules) {
      const labels = { alertname: rule.alert, namespace: rule.namespace, ...rule.labels };
      const receiver = receivers.get(receiverFor(config.route, labels));
      expect(receiver, rule.alert).toBeDefined();
      const [pagerDuty] = receiver.pagerduty_configs;
      expect(pagerDuty.severity, rule.alert).toBe(rule.labels.severity === "page" ? "critical" : "warning");
    }
    // An alert missing its severity still reaches PagerDuty, at low urgency.
    expect(
      receivers.get(receiverFor(config.route, { alertname: "Other" }))?.pagerduty_configs[0].severity,
    ).toBe("warning");
  });

  it("reads the PagerDuty key from the secret in every receiver, never a literal", () => {
    const [{ secretKey }] = externalSecret.spec.data;
    const reference = new RegExp(`^\\{\\{ \\.${secretKey}( \\| trim)? \\}\\}$`);
    for (const receiver of receivers.values()) {
      expect(Object.keys(receiver).sort()).toEqual(["name", "pagerduty_configs"]);
      for (const pagerDuty of receiver.pagerduty_configs) {
        expect(pagerDuty.routing_key).toMatch(reference);
        expect(pagerDuty).not.toHaveProperty("service_key");
        expect(pagerDuty.send_resolved).toBe(true);
      }
    }
    // Every other `{{` would be read by External Secrets' template engine, not by Alertmanager's.
    const templates = externalSecret.spec.target.template.data["alertmanager.yaml"].match(/\{\{[^}]*\}\}/g);
    expect(new Set(templates)).toEqual(new Set([`{{ .${secretKey} | trim }}`]));
  });

  it("groups by alert and namespace, at intervals that let a page repeat but not flood", () => {
    const seconds = (d: string) =>
      Number(d.slice(0, -1)) * { s: 1, m: 60, h: 3600 }[d.at(-1) as "s" | "m" | "h"];
    const { route } = config;
    expect(route.group_by).toEqual(["alertname", "namespace"]);
    expect(seconds(route.group_wait)).toBeLessThanOrEqual(60);
    expect(seconds(route.group_interval)).toBeGreaterThan(seconds(route.group_wait));
    for (const child of route.routes) {
      expect(seconds(child.repeat_interval ?? route.repeat_interval)).toBeGreaterThanOrEqual(3600);
    }
  });

  it("holds back a ticket while the same alert pages", () => {
    expect(config.inhibit_rules).toEqual([
      {
        source_matchers: ['severity="page"'],
        target_matchers: ['severity="ticket"'],
        equal: ["alertname", "namespace"],
      },
    ]);
  });

  it("links every rule to its section of a runbook that exists", () => {
    const base = `https://github.com/${env?.github.repository}/blob/main/docs/runbooks/`;
    for (const rule of rules) {
      const url: string = rule.annotations.runbook_url;
      expect(url, rule.alert).toMatch(new RegExp(`^${base.replaceAll(".", "\\.")}[\\w-]+\\.md#[\\w-]+$`));
      const [file, anchor] = url.slice(base.length).split("#") as [string, string];
      expect(anchorsOf(file), `${rule.alert}: ${url}`).toContain(anchor);
    }
  });
});
