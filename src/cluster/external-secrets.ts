import { Release } from "@cdktf/provider-helm/lib/release/index.js";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest/index.js";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1/index.js";
import { Construct } from "constructs";
import type { Environment } from "../config/schema.ts";
import { disruptionBudget, helmValues } from "./helm-values.ts";

export interface ExternalSecretsOperatorProps {
  chart: Environment["cluster"]["externalSecrets"];
  /** Secret Manager lives in the environment's own project. */
  project: string;
  clusterName: string;
  clusterLocation: string;
  /** The Kubernetes service account the platform bound to `googleServiceAccount`. */
  namespace: string;
  serviceAccountName: string;
  googleServiceAccount: string;
}

/** The store every ExternalSecret in the cluster reads from. */
export const secretStoreName = "gcp-secret-manager";

/**
 * External Secrets, reading Secret Manager as the platform's `eso` Google service account through
 * Workload Identity: no key file exists anywhere.
 */
export class ExternalSecretsOperator extends Construct {
  readonly release: Release;
  readonly store: Manifest;

  constructor(scope: Construct, id: string, props: ExternalSecretsOperatorProps) {
    super(scope, id);
    const { chart } = props;
    const namespace = new NamespaceV1(this, "namespace", {
      metadata: { name: props.namespace, labels: { "app.kubernetes.io/part-of": "signet" } },
    });
    const highlyAvailable = chart.replicas > 1;
    this.release = new Release(this, "release", {
      name: "external-secrets",
      namespace: namespace.metadata.name,
      repository: "https://charts.external-secrets.io",
      chart: "external-secrets",
      version: chart.chartVersion,
      atomic: true,
      timeout: 600,
      values: helmValues({
        installCRDs: true,
        replicaCount: chart.replicas,
        // Replicas beyond the first stand by rather than reconcile the same secrets twice.
        leaderElect: highlyAvailable,
        podDisruptionBudget: disruptionBudget(chart.replicas),
        serviceAccount: {
          create: true,
          name: props.serviceAccountName,
          annotations: { "iam.gke.io/gcp-service-account": props.googleServiceAccount },
        },
        webhook: { replicaCount: chart.replicas, podDisruptionBudget: disruptionBudget(chart.replicas) },
        certController: {
          replicaCount: chart.replicas,
          podDisruptionBudget: disruptionBudget(chart.replicas),
        },
      }),
    });

    this.store = new Manifest(this, "cluster-secret-store", {
      manifest: {
        apiVersion: "external-secrets.io/v1",
        kind: "ClusterSecretStore",
        metadata: { name: secretStoreName },
        spec: {
          provider: {
            gcpsm: {
              projectID: props.project,
              auth: {
                workloadIdentity: {
                  clusterLocation: props.clusterLocation,
                  clusterName: props.clusterName,
                  clusterProjectID: props.project,
                  serviceAccountRef: { name: props.serviceAccountName, namespace: props.namespace },
                },
              },
            },
          },
        },
      },
      // The ClusterSecretStore kind exists once the chart has installed its CRDs.
      dependsOn: [this.release],
    });
  }
}
