import { ProjectService } from "@cdktf/provider-google/lib/project-service/index.js";
import { Construct, type IConstruct } from "constructs";
import { dependable, type IAspect, TerraformResource } from "../cdktf.ts";

/** The Google APIs the platform uses; everything else stays disabled. */
export const platformApis = [
  "artifactregistry.googleapis.com",
  "certificatemanager.googleapis.com",
  "cloudkms.googleapis.com",
  "compute.googleapis.com",
  "container.googleapis.com",
  "containersecurity.googleapis.com",
  "dns.googleapis.com",
  "iam.googleapis.com",
  "iamcredentials.googleapis.com",
  "logging.googleapis.com",
  "monitoring.googleapis.com",
  "secretmanager.googleapis.com",
  "servicenetworking.googleapis.com",
  "sqladmin.googleapis.com",
  "storage.googleapis.com",
] as const;

/**
 * Enables the platform's APIs and makes every other resource of the stack wait for them: a
 * fresh project otherwise fails its first apply with "API not enabled" errors.
 */
export class ProjectServices extends Construct implements IAspect {
  readonly services: ProjectService[];

  constructor(scope: Construct, id: string, props: { project: string }) {
    super(scope, id);
    this.services = platformApis.map(
      (service) =>
        new ProjectService(this, service.split(".")[0] ?? service, {
          project: props.project,
          service,
          // Disabling an API on destroy would break anything else in the project using it.
          disableOnDestroy: false,
          disableDependentServices: false,
        }),
    );
  }

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource) || node instanceof ProjectService) return;
    const waits = this.services.map((service) => dependable(service));
    node.dependsOn = [...new Set([...(node.dependsOn ?? []), ...waits])];
  }
}
