import { z } from "zod";

// Kubernetes resource quantities as we write them: CPU in cores or millicores, memory in Mi/Gi.
const cpu = z.string().regex(/^(\d+m|\d+(\.\d+)?)$/, "expected CPU as cores (1, 0.5) or millicores (250m)");
const memory = z.string().regex(/^\d+(Mi|Gi)$/, "expected memory in Mi or Gi (256Mi)");

const resources = z.strictObject({
  requests: z.strictObject({ cpu, memory }),
  limits: z.strictObject({ cpu, memory }),
});

export type Resources = z.infer<typeof resources>;

const replicas = z.number().int().min(0).max(20);
const ipv4 = z.ipv4("expected an IPv4 address");

/** An OIDC issuer the CA accepts, in the shape of `SIGNET_CA_ISSUERS` (services/ca/config.ts). */
const issuer = z
  .strictObject({
    url: z.url().optional(),
    metaUrl: z
      .string()
      .regex(/^https:\/\//, "expected an https URL pattern")
      .optional(),
    clientId: z.string().min(1).optional(),
    type: z.enum(["email", "kubernetes", "github-workflow", "uri", "spiffe"]),
    subjectDomain: z.string().min(1).optional(),
  })
  .refine((i) => (i.url === undefined) !== (i.metaUrl === undefined), "exactly one of url and metaUrl");

export type Issuer = z.infer<typeof issuer>;

// A KMS key version is introduced through the trusted root before a service signs with it
// (docs/runbooks/rotate-signing-key.md), so which version each service uses is configuration.
const keyVersion = z.number().int().min(1);

/**
 * What the charts need beyond the platform's shape: sizes, replicas, the issuers the CA accepts
 * and the key versions in use. Every field has a default, so an environment file may leave the
 * section out.
 */
export const chartsSchema = z.strictObject({
  ca: z
    .strictObject({
      // The HPA scales between `replicas` and `maxReplicas`.
      replicas: replicas.min(1).default(1),
      maxReplicas: replicas.min(1).default(4),
      resources: resources.default({
        requests: { cpu: "250m", memory: "256Mi" },
        limits: { cpu: "1", memory: "512Mi" },
      }),
      // Issuers besides the cluster's own, which the prober's projected token comes from.
      issuers: z
        .array(issuer)
        .default([{ url: "https://token.actions.githubusercontent.com", type: "github-workflow" }]),
      // The CA's load balancer appends its own address to X-Forwarded-For; trusting it lets the
      // per-address rate limit key on the client (the platform stack's output `ca_address`).
      loadBalancerAddress: ipv4.optional(),
    })
    .refine((ca) => ca.maxReplicas >= ca.replicas, {
      message: "maxReplicas must be at least replicas",
      path: ["maxReplicas"],
    })
    .prefault({}),
  log: z
    .strictObject({
      // 0 stops the log (docs/runbooks/restore-log-database.md step 1).
      replicas: replicas.default(1),
      resources: resources.default({
        requests: { cpu: "500m", memory: "512Mi" },
        limits: { cpu: "2", memory: "1Gi" },
      }),
      // The CT log's tree lives in the first shard's database beside the Rekor tree.
      ctTreeId: z
        .string()
        .regex(/^[1-9]\d{0,18}$/, "tree id is a positive 64-bit decimal number")
        .default("6962"),
    })
    .prefault({}),
  prober: z
    .strictObject({
      resources: resources.default({
        requests: { cpu: "100m", memory: "256Mi" },
        limits: { cpu: "1", memory: "512Mi" },
      }),
    })
    .prefault({}),
  // Stakater Reloader's chart, pinned like the cluster stack's charts; upgrade staging first.
  reloader: z
    .strictObject({
      chartVersion: z
        .string()
        .regex(/^\d+\.\d+\.\d+$/, "pin an exact chart version (x.y.z)")
        .default("2.2.16"),
    })
    .prefault({}),
  keyVersions: z
    .strictObject({
      ca: keyVersion.default(1),
      log: keyVersion.default(1),
      ctlog: keyVersion.default(1),
      tsa: keyVersion.default(1),
    })
    .prefault({}),
});

export type Charts = z.infer<typeof chartsSchema>;
