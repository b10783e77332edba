import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { ExternalSecret } from "@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret";
import { BackendConfig } from "@kubernetes-models/gke/cloud.google.com/v1/BackendConfig";
import { ManagedCertificate } from "@kubernetes-models/gke/networking.gke.io/v1/ManagedCertificate";
import { FrontendConfig } from "@kubernetes-models/gke/networking.gke.io/v1beta1/FrontendConfig";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { z } from "zod";
import { argoCdNamespace } from "../src/cluster/argocd.ts";
import { clusterScopedKinds, gkeNamespaces, signetNamespaces } from "../src/cluster/project-scope.ts";
import type { KubernetesObject } from "./kubernetes.ts";
import { gmpSchemas } from "./platform/gmp.ts";

/** A rendered object that must not be written; the message is one line naming env, object and field. */
export class InvalidManifestError extends Error {
  override readonly name = "InvalidManifestError";
}

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/**
 * The OpenAPI (kubernetes-models) or CRD (its GKE, Argo CD and External Secrets packages) schema
 * of each kind we render. External Secrets: the `v1` API, which the pinned chart
 * (`cluster.externalSecrets.chartVersion`) serves and the cluster stack's ClusterSecretStore uses.
 */
const models: Record<string, ModelClass> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "networking.k8s.io/v1/Ingress": Ingress,
  "networking.gke.io/v1/ManagedCertificate": ManagedCertificate,
  "networking.gke.io/v1beta1/FrontendConfig": FrontendConfig,
  "cloud.google.com/v1/BackendConfig": BackendConfig,
  "argoproj.io/v1alpha1/Application": Application,
  "external-secrets.io/v1/ExternalSecret": ExternalSecret,
};

const namespaces = new Set<string>([argoCdNamespace, ...signetNamespaces]);

function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? (apiVersion.split("/")[0] ?? "") : "";
}

/** `/spec/template/0/x` (ajv) or ["spec", 0, "x"] (zod) as `spec.template[0].x`. */
function fieldPath(parts: ReadonlyArray<PropertyKey>): string {
  const path = parts
    .map((part) =>
      typeof part === "number" || /^\d+$/.test(String(part)) ? `[${String(part)}]` : `.${String(part)}`,
    )
    .join("")
    .replace(/^\./, "");
  return path === "" ? "(top level)" : path;
}

function schemaProblem(object: KubernetesObject): string | undefined {
  const key = `${object.apiVersion}/${object.kind}`;
  const model = models[key];
  if (model) {
    try {
      new model(object as never).validate();
      return undefined;
    } catch (error) {
      const first = (error as { errors?: Array<{ instancePath: string; message?: string }> }).errors?.[0];
      if (!first) return (error as Error).message;
      return `${fieldPath(first.instancePath.split("/").filter(Boolean))}: ${first.message ?? "invalid"}`;
    }
  }
  const crd =
    groupOf(object.apiVersion) === "monitoring.googleapis.com" ? gmpSchemas[object.kind] : undefined;
  if (crd) {
    const result = (crd as z.ZodType).safeParse(object);
    if (result.success) return undefined;
    const issue = result.error.issues[0];
    return `${fieldPath(issue?.path ?? [])}: ${issue?.message ?? "invalid"}`;
  }
  return `apiVersion: no schema for ${key}; add one to charts/validate.ts`;
}

/** What the `signet` AppProject would refuse to sync (src/cluster/root-application.ts). */
function projectProblem(object: KubernetesObject): string | undefined {
  const group = groupOf(object.apiVersion);
  const clusterScoped = clusterScopedKinds.some((k) => k.group === group && k.kind === object.kind);
  const namespace = object.metadata.namespace;
  if (clusterScoped) {
    if (namespace !== undefined) return "metadata.namespace: set on a cluster-scoped kind";
    return object.kind === "Namespace" && Object.hasOwn(gkeNamespaces, object.metadata.name)
      ? "metadata.name: GKE creates and owns this namespace; do not render it"
      : undefined;
  }
  if (namespace === undefined)
    return "metadata.namespace: missing, and the AppProject allows no other cluster-scoped kind";
  if (Object.hasOwn(gkeNamespaces, namespace)) {
    const kinds: ReadonlyArray<{ group: string; kind: string }> =
      gkeNamespaces[namespace as keyof typeof gkeNamespaces];
    return kinds.some((k) => k.group === group && k.kind === object.kind)
      ? undefined
      : `metadata.namespace: ${namespace} admits only ${kinds.map((k) => k.kind).join(", ")}`;
  }
  return namespaces.has(namespace) ? undefined : `metadata.namespace: ${namespace} is not a Signet namespace`;
}

/** Throws on the first object a schema or the AppProject would refuse. */
export function validateManifests(environment: string, objects: KubernetesObject[]): void {
  for (const object of objects) {
    const problem = schemaProblem(object) ?? projectProblem(object);
    if (problem !== undefined) {
      const where = object.metadata.namespace ? `${object.metadata.namespace}/` : "";
      throw new InvalidManifestError(
        `${environment}: ${object.kind} ${where}${object.metadata.name}: ${problem}`,
      );
    }
  }
}
