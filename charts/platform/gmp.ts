import { z } from "zod";

/**
 * GKE Managed Prometheus custom resources (monitoring.googleapis.com/v1). No kubernetes-models
 * package covers them, so these schemas check the fields our charts use, strictly: a field we
 * did not mean to write is an error, as the API server's structural schema would make it one.
 * Reference: cloud.google.com/stackdriver/docs/managed-prometheus/setup-managed#config-mgd-collection
 * and .../rules-managed.
 */
const apiVersion = z.literal("monitoring.googleapis.com/v1");
const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "expected a DNS-1123 name");
const labelMap = z.record(z.string(), z.string());
// Prometheus durations: one or more of <n>d, h, m, s, ms.
const duration = z
  .string()
  .regex(/^(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/, "expected a duration like 30s or 5m")
  .min(2);

const metadata = z.strictObject({
  name,
  namespace: name.optional(),
  labels: labelMap.optional(),
  annotations: labelMap.optional(),
});

const scrapeEndpoint = z.strictObject({
  port: z.union([z.string().min(1), z.number().int().min(1).max(65535)]),
  path: z.string().startsWith("/").optional(),
  interval: duration.optional(),
  timeout: duration.optional(),
  scheme: z.enum(["http", "https"]).optional(),
});

export const podMonitoringSchema = z.strictObject({
  apiVersion,
  kind: z.literal("PodMonitoring"),
  metadata: metadata.extend({ namespace: name }),
  spec: z.strictObject({
    selector: z.strictObject({ matchLabels: labelMap }),
    endpoints: z.array(scrapeEndpoint).min(1),
    targetLabels: z
      .strictObject({
        metadata: z.array(
          z.enum(["pod", "container", "node", "top_level_controller_name", "top_level_controller_type"]),
        ),
      })
      .optional(),
  }),
});

export type PodMonitoring = z.infer<typeof podMonitoringSchema>;

const rule = z
  .strictObject({
    alert: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an alert name")
      .optional(),
    record: z
      .string()
      .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "expected a metric name")
      .optional(),
    expr: z.string().min(1),
    for: duration.optional(),
    labels: labelMap.optional(),
    annotations: labelMap.optional(),
  })
  .refine((r) => (r.alert === undefined) !== (r.record === undefined), "exactly one of alert and record");

export type Rule = z.infer<typeof rule>;

const rulesSpec = z.strictObject({
  groups: z
    .array(z.strictObject({ name: z.string().min(1), interval: duration, rules: z.array(rule).min(1) }))
    .min(1),
});

export const rulesSchema = z.strictObject({
  apiVersion,
  kind: z.literal("Rules"),
  metadata: metadata.extend({ namespace: name }),
  spec: rulesSpec,
});

export type Rules = z.infer<typeof rulesSchema>;

/** The GMP kinds, by kind, for the validator. */
export const gmpSchemas: Record<string, z.ZodType> = {
  PodMonitoring: podMonitoringSchema,
  Rules: rulesSchema,
};
