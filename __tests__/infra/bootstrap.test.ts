import { describe, expect, it } from "vitest";
import { type App, Testing } from "../../src/cdktf.ts";
import { loadBootstrap } from "../../src/config/load.ts";
import type { Bootstrap, Environment } from "../../src/config/schema.ts";
import { deployerRoles, plannerRoles } from "../../src/gcp/environment-project.ts";
import { BootstrapStack } from "../../stacks/bootstrap-stack.ts";
import { production, resourcesOf, type Synthesized, staging } from "./support.ts";

const bootstrap = loadBootstrap();

function synth(
  config: Bootstrap = bootstrap,
  environments: Environment[] = [staging, production],
): Synthesized {
  const stack = new BootstrapStack(Testing.app() as App, "bootstrap", { bootstrap: config, environments });
  return JSON.parse(Testing.synth(stack)) as Synthesized;
}

const doc = synth();
const members = resourcesOf(doc, "google_project_iam_member").map(([, r]) => r);
const federationMember = (account: string) =>
  resourcesOf(doc, "google_service_account_iam_member").find(([name]) => name.includes(account))?.[1];

describe("bootstrap stack", () => {
  it("keeps state in versioned, private buckets Terraform will not destroy", () => {
    const buckets = resourcesOf(doc, "google_storage_bucket").map(([, b]) => b);
    expect(buckets.map((b) => b.name).sort()).toEqual([
      "signet-tfstate-bootstrap",
      "signet-tfstate-production",
      "signet-tfstate-staging",
    ]);
    for (const bucket of buckets) {
      expect(bucket).toMatchObject({
        uniform_bucket_level_access: true,
        public_access_prevention: "enforced",
        versioning: { enabled: true },
        force_destroy: false,
        lifecycle: { prevent_destroy: true },
      });
    }
  });

  it("stores its own state in its bucket once migrated, and locally before", () => {
    expect(doc.terraform?.backend).toEqual({
      gcs: { bucket: "signet-tfstate-bootstrap", prefix: "bootstrap" },
    });
    const first = synth({ ...bootstrap, stateBackend: "local" });
    expect(first.terraform?.backend).toEqual({ local: { path: "terraform.bootstrap.tfstate" } });
  });

  it("federates only the configured repository's GitHub Actions tokens", () => {
    const [[, provider]] = resourcesOf(doc, "google_iam_workload_identity_pool_provider") as [[string, any]];
    expect(provider.oidc.issuer_uri).toBe("https://token.actions.githubusercontent.com");
    expect(provider.attribute_condition).toBe('assertion.repository == "example-org/signet"');
  });

  it("lets any workflow of the repository plan, but only the deploy branch deploy", () => {
    expect(federationMember("planner")).toMatchObject({
      role: "roles/iam.workloadIdentityUser",
      member: expect.stringMatching(/\/attribute\.repository\/example-org\/signet$/),
    });
    expect(federationMember("deployer")).toMatchObject({
      role: "roles/iam.workloadIdentityUser",
      member: expect.stringMatching(/\/attribute\.repository_ref\/example-org\/signet@refs\/heads\/main$/),
    });
  });

  it("grants no primitive role to anyone", () => {
    expect(members.length).toBeGreaterThan(0);
    for (const member of members) {
      expect(["roles/owner", "roles/editor", "roles/viewer"]).not.toContain(member.role);
    }
  });

  it("gives the planner read-only roles in each environment project and read-only state", () => {
    for (const project of ["signet-staging", "signet-production"]) {
      const planner = members.filter((m) => m.project === project && String(m.member).includes("planner"));
      expect(planner.map((m) => m.role).sort()).toEqual([...plannerRoles].sort());
      for (const role of planner.map((m) => String(m.role))) {
        expect(role).toMatch(/viewer|Viewer|reader|Reviewer|browser|clusterViewer/);
      }
    }
    const stateGrants = resourcesOf(doc, "google_storage_bucket_iam_member").map(([, g]) => g);
    for (const grant of stateGrants.filter((g) => String(g.member).includes("planner"))) {
      expect(grant.role).toBe("roles/storage.objectViewer");
    }
  });

  it("gives the deployer exactly its admin roles in each environment project", () => {
    for (const project of ["signet-staging", "signet-production"]) {
      const deployer = members.filter((m) => m.project === project && String(m.member).includes("deployer"));
      expect(deployer.map((m) => m.role).sort()).toEqual([...deployerRoles].sort());
    }
  });

  it("creates an environment's project under its folder when configured to", () => {
    const created: Environment = {
      ...staging,
      project: {
        id: "signet-staging-new",
        create: {
          id: "signet-staging-new",
          name: "Signet staging",
          folderId: "123456",
          billingAccount: "ABCDEF-012345-6789AB",
        },
      },
    };
    const withProject = synth(bootstrap, [created]);
    const [[name, project]] = resourcesOf(withProject, "google_project") as [
      [string, Record<string, unknown>],
    ];
    expect(project).toMatchObject({
      project_id: "signet-staging-new",
      folder_id: "123456",
      billing_account: "ABCDEF-012345-6789AB",
      auto_create_network: false,
      deletion_policy: "PREVENT",
    });
    // Grants wait for the project: they reference it rather than repeating its id.
    const grants = resourcesOf(withProject, "google_project_iam_member").map(([, r]) => r.project);
    expect(new Set(grants)).toEqual(new Set([`\${google_project.${name}.project_id}`]));
  });

  it("adopts existing projects without managing them", () => {
    expect(resourcesOf(doc, "google_project")).toHaveLength(0);
  });
});

describe("bootstrap snapshot", () => {
  it("matches", () => {
    expect(doc).toMatchSnapshot();
  });
});
