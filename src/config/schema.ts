import { z } from "zod";
import { chartsSchema } from "./charts.ts";
import { cidr, overlappingCidrs } from "./cidr.ts";

// GCP project ids: 6-30 chars, lowercase letters, digits and hyphens, starting with a letter and
// not ending with a hyphen (https://cloud.google.com/resource-manager/docs/creating-managing-projects).
const projectId = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
    "invalid project id: 6-30 lowercase letters, digits or hyphens, starting with a letter",
  );

const region = z.string().regex(/^[a-z]+-[a-z]+\d+$/, "invalid region (e.g. europe-west1)");
const zone = z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, "invalid zone (e.g. europe-west1-b)");
const resourceName = z
  .string()
  .regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, "invalid name: lowercase letters, digits, hyphens");
const hostname = z.string().regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "invalid DNS name");
const hourMinute = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM (UTC)");

// Images are referenced by digest so what runs is exactly what was built and signed.
const imageRef = z
  .string()
  .regex(
    /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+(:[\w.-]+)?@sha256:[a-f0-9]{64}$/,
    "invalid image reference: expected <registry>/<path>[:tag]@sha256:<64 hex digits>",
  );

const projectCreate = z
  .strictObject({
    id: projectId,
    name: z.string().min(4).max(30),
    folderId: z.string().regex(/^\d+$/, "folder id is numeric").optional(),
    orgId: z.string().regex(/^\d+$/, "organization id is numeric").optional(),
    billingAccount: z
      .string()
      .regex(/^[A-F0-9]{6}-[A-F0-9]{6}-[A-F0-9]{6}$/, "billing account is XXXXXX-XXXXXX-XXXXXX"),
  })
  .refine((p) => (p.folderId === undefined) !== (p.orgId === undefined), {
    message: "exactly one of folderId and orgId is required",
  });

// Either adopt a project that exists, or create one under an organization or folder.
const project = z
  .strictObject({ adopt: z.strictObject({ id: projectId }).optional(), create: projectCreate.optional() })
  .refine((p) => (p.adopt === undefined) !== (p.create === undefined), {
    message: "exactly one of adopt and create is required",
  })
  .transform(({ adopt, create }) => ({ id: adopt?.id ?? create?.id ?? "", create }));

const network = z
  .strictObject({
    nodesCidr: cidr,
    podsCidr: cidr,
    servicesCidr: cidr,
    controlPlaneCidr: cidr.refine((c) => c.endsWith("/28"), "the GKE control plane range is a /28"),
    privateServicesCidr: cidr.refine(
      (c) => Number(c.split("/")[1]) <= 24,
      "the private services access range must be /24 or larger",
    ),
    authorizedNetworks: z
      .array(z.strictObject({ name: z.string().min(1), cidr }))
      .min(1, "at least one network must be allowed to reach the GKE control plane"),
  })
  .superRefine((n, ctx) => {
    const ranges = {
      nodesCidr: n.nodesCidr,
      podsCidr: n.podsCidr,
      servicesCidr: n.servicesCidr,
      controlPlaneCidr: n.controlPlaneCidr,
      privateServicesCidr: n.privateServicesCidr,
    };
    for (const [a, b] of overlappingCidrs(ranges)) {
      ctx.addIssue({
        code: "custom",
        path: [b],
        message: `${ranges[b as keyof typeof ranges]} overlaps ${a} (${ranges[a as keyof typeof ranges]})`,
      });
    }
  });

const maintenanceWindow = z.strictObject({
  // RFC 5545 recurrence; GKE needs at least 48h of availability in any 32 days.
  start: hourMinute,
  durationHours: z.number().int().min(4).max(24),
  recurrence: z.string().regex(/^FREQ=(DAILY|WEEKLY)(;BYDAY=[A-Z,]+)?$/, "expected an RRULE"),
});

const gke = z.strictObject({
  releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE"]),
  machineType: z.string().regex(/^[a-z0-9]+-[a-z0-9-]+$/, "invalid machine type"),
  diskSizeGb: z.number().int().min(20).max(2000),
  diskType: z.enum(["pd-standard", "pd-balanced", "pd-ssd"]),
  minNodesPerZone: z.number().int().min(0).max(100),
  maxNodesPerZone: z.number().int().min(1).max(100),
  maintenanceWindow,
  deletionProtection: z.boolean(),
});

