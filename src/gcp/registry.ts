import { ArtifactRegistryRepository } from "@cdktf/provider-google/lib/artifact-registry-repository/index.js";
import { ArtifactRegistryRepositoryIamMember } from "@cdktf/provider-google/lib/artifact-registry-repository-iam-member/index.js";
import { Construct } from "constructs";

export interface ImageRegistryProps {
  project: string;
  location: string;
  repositoryId: string;
  /** How many of the newest versions of each image survive every cleanup. */
  keepRecentVersions: number;
}

const fourteenDays = `${14 * 24 * 3600}s`;

/**
 * The Docker repository the service images are pushed to and pulled from. Deployments reference
 * images by digest; tags are immutable so a tag, once signed and reviewed, always names the same
 * image. (A second signature cannot rewrite cosign's `sha256-<digest>.sig` tag: attach signatures
as OCI 1.1 referrers.)
 */
export class ImageRegistry extends Construct {
  readonly repository: ArtifactRegistryRepository;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ImageRegistryProps) {
    super(scope, id);
    if (!Number.isInteger(props.keepRecentVersions) || props.keepRecentVersions < 1) {
      throw new Error(
        `ImageRegistry ${props.repositoryId}: keepRecentVersions must be a positive integer, got ${props.keepRecentVersions}`,
      );
    }
    this.repository = new ArtifactRegistryRepository(this, "repository", {
      project: props.project,
      location: props.location,
      repositoryId: props.repositoryId,
      format: "DOCKER",
      description: "Signet service images",
      dockerConfig: { immutableTags: true },
      cleanupPolicyDryRun: false,
      // A keep rule wins over a delete rule, so a recent image is never removed even if untagged
      // (https://cloud.google.com/artifact-registry/docs/repositories/cleanup-policy-overview).
      cleanupPolicies: [
        {
          id: "keep-recent",
          action: "KEEP",
          mostRecentVersions: { keepCount: props.keepRecentVersions },
        },
        {
          id: "delete-untagged",
          action: "DELETE",
          condition: { tagState: "UNTAGGED", olderThan: fourteenDays },
        },
      ],
      // Follows the project's Container Scanning API: scanned when the API is on.
      vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
    });
    this.url = `${props.location}-docker.pkg.dev/${props.project}/${props.repositoryId}`;
  }

  /** Pull access for one member, on this repository only. */
  grantReader(member: string, id: string): ArtifactRegistryRepositoryIamMember {
    return this.grant(id, "roles/artifactregistry.reader", member);
  }

  /** Push access for one member (the image build), on this repository only. */
  grantWriter(member: string, id: string): ArtifactRegistryRepositoryIamMember {
    return this.grant(id, "roles/artifactregistry.writer", member);
  }

  private grant(id: string, role: string, member: string): ArtifactRegistryRepositoryIamMember {
    return new ArtifactRegistryRepositoryIamMember(this, id, {
      project: this.repository.project,
      location: this.repository.location,
      repository: this.repository.name,
      role,
      member,
    });
  }
}
