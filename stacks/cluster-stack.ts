import { GoogleProvider } from "@cdktf/provider-google/lib/provider/index.js";
import type { Construct } from "constructs";
import { GcsBackend, TerraformOutput, TerraformStack } from "../src/cdktf.ts";
import { ClusterAccess } from "../src/cluster/access.ts";
import { ArgoCd } from "../src/cluster/argocd.ts";
import { ArgoCdSecrets } from "../src/cluster/argocd-secrets.ts";
import { ExternalSecretsOperator, secretStoreName } from "../src/cluster/external-secrets.ts";
import { RootApplication } from "../src/cluster/root-application.ts";
import type { Environment } from "../src/config/schema.ts";
import type { PlatformStack } from "./platform-stack.ts";

export interface ClusterStackProps {
  env: Environment;
  platform: PlatformStack;
}

/**
 * The second stage of an environment: Argo CD and External Secrets on the platform's cluster, and
 * the root Application that hands everything else to Git. Values that only exist once the
 * platform is applied (the endpoint, the Google service account) are cross-stack references,
 * read from the platform's state.
 *
 * kubernetes_manifest reads its kind's schema from the cluster at plan time, so on a new cluster
 * the first apply targets the two helm releases, which install the CRDs, before the rest.
 */
export class ClusterStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id);
    const { env, platform } = props;
    new GoogleProvider(this, "google", { project: env.project.id, region: env.region });
    new GcsBackend(this, { bucket: env.state.bucket, prefix: "cluster" });
    new ClusterAccess(this, "access", { dnsEndpoint: platform.cluster.dnsEndpoint });

    const eso = platform.identities.externalSecrets;
    const externalSecrets = new ExternalSecretsOperator(this, "external-secrets", {
      chart: env.cluster.externalSecrets,
      project: env.project.id,
      clusterName: platform.cluster.name,
      clusterLocation: env.region,
      namespace: eso.namespace,
      serviceAccountName: eso.kubernetesServiceAccount,
      googleServiceAccount: eso.email,
    });
    const argocd = new ArgoCd(this, "argocd", { chart: env.cluster.argocd });

    const repositoryUrl = `git@github.com:${env.github.repository}.git`;
    new ArgoCdSecrets(this, "argocd-secrets", {
      namespace: argocd.namespace,
      repositoryUrl,
      dependsOn: [externalSecrets.store, argocd.release],
    });
    const root = new RootApplication(this, "root", {
      environment: env.name,
      repositoryUrl,
      namespace: argocd.namespace,
      revision: "main",
      dependsOn: [argocd.release],
    });

    new TerraformOutput(this, "argocd_namespace", { value: argocd.namespace });
    new TerraformOutput(this, "root_application", { value: `signet-${env.name}` });
    new TerraformOutput(this, "rendered_path", { value: root.path });
    new TerraformOutput(this, "secret_store", { value: secretStoreName });
  }
}
