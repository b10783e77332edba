import type { KubernetesObject } from "../kubernetes.ts";
import { type SignetService, signetServices } from "../services.ts";
import type { PodMonitoring } from "./gmp.ts";

/**
 * Managed Prometheus scrapes every service's /metrics on its serving port (the `http` container
 * port). The label `job` of the series is the PodMonitoring's name, i.e. the service.
 */
export function podMonitoring(service: SignetService): KubernetesObject {
  const object: PodMonitoring = {
    apiVersion: "monitoring.googleapis.com/v1",
    kind: "PodMonitoring",
    metadata: {
      name: service,
      namespace: signetServices[service].namespace,
      labels: { "app.kubernetes.io/part-of": "signet" },
    },
    spec: {
      selector: { matchLabels: { "app.kubernetes.io/name": service } },
      endpoints: [{ port: "http", path: "/metrics", interval: "30s", timeout: "10s" }],
      targetLabels: { metadata: ["pod", "container", "node", "top_level_controller_name"] },
    },
  };
  return object as KubernetesObject;
}
