import { DataGoogleClientConfig } from "@cdktf/provider-google/lib/data-google-client-config/index.js";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider/index.js";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider/index.js";
import { Construct } from "constructs";

export interface ClusterAccessProps {
  /** The control plane's IAM-authenticated DNS endpoint (a host name, no scheme). */
  dnsEndpoint: string;
}

/**
 * The kubernetes and helm providers, authenticated as whoever runs Terraform with a short-lived
 * Google access token: no kubeconfig file, no long-lived credential. They reach the private
 * cluster through its DNS endpoint, where IAM rather than a network allow-list admits the caller,
 * so CI runners with changing addresses can apply. That endpoint presents a publicly trusted
 * certificate: passing the cluster's own CA would make TLS verification fail
 * (cloud.google.com/kubernetes-engine/docs/concepts/network-isolation#dns-based_endpoint).
 */
export class ClusterAccess extends Construct {
  readonly kubernetes: KubernetesProvider;
  readonly helm: HelmProvider;

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    const client = new DataGoogleClientConfig(this, "client");
    const connection = { host: `https://${props.dnsEndpoint}`, token: client.accessToken };
    this.kubernetes = new KubernetesProvider(this, "kubernetes", connection);
    this.helm = new HelmProvider(this, "helm", { kubernetes: connection });
  }
}
