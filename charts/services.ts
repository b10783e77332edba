/**
 * Where each Signet service runs: its namespace (bound to its Google service account in
 * stacks/platform-stack.ts), and the port it serves its API, probes and /metrics on (the
 * services' defaults: services/<svc>/config.ts).
 */
export const signetServices = {
  ca: { namespace: "signet-ca", port: 3001 },
  log: { namespace: "signet-log", port: 3000 },
  prober: { namespace: "signet-prober", port: 8080 },
} as const;

export type SignetService = keyof typeof signetServices;

/** The reloader and other cluster add-ons of ours. */
export const systemNamespace = "signet-system";

/** In-cluster URL of a service, for calls that must not leave the cluster (the CA's CT submissions). */
export function clusterUrl(service: SignetService): string {
  const { namespace, port } = signetServices[service];
  return `http://${service}.${namespace}.svc.cluster.local:${port}`;
}
