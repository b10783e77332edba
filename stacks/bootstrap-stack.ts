import { ProjectService } from "@cdktf/provider-google/lib/project-service/index.js";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider/index.js";
import type { Construct } from "constructs";
import { GcsBackend, LocalBackend, TerraformOutput, TerraformStack } from "../src/cdktf.ts";
import type { Bootstrap, Environment } from "../src/config/schema.ts";
import { EnvironmentProject } from "../src/gcp/environment-project.ts";
import { GithubFederation } from "../src/gcp/github-federation.ts";
import { StateBucket } from "../src/gcp/state-bucket.ts";

export interface BootstrapStackProps {
  bootstrap: Bootstrap;
  environments: Environment[];
}

// The administrative project needs these for federation and state.
const adminApis = [
  "iam.googleapis.com",
  "iamcredentials.googleapis.com",
  "sts.googleapis.com",
  "storage.googleapis.com",
  "cloudresourcemanager.googleapis.com",
];

/**
 * Applied once by a person with organization rights: state buckets, the GitHub federation, the
 * planner and deployer, and each environment's project with their grants. Runs on local state
 * the first time (`stateBackend: local`), then migrates into its own bucket.
 */
export class BootstrapStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id);
    const { bootstrap, environments } = props;
    new GoogleProvider(this, "google", { project: bootstrap.project, region: bootstrap.region });
    if (bootstrap.stateBackend === "gcs") {
      new GcsBackend(this, { bucket: bootstrap.stateBucket, prefix: "bootstrap" });
    } else {
      new LocalBackend(this, { path: "terraform.bootstrap.tfstate" });
    }

    for (const api of adminApis) {
      new ProjectService(this, `api-${api.split(".")[0]}`, {
        project: bootstrap.project,
        service: api,
        disableOnDestroy: false,
      });
    }

    const federation = new GithubFederation(this, "github", {
      project: bootstrap.project,
      repository: bootstrap.github.repository,
      deployBranch: bootstrap.github.deployBranch,
    });
    const planner = `serviceAccount:${federation.planner.email}`;
    const deployer = `serviceAccount:${federation.deployer.email}`;

    const own = new StateBucket(this, "state-bootstrap", {
      project: bootstrap.project,
      location: bootstrap.region,
      name: bootstrap.stateBucket,
    });
    own.grant("planner", planner, "roles/storage.objectViewer");

    for (const environment of environments) {
      const state = new StateBucket(this, `state-${environment.name}`, {
        project: bootstrap.project,
        location: environment.region,
        name: environment.state.bucket,
      });
      // The planner reads state without taking the lock (`plan -lock=false`): it writes nothing.
      state.grant("planner", planner, "roles/storage.objectViewer");
      state.grant("deployer", deployer, "roles/storage.objectUser");
      new EnvironmentProject(this, `project-${environment.name}`, {
        environment,
        deployerMember: deployer,
        plannerMember: planner,
      });
    }

    new TerraformOutput(this, "workload_identity_provider", { value: federation.provider.name });
    new TerraformOutput(this, "planner_service_account", { value: federation.planner.email });
    new TerraformOutput(this, "deployer_service_account", { value: federation.deployer.email });
  }
}
