import { describe, expect, it } from "vitest";
import type { KubernetesObject } from "../../charts/kubernetes.ts";
import { InvalidManifestError, validateManifests } from "../../charts/validate.ts";
import { find, rendered } from "./support.ts";

const clone = (object: KubernetesObject): any => structuredClone(object);

describe.each(Object.entries(rendered))("%s manifests", (name, objects) => {
  it.each(objects.map((o) => [`${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`, o] as const))(
    "%s passes its OpenAPI or CRD schema and the AppProject",
    (_, object) => {
      expect(() => validateManifests(name, [object])).not.toThrow();
    },
  );
});

describe("validateManifests", () => {
  const objects = rendered.staging as KubernetesObject[];

  function refusal(object: KubernetesObject): string {
    try {
      validateManifests("staging", [object]);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidManifestError);
      return (error as Error).message;
    }
    throw new Error("accepted");
  }

  it("refuses a field of the wrong type, naming the object and the field", () => {
    const deployment = clone(find(objects, "Deployment", "ca"));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = "3001";
    expect(refusal(deployment)).toBe(
      "staging: Deployment signet-ca/ca: spec.template.spec.containers[0].ports[0].containerPort: must be integer",
    );
  });

  it("refuses a custom resource that breaks its CRD schema", () => {
    const certificate = clone(find(objects, "ManagedCertificate", "ca"));
    certificate.spec.domains = "ca.example.com";
    expect(refusal(certificate)).toMatch(
      /^staging: ManagedCertificate signet-ca\/ca: spec\.domains: must be array$/,
    );
  });

  it("checks Managed Prometheus resources with our schema of the fields we use, strictly", () => {
    const rules = clone(find(objects, "Rules", "prober-alerts"));
    rules.spec.groups[0].rules[0].severity = "page";
    expect(refusal(rules)).toMatch(
      /^staging: Rules signet-prober\/prober-alerts: spec\.groups\[0\]\.rules\[0\]: /,
    );
    const monitoring = clone(find(objects, "PodMonitoring", "log"));
    monitoring.spec.endpoints[0].interval = "soon";
    expect(refusal(monitoring)).toBe(
      "staging: PodMonitoring signet-log/log: spec.endpoints[0].interval: expected a duration like 30s or 5m",
    );
  });

  it("checks the ExternalSecret against the External Secrets v1 CRD schema", () => {
    const externalSecret = clone(find(objects, "ExternalSecret", "alertmanager", "gmp-public"));
    externalSecret.spec.target.creationPolicy = "Always";
    expect(refusal(externalSecret)).toBe(
      "staging: ExternalSecret gmp-public/alertmanager: spec.target.creationPolicy: must be equal to one of the allowed values",
    );
  });

  it("refuses what the AppProject would not sync", () => {
    const configMap = clone(find(objects, "ConfigMap", "ca-env"));
    configMap.metadata.namespace = "default";
    expect(refusal(configMap)).toBe(
      "staging: ConfigMap default/ca-env: metadata.namespace: default is not a Signet namespace",
    );
    const role = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "x" } };
    expect(refusal(role)).toMatch(/^staging: ClusterRole x: apiVersion: no schema/);
    const inGmpPublic = clone(find(objects, "ConfigMap", "ca-env"));
    inGmpPublic.metadata.namespace = "gmp-public";
    expect(refusal(inGmpPublic)).toBe(
      "staging: ConfigMap gmp-public/ca-env: metadata.namespace: gmp-public admits only ExternalSecret",
    );
    const gkeNamespace = clone(find(objects, "Namespace", "signet-ca"));
    gkeNamespace.metadata.name = "gmp-public";
    expect(refusal(gkeNamespace)).toBe(
      "staging: Namespace gmp-public: metadata.name: GKE creates and owns this namespace; do not render it",
    );
    const namespaced = clone(find(objects, "Service", "log"));
    delete namespaced.metadata.namespace;
    expect(refusal(namespaced)).toBe(
      "staging: Service log: metadata.namespace: missing, and the AppProject allows no other cluster-scoped kind",
    );
  });
});
