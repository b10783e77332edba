import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type App, Testing } from "../../src/cdktf.ts";
import { reloaderChartRepository } from "../../src/cluster/project-scope.ts";
import { signetNamespaces } from "../../src/cluster/root-application.ts";
import { type Environment, environmentSchema } from "../../src/config/schema.ts";
import { platformSecretIds } from "../../src/gcp/secrets.ts";
import { ClusterStack } from "../../stacks/cluster-stack.ts";
import { PlatformStack } from "../../stacks/platform-stack.ts";
import { production, resourcesOf, type Synthesized, staging } from "./support.ts";

type Resource = Record<string, any>;

/** Both stacks of an environment; preparing the cluster stack is what turns references into remote state. */
function synth(env: Environment): { cluster: Synthesized; platform: Synthesized } {
  const app = Testing.app() as App;
  const platform = new PlatformStack(app, `${env.name}-platform`, env);
  const stack = new ClusterStack(app, `${env.name}-cluster`, { env, platform });
  stack.prepareStack();
  return {
    cluster: JSON.parse(Testing.synth(stack)) as Synthesized,
    platform: JSON.parse(Testing.synth(platform)) as Synthesized,
  };
}

const envs = { staging, production };
const synthesized = { staging: synth(staging), production: synth(production) };
const stacks = { staging: synthesized.staging.cluster, production: synthesized.production.cluster };

const all = (doc: Synthesized, type: string): Resource[] => resourcesOf(doc, type).map(([, r]) => r);
const manifests = (doc: Synthesized, kind: string): Resource[] =>
  all(doc, "kubernetes_manifest").filter((m) => m.manifest.kind === kind);
function release(doc: Synthesized, chart: string): Resource {
  const found = all(doc, "helm_release").find((r) => r.chart === chart);
  if (!found) throw new Error(`no ${chart} release synthesized`);
  return found;
}
const valuesOf = (r: Resource): Record<string, any> => parse(r.values[0]);
/** The address of the one resource of a type whose arguments satisfy `match`. */
function addressOf(doc: Synthesized, type: string, match: (r: Resource) => boolean): string {
  const found = resourcesOf(doc, type).find(([, r]) => match(r));
  if (!found) throw new Error(`no matching ${type}`);
  return `${type}.${found[0]}`;
}

