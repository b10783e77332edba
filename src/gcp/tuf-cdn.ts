import { createHash } from "node:crypto";
import { ComputeBackendBucket } from "@cdktf/provider-google/lib/compute-backend-bucket/index.js";
import type { ComputeGlobalAddress } from "@cdktf/provider-google/lib/compute-global-address/index.js";
import { ComputeGlobalForwardingRule } from "@cdktf/provider-google/lib/compute-global-forwarding-rule/index.js";
import { ComputeManagedSslCertificate } from "@cdktf/provider-google/lib/compute-managed-ssl-certificate/index.js";
import { ComputeSslPolicy } from "@cdktf/provider-google/lib/compute-ssl-policy/index.js";
import { ComputeTargetHttpProxy } from "@cdktf/provider-google/lib/compute-target-http-proxy/index.js";
import { ComputeTargetHttpsProxy } from "@cdktf/provider-google/lib/compute-target-https-proxy/index.js";
import { ComputeUrlMap } from "@cdktf/provider-google/lib/compute-url-map/index.js";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket/index.js";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member/index.js";
import { Construct } from "constructs";

export interface TufDistributionProps {
  project: string;
  bucketName: string;
  location: string;
  /** The public name clients fetch TUF metadata from, e.g. `tuf.staging.signet.example.com`. */
  hostname: string;
  /** The reserved global address the hostname resolves to. */
  address: ComputeGlobalAddress;
}

const day = 24 * 3600;

/**
 * The TUF repository clients bootstrap trust from: a versioned bucket published to by the
 * signing ceremony and the online timestamp role, served through Cloud CDN behind a global HTTPS
 * load balancer, with plain HTTP redirected to HTTPS.
 */
export class TufDistribution extends Construct {
  readonly bucket: StorageBucket;
  readonly backendBucket: ComputeBackendBucket;
  readonly url: string;

  constructor(scope: Construct, id: string, props: TufDistributionProps) {
    super(scope, id);
    const project = props.project;
    this.url = `https://${props.hostname}`;

    this.bucket = new StorageBucket(this, "bucket", {
      project,
      name: props.bucketName,
      location: props.location,
      storageClass: "STANDARD",
      uniformBucketLevelAccess: true,
      // The objects are public on purpose, so prevention is left to the organization policy.
      publicAccessPrevention: "inherited",
      // Every overwritten metadata file stays recoverable: a bad publish is undone by restoring
      // the previous generation.
      versioning: { enabled: true },
      lifecycleRule: [
        { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: 730 } },
        { action: { type: "Delete" }, condition: { numNewerVersions: 10, withState: "ARCHIVED" } },
      ],
      // Browser-based verifiers fetch metadata cross-origin.
      cors: [
        { origin: ["*"], method: ["GET", "HEAD"], responseHeader: ["Content-Type"], maxAgeSeconds: 3600 },
      ],
      softDeletePolicy: { retentionDurationSeconds: 30 * day },
      forceDestroy: false,
      labels: { purpose: "tuf-repository" },
    });
    // TUF metadata and targets are public by design: their integrity comes from the signatures
    // they carry, not from who may read them.
    new StorageBucketIamMember(this, "public-read", {
      bucket: this.bucket.name,
      role: "roles/storage.objectViewer",
      member: "allUsers",
    });

    this.backendBucket = new ComputeBackendBucket(this, "backend", {
      project,
      name: "tuf-backend",
      bucketName: this.bucket.name,
      description: `CDN for ${props.hostname}`,
      enableCdn: true,
      compressionMode: "AUTOMATIC",
      cdnPolicy: {
        // Publishers set Cache-Control per object: versioned files are immutable and cache long,
        // timestamp.json is no-store or a short max-age so clients see a new one within minutes.
        // Without a header GCS answers `public, max-age=3600`, too long for timestamp.json.
        cacheMode: "USE_ORIGIN_HEADERS",
        // Clients reject expired metadata themselves, so a stale copy during an origin outage is
        // safe to serve and better than an error.
        serveWhileStale: day,
        requestCoalescing: true,
      },
    });

    const sslPolicy = new ComputeSslPolicy(this, "tls", {
      project,
      name: "tuf-tls",
      profile: "MODERN",
      minTlsVersion: "TLS_1_2",
    });
    const certificate = new ComputeManagedSslCertificate(this, "certificate", {
      project,
      // The domains of a managed certificate cannot change in place; a name derived from the
      // hostname lets the replacement be created and attached before the old one is deleted.
      name: `tuf-${createHash("sha256").update(props.hostname).digest("hex").slice(0, 8)}`,
      managed: { domains: [props.hostname] },
      lifecycle: { createBeforeDestroy: true },
    });
    const httpsMap = new ComputeUrlMap(this, "https-map", {
      project,
      name: "tuf-https",
      defaultService: this.backendBucket.id,
    });
    const httpsProxy = new ComputeTargetHttpsProxy(this, "https-proxy", {
      project,
      name: "tuf-https",
      urlMap: httpsMap.id,
      sslCertificates: [certificate.id],
      sslPolicy: sslPolicy.id,
    });
    this.forwardingRule("https", project, props.address, "443", httpsProxy.id);

    const redirectMap = new ComputeUrlMap(this, "http-map", {
      project,
      name: "tuf-http-redirect",
      defaultUrlRedirect: {
        httpsRedirect: true,
        redirectResponseCode: "MOVED_PERMANENTLY_DEFAULT",
        stripQuery: false,
      },
    });
    const httpProxy = new ComputeTargetHttpProxy(this, "http-proxy", {
      project,
      name: "tuf-http-redirect",
      urlMap: redirectMap.id,
    });
    this.forwardingRule("http", project, props.address, "80", httpProxy.id);
  }

  /** Lets `member` create and overwrite objects in this bucket only (the TUF publisher). */
  grantPublisher(member: string, id: string): StorageBucketIamMember {
    return new StorageBucketIamMember(this, id, {
      bucket: this.bucket.name,
      role: "roles/storage.objectUser",
      member,
    });
  }

  private forwardingRule(
    id: string,
    project: string,
    address: ComputeGlobalAddress,
    port: string,
    target: string,
  ): ComputeGlobalForwardingRule {
    return new ComputeGlobalForwardingRule(this, `${id}-rule`, {
      project,
      name: `tuf-${id}`,
      ipAddress: address.address,
      ipProtocol: "TCP",
      portRange: port,
      loadBalancingScheme: "EXTERNAL_MANAGED",
      target,
    });
  }
}
