import { Release } from "@cdktf/provider-helm/lib/release/index.js";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1/index.js";
import { Construct } from "constructs";
import type { Environment } from "../config/schema.ts";
import { disruptionBudget, helmValues } from "./helm-values.ts";

/** Where Argo CD runs, and where its Applications, projects and repository secrets live. */
export const argoCdNamespace = "argocd";

/** The Secret the notifications controller reads; External Secrets writes it, not the chart. */
export const notificationsSecretName = "argocd-notifications-secret";

/** The argo-cd chart's values for `replicas`: more than one runs the highly available layout. */
export function argoCdValues(replicas: number): Record<string, unknown> {
  const scaled = { replicas, pdb: disruptionBudget(replicas) };
  return {
    // The HA layout's redis needs three nodes in three zones, which production has.
    "redis-ha": { enabled: replicas > 1 },
    // The application controller scales by sharding clusters, not by replicas; one cluster is one shard.
    controller: { replicas: 1 },
    server: scaled,
    repoServer: scaled,
    applicationSet: scaled,
    notifications: { secret: { create: false, name: notificationsSecretName } },
  };
}

export interface ArgoCdProps {
  chart: Environment["cluster"]["argocd"];
}

/** Argo CD from its upstream chart at the pinned version. */
export class ArgoCd extends Construct {
  readonly release: Release;
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: ArgoCdProps) {
    super(scope, id);
    const namespace = new NamespaceV1(this, "namespace", {
      metadata: { name: argoCdNamespace, labels: { "app.kubernetes.io/part-of": "signet" } },
    });
    this.namespace = namespace.metadata.name;
    this.release = new Release(this, "release", {
      name: "argo-cd",
      namespace: this.namespace,
      repository: "https://argoproj.github.io/argo-helm",
      chart: "argo-cd",
      version: props.chart.chartVersion,
      atomic: true,
      // The HA redis StatefulSet rolls one pod at a time.
      timeout: 900,
      values: helmValues(argoCdValues(props.chart.replicas)),
    });
  }
}
