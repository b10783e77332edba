import { BackendConfig } from "@kubernetes-models/gke/cloud.google.com/v1/BackendConfig";
import { ManagedCertificate } from "@kubernetes-models/gke/networking.gke.io/v1/ManagedCertificate";
import { FrontendConfig } from "@kubernetes-models/gke/networking.gke.io/v1beta1/FrontendConfig";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { type KubernetesObject, labelsFor, toObject } from "./kubernetes.ts";

/**
 * Google's front ends and health checkers reach backends from these ranges
 * (cloud.google.com/load-balancing/docs/health-checks#fw-rule); the CA believes X-Forwarded-For
 * from them, and the network policies admit them.
 */
export const googleFrontEndRanges = ["130.211.0.0/22", "35.191.0.0/16"] as const;

export interface PublicEndpointProps {
  /** The endpoint's name in src/gcp/dns.ts: `ca`, `rekor`, `tsa` or `ctlog`. */
  endpoint: string;
  namespace: string;
  hostname: string;
  /** The Service (and its BackendConfig) the endpoint routes to. */
  service: string;
  port: number;
}

/** The platform's reserved global address for an endpoint (src/gcp/dns.ts names it `<name>-endpoint`). */
export function staticAddressName(endpoint: string): string {
  return `${endpoint}-endpoint`;
}

/**
 * One public HTTPS endpoint: a GKE Ingress (global external Application Load Balancer) on the
 * address the platform reserved, with a Google-managed certificate for its one host name and
 * plain HTTP redirected to HTTPS. The addresses and their A records are Terraform's, so a
 * rebuilt load balancer keeps what clients resolve.
 */
export function publicEndpoint(props: PublicEndpointProps): KubernetesObject[] {
  const { endpoint, namespace } = props;
  const labels = labelsFor(props.service);
  const certificate = new ManagedCertificate({
    metadata: { name: endpoint, namespace, labels },
    spec: { domains: [props.hostname] },
  });
  const frontend = new FrontendConfig({
    metadata: { name: endpoint, namespace, labels },
    spec: { redirectToHttps: { enabled: true, responseCodeName: "MOVED_PERMANENTLY_DEFAULT" } },
  });
  const ingress = new Ingress({
    metadata: {
      name: endpoint,
      namespace,
      labels,
      annotations: {
        // GKE still selects its controller by this annotation (there is no `gce` IngressClass object).
        "kubernetes.io/ingress.class": "gce",
        "kubernetes.io/ingress.global-static-ip-name": staticAddressName(endpoint),
        "networking.gke.io/managed-certificates": endpoint,
        "networking.gke.io/v1beta1.FrontendConfig": endpoint,
      },
    },
    spec: {
      rules: [
        {
          host: props.hostname,
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: props.service, port: { number: props.port } } },
              },
            ],
          },
        },
      ],
    },
  });
  return [toObject(certificate), toObject(frontend), toObject(ingress)];
}

/**
 * The load balancer's view of a backend: health from /readyz on the serving port (a pod whose
 * storage is unreachable leaves rotation), and time for an in-flight request to finish when a
 * pod goes away.
 */
export function backendConfig(service: string, namespace: string, port: number): KubernetesObject {
  return toObject(
    new BackendConfig({
      metadata: { name: service, namespace, labels: labelsFor(service) },
      spec: {
        healthCheck: {
          type: "HTTP",
          requestPath: "/readyz",
          port,
          checkIntervalSec: 5,
          timeoutSec: 3,
          healthyThreshold: 1,
          unhealthyThreshold: 2,
        },
        timeoutSec: 30,
        connectionDraining: { drainingTimeoutSec: 30 },
        logging: { enable: true, sampleRate: 1 },
      },
    }),
  );
}