describe.each(Object.entries(stacks))("%s cluster stack", (name, doc) => {
  const env = envs[name as keyof typeof envs];
  const repositoryUrl = "git@github.com:example-org/signet.git";
  const remoteState = `data.terraform_remote_state.cross-stack-reference-input-${name}-platform`;

  it("keeps its state beside the platform's, under its own prefix", () => {
    expect(doc.terraform?.backend).toEqual({ gcs: { bucket: `signet-tfstate-${name}`, prefix: "cluster" } });
    expect(doc.data?.terraform_remote_state?.[`cross-stack-reference-input-${name}-platform`]).toMatchObject({
      backend: "gcs",
      config: { bucket: `signet-tfstate-${name}`, prefix: "platform" },
    });
  });

  it("reads only the DNS endpoint and the External Secrets identity from the platform, as sensitive outputs", () => {
    const platform = synthesized[name as keyof typeof synthesized].platform;
    const crossStack = Object.entries(platform.output ?? {}).filter(([id]) =>
      id.startsWith("cross-stack-output-"),
    );
    expect(crossStack.map(([, o]) => o.value).sort()).toEqual([
      expect.stringMatching(/^\$\{google_container_cluster\.[^}]*\.dns_endpoint_config\[0\]\.endpoint\}$/),
      expect.stringMatching(/^\$\{google_service_account\.wi-eso_[^}]*\.email\}$/),
    ]);
  });

  it("reaches the cluster through the platform's DNS endpoint with a Google access token, no kubeconfig", () => {
    const [clientId] = Object.keys(doc.data?.google_client_config ?? {});
    const token = `\${data.google_client_config.${clientId}.access_token}`;
    const host = new RegExp(
      `^https://\\$\\{${remoteState.replaceAll(".", "\\.")}\\.outputs\\.[^}]*dns_endpoint[^}]*\\}$`,
    );
    const [kubernetes] = (doc.provider?.kubernetes ?? []) as Resource[];
    const [helm] = (doc.provider?.helm ?? []) as Resource[];
    for (const connection of [kubernetes, helm?.kubernetes]) {
      expect(connection?.host).toMatch(host);
      expect(connection?.token).toBe(token);
      // The DNS endpoint's certificate is publicly trusted; the cluster CA would fail verification.
      expect(Object.keys(connection ?? {}).sort()).toEqual(["host", "token"]);
    }
    expect(JSON.stringify(doc)).not.toMatch(
      /config_paths?|config_context|client_key|cluster_ca_certificate|kube\/config/,
    );
  });

  it("installs Argo CD and External Secrets from their upstream charts at the configured versions", () => {
    const argocd = release(doc, "argo-cd");
    const eso = release(doc, "external-secrets");
    expect(argocd).toMatchObject({
      repository: "https://argoproj.github.io/argo-helm",
      version: env.cluster.argocd.chartVersion,
      namespace: expect.stringContaining("kubernetes_namespace_v1."),
    });
    expect(eso).toMatchObject({
      repository: "https://charts.external-secrets.io",
      version: env.cluster.externalSecrets.chartVersion,
      namespace: expect.stringContaining("kubernetes_namespace_v1."),
    });
    for (const r of all(doc, "helm_release")) expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(
      all(doc, "kubernetes_namespace_v1")
        .map((n) => n.metadata.name)
        .sort(),
    ).toEqual(["argocd", "external-secrets"]);
  });

  it("runs External Secrets as the platform's Google service account through Workload Identity", () => {
    const values = valuesOf(release(doc, "external-secrets"));
    expect(values.serviceAccount.name).toBe("external-secrets");
    expect(values.serviceAccount.annotations["iam.gke.io/gcp-service-account"]).toMatch(
      new RegExp(`^\\$\\{${remoteState.replaceAll(".", "\\.")}\\.outputs\\.[^}]*wi-eso[^}]*email\\}$`),
    );
    expect(values.installCRDs).toBe(true);
  });

  it("reads Secret Manager through a ClusterSecretStore that waits for the operator", () => {
    const [store] = manifests(doc, "ClusterSecretStore");
    expect(store?.manifest.metadata.name).toBe("gcp-secret-manager");
    expect(store?.manifest.spec.provider.gcpsm).toEqual({
      projectID: `signet-${name}`,
      auth: {
        workloadIdentity: {
          clusterLocation: env.region,
          clusterName: `signet-${name}`,
          clusterProjectID: `signet-${name}`,
          serviceAccountRef: { name: "external-secrets", namespace: "external-secrets" },
        },
      },
    });
    expect(store?.depends_on).toEqual([
      addressOf(doc, "helm_release", (r) => r.chart === "external-secrets"),
    ]);
  });

  it("gives Argo CD its repository key and notification token through ExternalSecrets only", () => {
    const secrets = manifests(doc, "ExternalSecret");
    const byName = new Map(secrets.map((s) => [s.manifest.metadata.name, s.manifest]));
    const repository = byName.get("signet-repository");
    expect(repository?.spec.target.template.metadata.labels).toEqual({
      "argocd.argoproj.io/secret-type": "repository",
    });
    expect(repository?.spec.target.template.data).toEqual({
      type: "git",
      url: repositoryUrl,
      sshPrivateKey: "{{ .sshPrivateKey }}",
    });
    expect(repository?.spec.data).toEqual([
      { secretKey: "sshPrivateKey", remoteRef: { key: "argocd-repository-ssh-key", version: "latest" } },
    ]);
    expect(byName.get("argocd-notifications-secret")?.spec.data).toEqual([
      { secretKey: "slack-token", remoteRef: { key: "argocd-notifications-slack-token", version: "latest" } },
    ]);
    for (const secret of secrets) {
      expect(secret.manifest.metadata.namespace).toContain("kubernetes_namespace_v1.argocd");
      expect(secret.manifest.spec.secretStoreRef).toEqual({
        kind: "ClusterSecretStore",
        name: "gcp-secret-manager",
      });
      for (const { remoteRef } of secret.manifest.spec.data)
        expect(platformSecretIds).toContain(remoteRef.key);
    }
    // The chart must not create the Secret External Secrets owns.
    expect(valuesOf(release(doc, "argo-cd")).notifications.secret.create).toBe(false);
  });

  it("holds no secret value and takes no variable", () => {
    expect(doc).not.toHaveProperty("variable");
    expect(resourcesOf(doc, "kubernetes_secret")).toHaveLength(0);
    expect(resourcesOf(doc, "kubernetes_secret_v1")).toHaveLength(0);
    expect(JSON.stringify(doc)).not.toMatch(/PRIVATE KEY|xox[abp]-|set_sensitive|stringData/);
  });

  it("limits the signet AppProject to this repository, the reloader chart, the Signet namespaces and gmp-public", () => {
    const [project] = manifests(doc, "AppProject");
    const spec = project?.manifest.spec;
    expect(project?.manifest.metadata.name).toBe("signet");
    expect(spec.sourceRepos).toEqual([repositoryUrl, reloaderChartRepository]);
    const namespaces = spec.destinations.map((d: Resource) => d.namespace);
    // Besides Signet's own, only GKE's gmp-public, where Managed Alertmanager reads its configuration.
    expect(namespaces.slice(1)).toEqual([...signetNamespaces, "gmp-public"]);
    // The first is Argo CD's own namespace, where the app of apps keeps its Applications.
    expect(namespaces[0]).toContain("kubernetes_namespace_v1.argocd");
    for (const d of spec.destinations) expect(d.server).toBe("https://kubernetes.default.svc");
    expect(JSON.stringify(spec)).not.toContain('"*"');
    expect(spec.clusterResourceWhitelist.map((k: Resource) => k.kind)).not.toContain("ClusterRoleBinding");
  });

  it("points one automated, pruning, self-healing root Application at the rendered manifests", () => {
    const applications = manifests(doc, "Application");
    expect(applications).toHaveLength(1);
    const app = applications[0]?.manifest;
    expect(app.metadata.name).toBe(`signet-${name}`);
    expect(app.spec.project).toBe("signet");
    expect(app.spec.source).toMatchObject({
      repoURL: repositoryUrl,
      targetRevision: "main",
      path: `charts/rendered/${name}`,
    });
    expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(app.spec.syncPolicy.syncOptions).toContain("CreateNamespace=false");
    expect(app.spec.syncPolicy.retry.backoff.factor).toBeGreaterThan(1);
    expect(applications[0]?.depends_on).toEqual([
      addressOf(doc, "kubernetes_manifest", (m) => m.manifest.kind === "AppProject"),
    ]);
  });
});

