import { Project } from "@cdktf/provider-google/lib/project/index.js";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member/index.js";
import { ProjectService } from "@cdktf/provider-google/lib/project-service/index.js";
import { Construct } from "constructs";
import type { Environment } from "../config/schema.ts";

/**
 * What the deployer may do in an environment project: administer exactly the services the
 * platform stack manages. No primitive role (owner/editor) — a security review asks for this.
 */
export const deployerRoles = [
  "roles/serviceusage.serviceUsageAdmin",
  "roles/resourcemanager.projectIamAdmin",
  "roles/iam.serviceAccountAdmin",
  "roles/iam.serviceAccountUser",
  "roles/compute.networkAdmin",
  "roles/compute.securityAdmin",
  "roles/compute.loadBalancerAdmin",
  "roles/servicenetworking.networksAdmin",
  "roles/container.admin",
  "roles/cloudsql.admin",
  "roles/cloudkms.admin",
  "roles/dns.admin",
  "roles/artifactregistry.admin",
  "roles/storage.admin",
  "roles/secretmanager.admin",
  "roles/monitoring.admin",
] as const;

/**
 * What the planner may read to compute a plan: metadata and IAM policies, never secret values,
 * object contents or key material.
 */
export const plannerRoles = [
  "roles/browser",
  "roles/iam.securityReviewer",
  "roles/serviceusage.serviceUsageViewer",
  "roles/compute.viewer",
  "roles/container.clusterViewer",
  "roles/cloudsql.viewer",
  "roles/cloudkms.viewer",
  "roles/dns.reader",
  "roles/artifactregistry.reader",
  "roles/storage.bucketViewer",
  "roles/secretmanager.viewer",
  "roles/monitoring.viewer",
] as const;

// Enabled here, before any stack manages the project, because Terraform needs them to manage
// anything else (including enabling the other APIs).
const foundationApis = ["cloudresourcemanager.googleapis.com", "serviceusage.googleapis.com"];

export interface EnvironmentProjectProps {
  environment: Environment;
  deployerMember: string;
  plannerMember: string;
}

/**
 * An environment's GCP project, created under a folder or organization with billing, or adopted
 * as it is, with the CI identities granted exactly their roles on it.
 */
export class EnvironmentProject extends Construct {
  /** The project id, as a reference when the project is created here (so grants wait for it). */
  readonly projectId: string;

  constructor(scope: Construct, id: string, props: EnvironmentProjectProps) {
    super(scope, id);
    const { project, name } = props.environment;
    this.projectId = project.create
      ? new Project(this, "project", {
          projectId: project.id,
          name: project.create.name,
          folderId: project.create.folderId,
          orgId: project.create.orgId,
          billingAccount: project.create.billingAccount,
          // The platform stack builds its own custom-mode VPC; the default network's permissive
          // firewall rules would fail a review.
          autoCreateNetwork: false,
          deletionPolicy: "PREVENT",
          labels: { environment: name, "managed-by": "signet-bootstrap" },
        }).projectId
      : project.id;

    for (const api of foundationApis) {
      new ProjectService(this, api.split(".")[0] ?? api, {
        project: this.projectId,
        service: api,
        disableOnDestroy: false,
      });
    }
    this.grant("deployer", props.deployerMember, deployerRoles);
    this.grant("planner", props.plannerMember, plannerRoles);
  }

  private grant(prefix: string, member: string, roles: readonly string[]): void {
    for (const role of roles) {
      new ProjectIamMember(this, `${prefix}-${role.replace("roles/", "").replaceAll(".", "-")}`, {
        project: this.projectId,
        role,
        member,
      });
    }
  }
}
