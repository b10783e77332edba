import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest/index.js";
import { Construct } from "constructs";
import type { ITerraformDependable } from "../cdktf.ts";
import {
  clusterScopedKinds,
  projectNamespaces,
  reloaderChartRepository,
  signetNamespaces,
} from "./project-scope.ts";

export { clusterScopedKinds, projectNamespaces, signetNamespaces };

export interface RootApplicationProps {
  environment: string;
  repositoryUrl: string;
  /** Argo CD's namespace: the Applications of the app of apps live there. */
  namespace: string;
  /** The branch Argo CD follows. */
  revision: string;
  /** The Argo CD release, whose CRDs define AppProject and Application. */
  dependsOn: ITerraformDependable[];
}

const inCluster = "https://kubernetes.default.svc";

/**
 * The `signet` AppProject and the environment's root Application (app of apps): from here Argo CD
 * deploys exactly what is committed under `charts/rendered/<env>` and reverts any change made
 * outside Git.
 */
export class RootApplication extends Construct {
  readonly project: Manifest;
  readonly application: Manifest;
  readonly path: string;

  constructor(scope: Construct, id: string, props: RootApplicationProps) {
    super(scope, id);
    this.path = `charts/rendered/${props.environment}`;
    this.project = new Manifest(this, "project", {
      manifest: {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "AppProject",
        metadata: { name: "signet", namespace: props.namespace },
        spec: {
          description: `Signet ${props.environment}, from ${props.repositoryUrl} and the pinned reloader chart only`,
          // The rendered manifests include an Application for the reloader's upstream chart.
          sourceRepos: [props.repositoryUrl, reloaderChartRepository],
          // Signet's namespaces, and GKE's gmp-public for the Alertmanager configuration alone.
          destinations: [props.namespace, ...projectNamespaces].map((namespace) => ({
            server: inCluster,
            namespace,
          })),
          clusterResourceWhitelist: clusterScopedKinds.map((k) => ({ group: k.group, kind: k.kind })),
        },
      },
      dependsOn: props.dependsOn,
    });

    this.application = new Manifest(this, "application", {
      manifest: {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        // No deletion finalizer: removing this object must never cascade into the services.
        metadata: { name: `signet-${props.environment}`, namespace: props.namespace },
        spec: {
          project: "signet",
          source: {
            repoURL: props.repositoryUrl,
            targetRevision: props.revision,
            path: this.path,
            directory: { recurse: true },
          },
          destination: { server: inCluster, namespace: props.namespace },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            // The rendered manifests declare every namespace, with its labels and policies.
            syncOptions: ["CreateNamespace=false", "PrunePropagationPolicy=foreground"],
            retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } },
          },
        },
      },
      dependsOn: [this.project],
    });
  }
}
