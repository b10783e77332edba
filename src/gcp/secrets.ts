import { SecretManagerSecret } from "@cdktf/provider-google/lib/secret-manager-secret/index.js";
import { SecretManagerSecretIamMember } from "@cdktf/provider-google/lib/secret-manager-secret-iam-member/index.js";
import { Construct } from "constructs";

/** The secrets External Secrets reads into the cluster of each environment. */
export const platformSecretIds = [
  "argocd-repository-ssh-key",
  "argocd-notifications-slack-token",
  "alertmanager-pagerduty-key",
] as const;

export interface ExternalSecretSlotsProps {
  project: string;
  secretIds: readonly string[];
  /** Where each secret's payload is stored; keeping it in the cluster's region keeps it there. */
  replicaLocations: string[];
}

// Secret Manager secret ids (https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/create).
const secretIdPattern = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * Empty Secret Manager secrets for External Secrets to read. Terraform creates the slot and who
 * may read it, never a version: values are added out of band (`gcloud secrets versions add`), so
 * they never appear in Terraform state, plans or CI logs.
 */
export class ExternalSecretSlots extends Construct {
  readonly secrets: Record<string, SecretManagerSecret>;

  constructor(scope: Construct, id: string, props: ExternalSecretSlotsProps) {
    super(scope, id);
    if (props.replicaLocations.length === 0) {
      throw new Error("ExternalSecretSlots: replicaLocations must name at least one location");
    }
    this.secrets = {};
    for (const secretId of props.secretIds) {
      if (!secretIdPattern.test(secretId)) {
        throw new Error(`ExternalSecretSlots: invalid secret id "${secretId}" (letters, digits, - and _)`);
      }
      this.secrets[secretId] = new SecretManagerSecret(this, secretId, {
        project: props.project,
        secretId,
        replication: {
          userManaged: { replicas: props.replicaLocations.map((location) => ({ location })) },
        },
        labels: { consumer: "external-secrets" },
      });
    }
  }

  /** Lets `member` read the versions of one secret, and no other. */
  grantAccessor(secretId: string, member: string, id: string): SecretManagerSecretIamMember {
    const secret = this.secrets[secretId];
    if (secret === undefined) {
      throw new Error(`ExternalSecretSlots: no secret "${secretId}" to grant access to`);
    }
    return new SecretManagerSecretIamMember(this, id, {
      project: secret.project,
      secretId: secret.secretId,
      role: "roles/secretmanager.secretAccessor",
      member,
    });
  }
}
