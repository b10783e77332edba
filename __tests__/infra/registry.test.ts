import { describe, expect, it } from "vitest";
import { ImageRegistry, type ImageRegistryProps } from "../../src/gcp/registry.ts";
import { onlyResource, resourcesOf, synthConstruct } from "./support.ts";

const props: ImageRegistryProps = {
  project: "signet-staging",
  location: "europe-west1",
  repositoryId: "signet",
  keepRecentVersions: 20,
};

let registry: ImageRegistry | undefined;
const doc = synthConstruct((scope) => {
  registry = new ImageRegistry(scope, "registry", props);
  registry.grantReader("serviceAccount:nodes@signet-staging.iam.gserviceaccount.com", "nodes");
  registry.grantWriter("serviceAccount:images@signet-staging.iam.gserviceaccount.com", "images");
});
const repository = onlyResource(doc, "google_artifact_registry_repository");

describe("ImageRegistry", () => {
  it("is a Docker repository whose tags can never be moved", () => {
    expect(repository).toMatchObject({
      project: "signet-staging",
      location: "europe-west1",
      repository_id: "signet",
      format: "DOCKER",
      docker_config: { immutable_tags: true },
    });
  });

  it("really cleans up: keeps the newest versions and deletes untagged ones after 14 days", () => {
    expect(repository.cleanup_policy_dry_run).toBe(false);
    expect(repository.cleanup_policies).toEqual([
      { id: "keep-recent", action: "KEEP", most_recent_versions: { keep_count: 20 } },
      {
        id: "delete-untagged",
        action: "DELETE",
        condition: { tag_state: "UNTAGGED", older_than: "1209600s" },
      },
    ]);
  });

  it("scans images when the project's Container Scanning API is on", () => {
    expect(repository.vulnerability_scanning_config).toEqual({ enablement_config: "INHERITED" });
  });

  it("grants pull and push on this repository only", () => {
    const grants = resourcesOf(doc, "google_artifact_registry_repository_iam_member").map(([, g]) => g);
    expect(grants.map((g) => [g.role, g.member]).sort()).toEqual([
      ["roles/artifactregistry.reader", "serviceAccount:nodes@signet-staging.iam.gserviceaccount.com"],
      ["roles/artifactregistry.writer", "serviceAccount:images@signet-staging.iam.gserviceaccount.com"],
    ]);
    const [[repositoryId]] = resourcesOf(doc, "google_artifact_registry_repository") as [[string, unknown]];
    for (const grant of grants) {
      expect(grant.repository).toBe(`\${google_artifact_registry_repository.${repositoryId}.name}`);
    }
    expect(resourcesOf(doc, "google_project_iam_member")).toHaveLength(0);
  });

  it("names the pull URL images are referenced by", () => {
    expect(registry?.url).toBe("europe-west1-docker.pkg.dev/signet-staging/signet");
  });

  it("refuses a retention count that would keep nothing", () => {
    for (const keepRecentVersions of [0, -1, 2.5]) {
      expect(() =>
        synthConstruct((scope) => new ImageRegistry(scope, "registry", { ...props, keepRecentVersions })),
      ).toThrow(/keepRecentVersions must be a positive integer/);
    }
  });
});
