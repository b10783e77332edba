import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { z } from "zod";
import {
  configMap,
  googleServiceAccount,
  imageByDigest,
  type KubernetesObject,
  labelsFor,
  parseValues,
  resources,
  toObject,
  workloadServiceAccount,
} from "./kubernetes.ts";
import { signetServices } from "./services.ts";
import { dataDir, scratchVolumes, serviceContainer, signetDeployment } from "./workload.ts";

const https = z.url({ protocol: /^https$/ });

export const proberValuesSchema = z.strictObject({
  image: imageByDigest,
  resources,
  googleServiceAccount,
  /** The public endpoints, probed through their load balancers as clients reach them. */
  urls: z.strictObject({ ca: https, rekor: https, ctlog: https, tsa: https, tuf: https }),
  /** The TUF root clients start from (root.json), as published with `tuf init`. */
  tufRoot: z.string().refine((text) => {
    try {
      return (JSON.parse(text) as { signed?: { _type?: string } }).signed?._type === "root";
    } catch {
      return false;
    }
  }, "expected a TUF root.json"),
  /** The cluster's OIDC issuer: the CA trusts it for the projected token below. */
  clusterIssuer: https,
  /** The CA's audience for the token (its issuer's client id). */
  audience: z.string().min(1),
});

export type ProberValues = z.input<typeof proberValuesSchema>;
type Values = z.output<typeof proberValuesSchema>;

const { namespace, port } = signetServices.prober;
const tokenDir = "/var/run/secrets/tokens";
const tufRootDir = "/etc/signet/tuf";

/** The certificate identity of the prober's token: Fulcio's Kubernetes SAN (services/ca/identity). */
export function proberIdentity(): string {
  return `https://kubernetes.io/namespaces/${namespace}/serviceaccounts/prober`;
}

/** The environment the prober reads (services/prober/config.ts). */
function proberEnvironment(values: Values): Record<string, string> {
  return {
    SIGNET_PROBER_PORT: String(port),
    SIGNET_PROBER_CA_URL: values.urls.ca,
    SIGNET_PROBER_REKOR_URL: values.urls.rekor,
    SIGNET_PROBER_CT_URL: values.urls.ctlog,
    SIGNET_PROBER_TSA_URL: values.urls.tsa,
    SIGNET_PROBER_TUF_URL: values.urls.tuf,
    SIGNET_PROBER_TUF_ROOT: `${tufRootDir}/root.json`,
    SIGNET_PROBER_TUF_CACHE: "/tmp/tuf-cache",
    SIGNET_PROBER_TOKEN_SOURCE: "kubernetes",
    SIGNET_PROBER_TOKEN_PATH: `${tokenDir}/${values.audience}`,
    SIGNET_PROBER_IDENTITY: proberIdentity(),
    SIGNET_PROBER_ISSUER: values.clusterIssuer,
    // Kept across restarts, so a split view spanning a restart is still caught.
    SIGNET_PROBER_STATE: `${dataDir("prober")}/state.json`,
    SIGNET_PROBER_LOG_LEVEL: "info",
  };
}

/**
 * The prober: signs and verifies against the public endpoints every ten seconds with a
 * projected service account token as its identity, and keeps the checkpoints it has seen on a
 * small persistent disk. One replica: two would only double the writes.
 */
export function proberChart(input: ProberValues): KubernetesObject[] {
  const values = parseValues("prober", proberValuesSchema, input);
  const scratch = scratchVolumes("prober", {
    name: "data",
    persistentVolumeClaim: { claimName: "prober-state" },
  });
  const state = new PersistentVolumeClaim({
    metadata: { name: "prober-state", namespace, labels: labelsFor("prober") },
    spec: {
      accessModes: ["ReadWriteOnce"],
      storageClassName: "standard-rwo",
      resources: { requests: { storage: "1Gi" } },
    },
  });
  const deployment = signetDeployment({
    name: "prober",
    namespace,
    replicas: 1,
    // A ReadWriteOnce disk follows one pod at a time.
    strategy: "Recreate",
    containers: [
      serviceContainer({
        name: "prober",
        image: values.image,
        port,
        resources: values.resources,
        startupSeconds: 30,
        volumeMounts: [
          ...scratch.mounts,
          { name: "sigstore-token", mountPath: tokenDir, readOnly: true },
          { name: "tuf-root", mountPath: tufRootDir, readOnly: true },
        ],
      }),
    ],
    volumes: [
      ...scratch.volumes,
      {
        name: "sigstore-token",
        projected: {
          // The kubelet rotates it well before it expires; the prober reads it every round.
          sources: [
            {
              serviceAccountToken: {
                audience: values.audience,
                expirationSeconds: 600,
                path: values.audience,
              },
            },
          ],
        },
      },
      { name: "tuf-root", configMap: { name: "prober-tuf-root" } },
    ],
  });
  return [
    workloadServiceAccount("prober", namespace, values.googleServiceAccount),
    configMap("prober-env", namespace, "prober", proberEnvironment(values)),
    configMap("prober-tuf-root", namespace, "prober", { "root.json": values.tufRoot }),
    toObject(state),
    deployment,
  ];
}
