import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { z } from "zod";

/** A Kubernetes object as rendered: plain data, no class instances, no undefined fields. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** A model built with the typed kubernetes-models classes (or a literal of ours), as plain data. */
export function toObject(model: object): KubernetesObject {
  const data = "toJSON" in model && typeof model.toJSON === "function" ? model.toJSON() : model;
  return JSON.parse(JSON.stringify(data)) as KubernetesObject;
}

/** Labels every Signet object carries; `app.kubernetes.io/name` is also the pod selector. */
export function labelsFor(app: string): Record<string, string> {
  return { "app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "signet" };
}

export function selectorFor(app: string): Record<string, string> {
  return { "app.kubernetes.io/name": app };
}

/** A Kubernetes service account that acts as `googleServiceAccount` through GKE Workload Identity. */
export function workloadServiceAccount(
  name: string,
  namespace: string,
  googleServiceAccount: string,
): KubernetesObject {
  return toObject(
    new ServiceAccount({
      metadata: {
        name,
        namespace,
        labels: labelsFor(name),
        annotations: { "iam.gke.io/gcp-service-account": googleServiceAccount },
      },
      // Pods mount a token only where they ask for one (the prober's projected token).
      automountServiceAccountToken: false,
    }),
  );
}

export function configMap(
  name: string,
  namespace: string,
  app: string,
  data: Record<string, string>,
): KubernetesObject {
  return toObject(new ConfigMap({ metadata: { name, namespace, labels: labelsFor(app) }, data }));
}

/** The one-line reason a chart's values were refused: `<chart> values: <field>: <problem>`. */
export class ChartValuesError extends Error {
  override readonly name = "ChartValuesError";
}

/** Parses a chart's values, so every chart starts from typed, checked input. */
export function parseValues<T extends z.ZodType>(chart: string, schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.length ? issue.path.join(".") : "(top level)";
  throw new ChartValuesError(`${chart} values: ${path}: ${issue?.message ?? "invalid"}`);
}

// Shared value schemas.
export const imageByDigest = z
  .string()
  .regex(
    /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+(:[\w.-]+)?@sha256:[a-f0-9]{64}$/,
    "expected an image by digest",
  );
export const googleServiceAccount = z.email().endsWith(".iam.gserviceaccount.com");
export const kmsKeyVersion = z
  .string()
  .regex(
    /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+\/cryptoKeyVersions\/\d+$/,
    "expected a KMS key version resource name",
  );
export const pem = z
  .string()
  .regex(
    /^(-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?)+$/,
    "expected PEM certificates",
  );
export const hostname = z
  .string()
  .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "expected a DNS name");
export const resources = z.strictObject({
  requests: z.strictObject({ cpu: z.string(), memory: z.string() }),
  limits: z.strictObject({ cpu: z.string(), memory: z.string() }),
});
