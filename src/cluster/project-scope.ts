/**
 * What the `signet` AppProject allows (src/cluster/root-application.ts), in a module free of
 * cdktf so the charts (charts/) can check their rendered manifests against the same lists.
 */

/** The namespaces Signet's rendered manifests may deploy into, and nothing else. */
export const signetNamespaces = [
  "signet-ca",
  "signet-log",
  "signet-prober",
  "signet-tuf",
  "signet-system",
  "monitoring",
] as const;

/**
 * Namespaces GKE creates and owns, with the only kinds the rendered manifests may put in each.
 * Managed Prometheus's Alertmanager reads its configuration from the Secret `alertmanager` in
 * `gmp-public`, which an ExternalSecret writes (charts/platform/alertmanager.ts). An AppProject's
 * resource lists apply to all its destinations, so the AppProject admits the namespace and
 * charts/validate.ts holds it to these kinds, and refuses a Namespace object for it: a pruned one
 * would delete GKE's.
 */
export const gkeNamespaces = {
  "gmp-public": [{ group: "external-secrets.io", kind: "ExternalSecret" }],
} as const satisfies Record<string, ReadonlyArray<{ group: string; kind: string }>>;

/** Every namespace the `signet` AppProject lets Argo CD deploy into, besides its own. */
export const projectNamespaces: readonly string[] = [...signetNamespaces, ...Object.keys(gkeNamespaces)];

/**
 * The cluster-scoped kinds the rendered manifests may create: the namespaces themselves and
 * Managed Prometheus rules that span them. No RBAC: the project cannot grant itself more.
 */
export const clusterScopedKinds = [
  { group: "", kind: "Namespace" },
  { group: "monitoring.googleapis.com", kind: "ClusterRules" },
  { group: "monitoring.googleapis.com", kind: "ClusterPodMonitoring" },
] as const;

/** Stakater's chart repository: the rendered reloader Application installs its `reloader` chart. */
export const reloaderChartRepository = "https://stakater.github.io/stakater-charts";
