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
