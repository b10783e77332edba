import { describe, expect, it } from "vitest";
import { ExternalSecretSlots, platformSecretIds } from "../../src/gcp/secrets.ts";
import { resourcesOf, synthConstruct } from "./support.ts";

const eso = "serviceAccount:signet-eso@signet-staging.iam.gserviceaccount.com";
let slots: ExternalSecretSlots | undefined;
const doc = synthConstruct((scope) => {
  slots = new ExternalSecretSlots(scope, "secrets", {
    project: "signet-staging",
    secretIds: platformSecretIds,
    replicaLocations: ["europe-west1"],
  });
  slots.grantAccessor("argocd-repository-ssh-key", eso, "eso-ssh");
});
const secrets = resourcesOf(doc, "google_secret_manager_secret");

describe("ExternalSecretSlots", () => {
  it("holds the platform's secrets and nothing the prober would need", () => {
    expect([...platformSecretIds].sort()).toEqual([
      "alertmanager-pagerduty-key",
      "argocd-notifications-slack-token",
      "argocd-repository-ssh-key",
    ]);
    expect(secrets.map(([, s]) => s.secret_id).sort()).toEqual([...platformSecretIds].sort());
    expect(Object.keys(slots?.secrets ?? {}).sort()).toEqual([...platformSecretIds].sort());
  });

  it("replicates each secret only to the configured locations", () => {
    for (const [, secret] of secrets) {
      expect(secret.project).toBe("signet-staging");
      expect(secret.replication).toEqual({ user_managed: { replicas: [{ location: "europe-west1" }] } });
    }
  });

  it("never puts a secret value into Terraform", () => {
    expect(resourcesOf(doc, "google_secret_manager_secret_version")).toHaveLength(0);
    expect(JSON.stringify(doc)).not.toMatch(/secret_data/);
  });

  it("grants access to one secret at a time, not project-wide", () => {
    const grants = resourcesOf(doc, "google_secret_manager_secret_iam_member").map(([, g]) => g);
    const [sshId] = secrets.find(([, s]) => s.secret_id === "argocd-repository-ssh-key") ?? [];
    expect(grants).toEqual([
      {
        project: `\${google_secret_manager_secret.${sshId}.project}`,
        secret_id: `\${google_secret_manager_secret.${sshId}.secret_id}`,
        role: "roles/secretmanager.secretAccessor",
        member: eso,
      },
    ]);
    expect(resourcesOf(doc, "google_project_iam_member")).toHaveLength(0);
  });

  it("refuses to grant access to a secret it does not hold", () => {
    expect(() => slots?.grantAccessor("prober-github-token", eso, "eso-github")).toThrow(
      'no secret "prober-github-token"',
    );
  });

  it("refuses secrets without a replica location or with an invalid id", () => {
    const build = (secretIds: string[], replicaLocations: string[]) => () =>
      synthConstruct(
        (scope) => new ExternalSecretSlots(scope, "s", { project: "p", secretIds, replicaLocations }),
      );
    expect(build(["a"], [])).toThrow(/replicaLocations must name at least one location/);
    expect(build(["not/valid"], ["europe-west1"])).toThrow(/invalid secret id "not\/valid"/);
  });
});
