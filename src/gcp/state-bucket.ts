import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket/index.js";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member/index.js";
import { Construct } from "constructs";

export interface StateBucketProps {
  project: string;
  location: string;
  name: string;
}

/**
 * A Terraform state bucket: versioned so a bad apply can be rolled back, private, and never
 * destroyed by Terraform itself.
 */
export class StateBucket extends Construct {
  readonly bucket: StorageBucket;
  readonly name: string;

  constructor(scope: Construct, id: string, props: StateBucketProps) {
    super(scope, id);
    this.name = props.name;
    this.bucket = new StorageBucket(this, "bucket", {
      project: props.project,
      name: props.name,
      location: props.location,
      storageClass: "STANDARD",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      forceDestroy: false,
      // State history is the undo log of the infrastructure; keep a long, bounded tail of it.
      lifecycleRule: [
        { action: { type: "Delete" }, condition: { numNewerVersions: 50, withState: "ARCHIVED" } },
        { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: 365 } },
      ],
      softDeletePolicy: { retentionDurationSeconds: 30 * 24 * 3600 },
      labels: { purpose: "terraform-state" },
      lifecycle: { preventDestroy: true },
    });
  }

  /** Object-level access for one member; `roles/storage.objectViewer` for read-only planning. */
  grant(id: string, member: string, role: "roles/storage.objectViewer" | "roles/storage.objectUser"): void {
    new StorageBucketIamMember(this, id, { bucket: this.bucket.name, role, member });
  }
}
