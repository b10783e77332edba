import { describe, expect, it } from "vitest";
import { TerraformOutput } from "../../src/cdktf.ts";
import { WorkloadIdentity, type WorkloadIdentityProps } from "../../src/gcp/identity.ts";
import { onlyResource, resourcesOf, synthConstruct } from "./support.ts";

const props: WorkloadIdentityProps = {
  project: "signet-staging",
  accountId: "signet-log",
  displayName: "Signet log",
  namespace: "signet-log",
  kubernetesServiceAccount: "log",
  projectRoles: ["roles/cloudsql.client", "roles/cloudsql.instanceUser"],
};

let identity: WorkloadIdentity | undefined;
const doc = synthConstruct((scope) => {
  identity = new WorkloadIdentity(scope, "wi-log", props);
  new TerraformOutput(scope, "email", { value: identity.email });
  new TerraformOutput(scope, "member", { value: identity.member });
});
const [[accountId]] = resourcesOf(doc, "google_service_account") as [[string, unknown]];
const email = `\${google_service_account.${accountId}.email}`;

describe("WorkloadIdentity", () => {
  it("creates the Google service account", () => {
    expect(onlyResource(doc, "google_service_account")).toMatchObject({
      project: "signet-staging",
      account_id: "signet-log",
      display_name: "Signet log",
    });
  });

  it("lets exactly one Kubernetes service account act as it", () => {
    expect(onlyResource(doc, "google_service_account_iam_member")).toEqual({
      service_account_id: `\${google_service_account.${accountId}.name}`,
      role: "roles/iam.workloadIdentityUser",
      member: "serviceAccount:signet-staging.svc.id.goog[signet-log/log]",
    });
  });

  it("grants each requested project role to this account", () => {
    const grants = resourcesOf(doc, "google_project_iam_member").map(([, g]) => g);
    expect(grants.map((g) => g.role).sort()).toEqual([
      "roles/cloudsql.client",
      "roles/cloudsql.instanceUser",
    ]);
    for (const grant of grants)
      expect(grant).toMatchObject({ project: "signet-staging", member: `serviceAccount:${email}` });
  });

  it("grants no project role unless asked", () => {
    const bare = synthConstruct(
      (scope) => new WorkloadIdentity(scope, "wi", { ...props, projectRoles: undefined }),
    );
    expect(resourcesOf(bare, "google_project_iam_member")).toHaveLength(0);
  });

  it("exposes the email, the IAM member and the Kubernetes identity it serves", () => {
    expect(doc.output?.email?.value).toBe(email);
    expect(doc.output?.member?.value).toBe(`serviceAccount:${email}`);
    expect(identity?.namespace).toBe("signet-log");
    expect(identity?.kubernetesServiceAccount).toBe("log");
  });

  it.each(["roles/owner", "roles/editor", "roles/viewer"])("refuses the primitive role %s", (role) => {
    expect(() =>
      synthConstruct(
        (scope) =>
          new WorkloadIdentity(scope, "wi", { ...props, projectRoles: ["roles/cloudsql.client", role] }),
      ),
    ).toThrow(`WorkloadIdentity signet-log: primitive role ${role} is not allowed`);
  });
});
