import { describe, expect, it } from "vitest";
import { argoCdNamespace } from "../../src/cluster/argocd.ts";
import { clusterScopedKinds, gkeNamespaces, signetNamespaces } from "../../src/cluster/project-scope.ts";
import {
  containersOf,
  environments,
  exportedMetricNames,
  find,
  metricsIn,
  ofKind,
  rendered,
} from "./support.ts";

const deploymentNames = ["ca", "log", "prober"];

describe.each(Object.entries(rendered))("%s", (name, objects) => {
  const env = environments[name] as (typeof environments)[string];
  const deployments = ofKind(objects, "Deployment");

  it("renders the three services", () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(deploymentNames);
  });

  it("runs every container non-root, read-only, without capabilities, under seccomp", () => {
    for (const deployment of deployments) {
      expect(deployment.spec.template.spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        fsGroup: 65532,
        seccompProfile: { type: "RuntimeDefault" },
      });
      for (const container of containersOf(deployment)) {
        expect(container.securityContext, container.name).toEqual({
          runAsNonRoot: true,
          runAsUser: 65532,
          runAsGroup: 65532,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect(container.resources.requests, container.name).toEqual(
          expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
        );
        expect(container.resources.limits, container.name).toEqual(
          expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
        );
        expect(container.startupProbe, container.name).toBeDefined();
        expect(container.livenessProbe, container.name).toBeDefined();
      }
    }
  });

  it("probes liveness on /healthz and readiness on /readyz, with writable /tmp and data dir", () => {
    for (const deployment of deployments) {
      const service = deployment.metadata.name;
      const [container] = deployment.spec.template.spec.containers;
      expect(container.startupProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
      expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
      expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
      expect(container.volumeMounts).toEqual(
        expect.arrayContaining([
          { name: "tmp", mountPath: "/tmp" },
          { name: "data", mountPath: `/var/lib/signet/${service}` },
        ]),
      );
      expect(deployment.metadata.annotations).toEqual({ "reloader.stakater.com/auto": "true" });
      expect(deployment.spec.template.spec.automountServiceAccountToken).toBe(false);
    }
  });

  it("gives each service a Workload Identity service account bound by the platform stack", () => {
    for (const service of deploymentNames) {
      const account = find(objects, "ServiceAccount", service, `signet-${service}`);
      expect(account.metadata.annotations).toEqual({
        "iam.gke.io/gcp-service-account": `signet-${service}@${env.project.id}.iam.gserviceaccount.com`,
      });
      expect(find(objects, "Deployment", service).spec.template.spec.serviceAccountName).toBe(service);
    }
  });

  it("runs the Signet images by digest and third-party ones by exact version", () => {
    const images = deployments.flatMap((d) => containersOf(d).map((c) => c.image as string));
    expect(images).toEqual(expect.arrayContaining([env.images.ca, env.images.log, env.images.prober]));
    for (const image of images) expect(image).toMatch(/@sha256:[a-f0-9]{64}$|:\d+\.\d+\.\d+$/);
    const reloader = find(objects, "Application", "signet-reloader").spec.source;
    expect(reloader.targetRevision).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("spreads every Deployment across zones", () => {
    for (const deployment of deployments) {
      expect(deployment.spec.template.spec.topologySpreadConstraints).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ topologyKey: "topology.kubernetes.io/zone", maxSkew: 1 }),
        ]),
      );
    }
  });

  it("denies all traffic by default in every namespace it renders, and resolves names", () => {
    const namespaces = ofKind(objects, "Namespace").map((n) => n.metadata.name);
    expect(namespaces.sort()).toEqual(["signet-ca", "signet-log", "signet-prober", "signet-system"]);
    for (const namespace of namespaces) {
      expect(find(objects, "NetworkPolicy", "default-deny", namespace).spec).toEqual({
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
      });
      expect(find(objects, "NetworkPolicy", "allow-dns", namespace).spec.egress[0].ports).toEqual([
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
      ]);
      expect(find(objects, "Namespace", namespace).metadata.labels).toMatchObject({
        "pod-security.kubernetes.io/enforce": "restricted",
      });
    }
  });

  it("admits the CA to the log's CT API and Cloud SQL only through the private services range", () => {
    const log = find(objects, "NetworkPolicy", "log", "signet-log").spec;
    expect(log.ingress[1].from[0]).toEqual({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "signet-ca" } },
      podSelector: { matchLabels: { "app.kubernetes.io/name": "ca" } },
    });
    expect(log.egress).toContainEqual({
      to: [{ ipBlock: { cidr: env.network.privateServicesCidr } }],
      ports: [{ protocol: "TCP", port: 3307 }],
    });
  });

  it("stays inside the AppProject: Signet namespaces, GKE's with their kinds, the allowed cluster-scoped kinds", () => {
    const allowed = new Set<string>([argoCdNamespace, ...signetNamespaces]);
    for (const object of objects) {
      const group = object.apiVersion.includes("/") ? object.apiVersion.split("/")[0] : "";
      const clusterScoped = clusterScopedKinds.some((k) => k.group === group && k.kind === object.kind);
      const namespace = object.metadata.namespace ?? "";
      const gkeKinds: ReadonlyArray<{ group: string; kind: string }> | undefined =
        gkeNamespaces[namespace as keyof typeof gkeNamespaces];
      if (clusterScoped) expect(object.metadata.namespace).toBeUndefined();
      else if (gkeKinds) expect(gkeKinds).toContainEqual({ group, kind: object.kind });
      else expect(allowed.has(namespace), `${object.kind} ${object.metadata.name}`).toBe(true);
    }
    expect(ofKind(objects, "Application").every((a) => a.metadata.namespace === argoCdNamespace)).toBe(true);
  });

  it("scrapes every service's /metrics", () => {
    for (const service of deploymentNames) {
      const monitoring = find(objects, "PodMonitoring", service, `signet-${service}`);
      expect(monitoring.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": service });
      expect(monitoring.spec.endpoints).toEqual([
        expect.objectContaining({ port: "http", path: "/metrics" }),
      ]);
    }
  });

  it("alerts only on series the services really export", () => {
    const exported = exportedMetricNames();
    const rules = ofKind(objects, "Rules").flatMap((r) => r.spec.groups.flatMap((g: any) => g.rules));
    expect(rules.length).toBeGreaterThanOrEqual(9);
    for (const rule of rules) {
      const metrics = metricsIn(rule.expr);
      expect(metrics.length, rule.alert).toBeGreaterThan(0);
      for (const metric of metrics) expect(exported, `${rule.alert}: ${metric}`).toContain(metric);
    }
  });

  it("alerts on the availability SLO's burn rate from the environment's goal", () => {
    const budget = Number((1 - env.alerts.availabilityGoal).toPrecision(6));
    for (const service of ["ca", "log"]) {
      const rules = find(objects, "Rules", `${service}-alerts`).spec.groups[0].rules;
      const burn = (window: string) => rules.find((r: any) => r.alert === `SignetErrorBudgetBurn${window}`);
      expect(burn("1h").expr).toContain(`> (14.4 * ${budget})`);
      expect(burn("1h").expr).toContain("[1h]");
      expect(burn("6h").expr).toContain(`> (6 * ${budget})`);
      expect(burn("6h").expr).toContain("[6h]");
    }
    const prober = find(objects, "Rules", "prober-alerts").spec.groups[0].rules.map((r: any) => r.expr);
    expect(prober).toContain('increase(verification{verified="false"}[10m]) > 0');
    expect(prober.join("\n")).toContain("log_consistency_failures_total");
  });
});

describe("production", () => {
  const objects = rendered.production as any[];

  it("runs the CA and the log highly available", () => {
    const hpa = find(objects, "HorizontalPodAutoscaler", "ca");
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "ca" });
    // The HPA owns the CA's replica count.
    expect(find(objects, "Deployment", "ca").spec.replicas).toBeUndefined();
    expect(find(objects, "Deployment", "log").spec.replicas).toBeGreaterThanOrEqual(2);
    for (const service of ["ca", "log"]) {
      expect(find(objects, "PodDisruptionBudget", service).spec).toEqual({
        maxUnavailable: 1,
        selector: { matchLabels: { "app.kubernetes.io/name": service } },
      });
    }
  });
});

describe("staging", () => {
  it("has no disruption budget a single replica could never satisfy", () => {
    expect(ofKind(rendered.staging as any[], "PodDisruptionBudget")).toEqual([]);
  });
});
