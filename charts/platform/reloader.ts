import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { argoCdNamespace } from "../../src/cluster/argocd.ts";
import { reloaderChartRepository } from "../../src/cluster/project-scope.ts";
import { type KubernetesObject, toObject } from "../kubernetes.ts";
import { systemNamespace } from "../services.ts";

export interface ReloaderValues {
  /** An exact release of stakater's `reloader` chart: the environment changes only when this does. */
  chartVersion: string;
  /** The namespaces whose Deployments it restarts. */
  namespaces: string[];
}

/**
 * Stakater Reloader from its upstream chart, as an Argo CD Application: it restarts a Deployment
 * annotated `reloader.stakater.com/auto` when a ConfigMap or Secret it uses changes (a shard
 * added, a key version switched, a secret rotated in Secret Manager). It watches only the Signet
 * namespaces, through a Role in each (`reloader.namespaces`), so the AppProject never has to
 * allow a ClusterRole.
 */
export function reloaderApplication(values: ReloaderValues): KubernetesObject {
  return toObject(
    new Application({
      metadata: {
        name: "signet-reloader",
        namespace: argoCdNamespace,
        labels: { "app.kubernetes.io/part-of": "signet" },
      },
      spec: {
        project: "signet",
        source: {
          repoURL: reloaderChartRepository,
          chart: "reloader",
          targetRevision: values.chartVersion,
          helm: {
            releaseName: "reloader",
            valuesObject: {
              fullnameOverride: "reloader",
              reloader: {
                watchGlobally: false,
                namespaces: values.namespaces,
                readOnlyRootFileSystem: true,
                logFormat: "json",
                deployment: {
                  securityContext: {
                    runAsNonRoot: true,
                    runAsUser: 65534,
                    seccompProfile: { type: "RuntimeDefault" },
                  },
                  containerSecurityContext: {
                    allowPrivilegeEscalation: false,
                    capabilities: { drop: ["ALL"] },
                  },
                  resources: {
                    requests: { cpu: "10m", memory: "64Mi" },
                    limits: { cpu: "100m", memory: "128Mi" },
                  },
                },
              },
            },
          },
        },
        destination: { server: "https://kubernetes.default.svc", namespace: systemNamespace },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } },
        },
      },
    }),
  );
}
