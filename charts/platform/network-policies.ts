import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyEgressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule";
import type { INetworkPolicyIngressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import { googleFrontEndRanges } from "../endpoint.ts";
import { type KubernetesObject, selectorFor, toObject } from "../kubernetes.ts";
import { signetServices, systemNamespace } from "../services.ts";

export interface NetworkValues {
  /** The GKE control plane's private range: the reloader talks to the API server there. */
  controlPlaneCidr: string;
  /** Private services access: Cloud SQL's private IPs, reached by the Auth Proxy. */
  privateServicesCidr: string;
}

const tcp = (port: number) => ({ protocol: "TCP" as const, port });
const namespaceNamed = (name: string): INetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
});

// Managed Prometheus's collectors scrape from this namespace.
const collectors = namespaceNamed("gke-gmp-system");
const frontEnds: INetworkPolicyPeer[] = googleFrontEndRanges.map((cidr) => ({ ipBlock: { cidr } }));

/** Public addresses only: Google APIs, OIDC issuers, our own public endpoints through their load balancers. */
const internetHttps: INetworkPolicyEgressRule = {
  to: [
    {
      ipBlock: {
        cidr: "0.0.0.0/0",
        except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"],
      },
    },
  ],
  ports: [tcp(443)],
};

/**
 * The GKE metadata server, which serves Workload Identity tokens: 169.254.169.254:80, and
 * 169.254.169.252:988 where GKE Dataplane V2 enforces the policy on its backend.
 */
const metadataServer: INetworkPolicyEgressRule[] = [
  { to: [{ ipBlock: { cidr: "169.254.169.254/32" } }], ports: [tcp(80)] },
  { to: [{ ipBlock: { cidr: "169.254.169.252/32" } }], ports: [tcp(988)] },
];

function policy(
  name: string,
  namespace: string,
  app: string | undefined,
  rules: { ingress?: INetworkPolicyIngressRule[]; egress?: INetworkPolicyEgressRule[] },
): KubernetesObject {
  return toObject(
    new NetworkPolicy({
      metadata: { name, namespace, labels: { "app.kubernetes.io/part-of": "signet" } },
      spec: {
        podSelector: app === undefined ? {} : { matchLabels: selectorFor(app) },
        policyTypes: [
          ...(rules.ingress ? (["Ingress"] as const) : []),
          ...(rules.egress ? (["Egress"] as const) : []),
        ],
        ...rules,
      },
    }),
  );
}

/** Nothing in, nothing out, except name resolution; every other path is an explicit allow below. */
export function baselinePolicies(namespace: string): KubernetesObject[] {
  const dns: INetworkPolicyEgressRule = {
    to: [{ ...namespaceNamed("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
    ports: [
      { protocol: "UDP" as const, port: 53 },
      { protocol: "TCP" as const, port: 53 },
    ],
  };
  return [
    toObject(
      new NetworkPolicy({
        metadata: { name: "default-deny", namespace, labels: { "app.kubernetes.io/part-of": "signet" } },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      }),
    ),
    policy("allow-dns", namespace, undefined, { egress: [dns] }),
  ];
}

/** The paths each workload needs, and no others. */
export function workloadPolicies(values: NetworkValues): KubernetesObject[] {
  const { ca, log, prober } = signetServices;
  return [
    policy("ca", ca.namespace, "ca", {
      ingress: [
        { from: frontEnds, ports: [tcp(ca.port)] },
        { from: [collectors], ports: [tcp(ca.port)] },
      ],
      egress: [
        ...metadataServer,
        // Cloud KMS, and the OIDC issuers' discovery documents and keys.
        internetHttps,
        // Precertificates go to the CT log inside the cluster.
        {
          to: [{ ...namespaceNamed(log.namespace), podSelector: { matchLabels: selectorFor("log") } }],
          ports: [tcp(log.port)],
        },
      ],
    }),
    policy("log", log.namespace, "log", {
      ingress: [
        { from: frontEnds, ports: [tcp(log.port)] },
        {
          from: [{ ...namespaceNamed(ca.namespace), podSelector: { matchLabels: selectorFor("ca") } }],
          ports: [tcp(log.port)],
        },
        { from: [collectors], ports: [tcp(log.port)] },
      ],
      egress: [
        ...metadataServer,
        // Cloud KMS and the Cloud SQL Admin API the Auth Proxy asks for certificates.
        internetHttps,
        // The Auth Proxy's connections to the instances' private IPs.
        { to: [{ ipBlock: { cidr: values.privateServicesCidr } }], ports: [tcp(3307)] },
      ],
    }),
    policy("prober", prober.namespace, "prober", {
      ingress: [{ from: [collectors], ports: [tcp(prober.port)] }],
      // It probes the public endpoints as clients do, through the load balancers.
      egress: [internetHttps],
    }),
    policy("reloader", systemNamespace, "reloader", {
      egress: [{ to: [{ ipBlock: { cidr: values.controlPlaneCidr } }], ports: [tcp(443)] }],
    }),
  ];
}
