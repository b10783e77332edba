import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest/index.js";
import { Construct } from "constructs";
import type { ITerraformDependable } from "../cdktf.ts";
import type { platformSecretIds } from "../gcp/secrets.ts";
import { notificationsSecretName } from "./argocd.ts";
import { secretStoreName } from "./external-secrets.ts";

type PlatformSecretId = (typeof platformSecretIds)[number];

export interface ArgoCdSecretsProps {
  namespace: string;
  /** The SSH URL Argo CD clones, `git@github.com:<owner>/<repository>.git`. */
  repositoryUrl: string;
  /** The store, and the Argo CD release whose namespace and controllers read these secrets. */
  dependsOn: ITerraformDependable[];
}

/**
 * Argo CD's credentials, copied from Secret Manager by External Secrets. Terraform only says
 * where each value lives: the values never enter a variable, a plan or the state.
 */
export class ArgoCdSecrets extends Construct {
  readonly repository: Manifest;
  readonly notifications: Manifest;

  constructor(scope: Construct, id: string, props: ArgoCdSecretsProps) {
    super(scope, id);
    const externalSecret = (
      name: string,
      template: Record<string, unknown>,
      data: Array<{ secretKey: string; remoteKey: PlatformSecretId }>,
    ) =>
      new Manifest(this, name, {
        manifest: {
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name, namespace: props.namespace },
          spec: {
            // A rotated value reaches the cluster within the hour.
            refreshInterval: "1h",
            secretStoreRef: { kind: "ClusterSecretStore", name: secretStoreName },
            target: { name, creationPolicy: "Owner", template: { engineVersion: "v2", ...template } },
            data: data.map(({ secretKey, remoteKey }) => ({
              secretKey,
              remoteRef: { key: remoteKey, version: "latest" },
            })),
          },
        },
        dependsOn: props.dependsOn,
      });

    // Argo CD recognises a repository by this label (argo-cd.readthedocs.io, declarative setup).
    this.repository = externalSecret(
      "signet-repository",
      {
        metadata: { labels: { "argocd.argoproj.io/secret-type": "repository" } },
        data: { type: "git", url: props.repositoryUrl, sshPrivateKey: "{{ .sshPrivateKey }}" },
      },
      [{ secretKey: "sshPrivateKey", remoteKey: "argocd-repository-ssh-key" }],
    );
    // Notification templates refer to the token as `$slack-token`.
    this.notifications = externalSecret(notificationsSecretName, {}, [
      { secretKey: "slack-token", remoteKey: "argocd-notifications-slack-token" },
    ]);
  }
}