const shard = z.strictObject({
  name: resourceName.max(40),
  // Trillian-style tree id, unique per shard; entry UUIDs carry it as 16 hex digits.
  treeId: z.string().regex(/^[1-9]\d{0,18}$/, "tree id is a positive 64-bit decimal number"),
  state: z.enum(["active", "frozen"]),
});

const cloudSql = z
  .strictObject({
    databaseVersion: z.enum(["POSTGRES_15", "POSTGRES_16", "POSTGRES_17"]),
    tier: z.string().regex(/^db-[a-z0-9-]+$/, "invalid Cloud SQL tier"),
    edition: z.enum(["ENTERPRISE", "ENTERPRISE_PLUS"]),
    availability: z.enum(["ZONAL", "REGIONAL"]),
    diskSizeGb: z.number().int().min(10),
    backupRetentionDays: z.number().int().min(1).max(365),
    pointInTimeRecoveryDays: z.number().int().min(1).max(35),
    deletionProtection: z.boolean(),
    maintenanceWindow: z.strictObject({
      day: z.enum(["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]),
      hour: z.number().int().min(0).max(23),
    }),
    shards: z.array(shard).min(1, "at least one log shard is required"),
  })
  .superRefine((c, ctx) => {
    const active = c.shards.filter((s) => s.state === "active").length;
    if (active !== 1) {
      ctx.addIssue({
        code: "custom",
        path: ["shards"],
        message: `exactly one shard must be active, found ${active}`,
      });
    }
    for (const key of ["name", "treeId"] as const) {
      const seen = new Set<string>();
      c.shards.forEach((s, i) => {
        if (seen.has(s[key])) {
          ctx.addIssue({
            code: "custom",
            path: ["shards", i, key],
            message: `duplicate ${key} ${s[key]}`,
          });
        }
        seen.add(s[key]);
      });
    }
  });

const notificationChannel = z
  .strictObject({
    email: z.email().optional(),
    // Channels whose credentials must stay out of Terraform state (PagerDuty, Slack) are created
    // out of band and referenced by resource name.
    existing: z
      .string()
      .regex(
        /^projects\/[a-z][a-z0-9-]+\/notificationChannels\/\d+$/,
        "expected projects/<project>/notificationChannels/<id>",
      )
      .optional(),
  })
  .refine((c) => (c.email === undefined) !== (c.existing === undefined), {
    message: "exactly one of email and existing is required",
  });

// Third-party charts are pinned to an exact release, so an environment changes only when its file does.
const pinnedChart = z.strictObject({
  chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, "pin an exact chart version (x.y.z)"),
  // More than one runs the component highly available (leader election, redis-ha for Argo CD).
  replicas: z.number().int().min(1).max(5),
});

const cluster = z.strictObject({ argocd: pinnedChart, externalSecrets: pinnedChart });

export const environmentSchema = z.strictObject({
  name: resourceName.max(20),
  project,
  region,
  zones: z.array(zone).min(1),
  state: z.strictObject({ bucket: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/) }),
  dns: z.strictObject({ domain: hostname, zoneName: resourceName }),
  network,
  gke,
  cloudSql,
  kms: z.strictObject({ protectionLevel: z.enum(["SOFTWARE", "HSM"]) }),
  github: z.strictObject({
    repository: z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, "expected <owner>/<repository>"),
  }),
  alerts: z.strictObject({
    notificationChannels: z.array(notificationChannel).min(1),
    availabilityGoal: z.number().gt(0.9).lt(1),
  }),
  images: z.strictObject({ ca: imageRef, log: imageRef, prober: imageRef }),
  cluster,
  // Optional: sizes, replicas, issuers and key versions of the rendered manifests (charts/).
  charts: chartsSchema.prefault({}),
});

export type Environment = z.infer<typeof environmentSchema>;
export type Shard = z.infer<typeof shard>;
export type NotificationChannel = z.infer<typeof notificationChannel>;

export const bootstrapSchema = z.strictObject({
  // The administrative project that holds Terraform state and the GitHub federation pool.
  project: projectId,
  region,
  stateBucket: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/),
  // `local` for the very first apply (the bucket does not exist yet), then `gcs` and
  // `terraform init -migrate-state`.
  stateBackend: z.enum(["local", "gcs"]),
  github: z.strictObject({
    repository: z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, "expected <owner>/<repository>"),
    // Only this branch may impersonate the deployer.
    deployBranch: z.string().min(1),
  }),
  environments: z.array(resourceName).min(1),
});

export type Bootstrap = z.infer<typeof bootstrapSchema>;