describe("production against staging", () => {
  it("runs Argo CD and External Secrets highly available in production only", () => {
    const prodArgo = valuesOf(release(stacks.production, "argo-cd"));
    const stagArgo = valuesOf(release(stacks.staging, "argo-cd"));
    expect(prodArgo["redis-ha"].enabled).toBe(true);
    expect(prodArgo.server).toEqual({ replicas: 2, pdb: { enabled: true, minAvailable: 1 } });
    expect(stagArgo["redis-ha"].enabled).toBe(false);
    const prodEso = valuesOf(release(stacks.production, "external-secrets"));
    expect(prodEso).toMatchObject({
      replicaCount: 2,
      leaderElect: true,
      podDisruptionBudget: { enabled: true },
    });
    expect(valuesOf(release(stacks.staging, "external-secrets")).leaderElect).toBe(false);
  });

  it("has the same resources, differing only in configured values", () => {
    const addresses = (doc: Synthesized) =>
      Object.entries(doc.resource ?? {}).flatMap(([type, byName]) =>
        Object.keys(byName).map((n) => `${type}.${n}`),
      );
    expect(addresses(stacks.production).sort()).toEqual(addresses(stacks.staging).sort());
  });

  it("accepts only exactly pinned chart versions", () => {
    const file = resolve(import.meta.dirname, "../../stacks/environments/staging.yaml");
    const raw = parse(readFileSync(file, "utf8"));
    expect(environmentSchema.safeParse(raw).success).toBe(true);
    for (const version of ["10.1", "^10.1.1", "latest", "10.x"]) {
      raw.cluster.argocd.chartVersion = version;
      expect(environmentSchema.safeParse(raw).success).toBe(false);
    }
  });
});

describe("synthesized stacks", () => {
  it.each(Object.entries(stacks))("%s matches its snapshot", (_, doc) => {
    expect(doc).toMatchSnapshot();
  });
});
