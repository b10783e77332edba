/**
 * Helm values as the `values` argument of a release. JSON is YAML, and unlike `set` entries it
 * needs no escaping of dotted keys such as `iam.gke.io/gcp-service-account`; Terraform references
 * inside strings (a service account's email) are interpolated at apply time.
 */
export function helmValues(values: Record<string, unknown>): string[] {
  return [JSON.stringify(values, null, 2)];
}

/** A PodDisruptionBudget only where there is more than one replica to keep. */
export function disruptionBudget(replicas: number): { enabled: boolean; minAvailable?: number } {
  return replicas > 1 ? { enabled: true, minAvailable: 1 } : { enabled: false };
}
