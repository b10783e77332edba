import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member/index.js";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account/index.js";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member/index.js";
import { Construct } from "constructs";

export interface WorkloadIdentityProps {
  project: string;
  accountId: string;
  displayName: string;
  namespace: string;
  kubernetesServiceAccount: string;
  /** Project-wide roles; prefer granting on the resource (a key, a bucket, a secret) instead. */
  projectRoles?: string[];
}

// Primitive roles span every service in the project; no workload needs that much.
const primitiveRoles = new Set(["roles/owner", "roles/editor", "roles/viewer"]);

/**
 * A Google service account that exactly one Kubernetes service account may act as, through GKE
 * Workload Identity (https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity).
 */
export class WorkloadIdentity extends Construct {
  readonly serviceAccount: ServiceAccount;
  readonly email: string;
  readonly member: string;
  readonly namespace: string;
  readonly kubernetesServiceAccount: string;

  constructor(scope: Construct, id: string, props: WorkloadIdentityProps) {
    super(scope, id);
    const projectRoles = props.projectRoles ?? [];
    for (const role of projectRoles) {
      if (primitiveRoles.has(role)) {
        throw new Error(
          `WorkloadIdentity ${props.accountId}: primitive role ${role} is not allowed; grant a predefined or custom role`,
        );
      }
    }
    this.namespace = props.namespace;
    this.kubernetesServiceAccount = props.kubernetesServiceAccount;
    this.serviceAccount = new ServiceAccount(this, "account", {
      project: props.project,
      accountId: props.accountId,
      displayName: props.displayName,
      description: `Workload Identity of ${props.namespace}/${props.kubernetesServiceAccount}`,
    });
    this.email = this.serviceAccount.email;
    this.member = `serviceAccount:${this.email}`;

    new ServiceAccountIamMember(this, "workload-identity", {
      serviceAccountId: this.serviceAccount.name,
      role: "roles/iam.workloadIdentityUser",
      member: `serviceAccount:${props.project}.svc.id.goog[${props.namespace}/${props.kubernetesServiceAccount}]`,
    });
    for (const role of projectRoles) {
      new ProjectIamMember(this, `role-${role.replace(/[^A-Za-z0-9]+/g, "-")}`, {
        project: props.project,
        role,
        member: this.member,
      });
    }
  }
}
