import { z } from "zod";
import { backendConfig, publicEndpoint } from "./endpoint.ts";
import {
  configMap,
  googleServiceAccount,
  hostname,
  imageByDigest,
  type KubernetesObject,
  kmsKeyVersion,
  parseValues,
  pem,
  resources,
  workloadServiceAccount,
} from "./kubernetes.ts";
import { signetServices } from "./services.ts";
import {
  cpuAutoscaler,
  dataDir,
  disruptionBudget,
  scratchVolumes,
  serviceContainer,
  signetDeployment,
  signetService,
} from "./workload.ts";

const issuer = z.strictObject({
  url: z.url().optional(),
  metaUrl: z.string().optional(),
  clientId: z.string().min(1).optional(),
  type: z.enum(["email", "kubernetes", "github-workflow", "uri", "spiffe"]),
  subjectDomain: z.string().min(1).optional(),
});

export const caValuesSchema = z
  .strictObject({
    image: imageByDigest,
    replicas: z.strictObject({ min: z.number().int().min(1), max: z.number().int().min(1) }),
    resources,
    googleServiceAccount,
    /** The intermediate's KMS key version (`SIGNET_CA_KEY`). */
    signingKey: kmsKeyVersion,
    /** The intermediate and root certificates `ca init` made for that key, PEM. */
    chain: pem,
    issuers: z.array(issuer).min(1),
    /** Where precertificates are submitted: the log's CT API inside the cluster. */
    ctUrl: z.url(),
    /** Proxies whose X-Forwarded-For the per-address rate limit believes. */
    trustedProxies: z
      .array(z.string().regex(/^[0-9a-fA-F.:]+(\/\d+)?$/, "expected an address or CIDR"))
      .min(1),
    hostname,
  })
  .refine((v) => v.replicas.max >= v.replicas.min, { message: "max below min", path: ["replicas", "max"] });

export type CaValues = z.input<typeof caValuesSchema>;

const { namespace, port } = signetServices.ca;
const chainDir = "/etc/signet/ca";

/** The environment the CA reads (services/ca/config.ts), as a ConfigMap the reloader watches. */
function caEnvironment(values: z.output<typeof caValuesSchema>): Record<string, string> {
  return {
    SIGNET_CA_PORT: String(port),
    SIGNET_CA_DATA_DIR: dataDir("ca"),
    SIGNET_CA_ISSUERS: JSON.stringify(values.issuers),
    SIGNET_CA_SIGNER: "kms",
    SIGNET_CA_KEY: values.signingKey,
    SIGNET_CA_CHAIN: `${chainDir}/chain.pem`,
    SIGNET_CA_CT_URL: values.ctUrl,
    SIGNET_CA_TRUSTED_PROXIES: values.trustedProxies.join(","),
    SIGNET_CA_LOG_LEVEL: "info",
  };
}

/**
 * The certificate authority: signs with its Cloud KMS key as its Google service account,
 * autoscaled on CPU (issuance is signature-bound), behind `ca.<domain>`.
 */
export function caChart(input: CaValues): KubernetesObject[] {
  const values = parseValues("ca", caValuesSchema, input);
  const scratch = scratchVolumes("ca");
  const deployment = signetDeployment({
    name: "ca",
    namespace,
    containers: [
      serviceContainer({
        name: "ca",
        image: values.image,
        port,
        resources: values.resources,
        startupSeconds: 60,
        volumeMounts: [...scratch.mounts, { name: "chain", mountPath: chainDir, readOnly: true }],
      }),
    ],
    volumes: [...scratch.volumes, { name: "chain", configMap: { name: "ca-chain" } }],
  });
  return [
    workloadServiceAccount("ca", namespace, values.googleServiceAccount),
    configMap("ca-env", namespace, "ca", caEnvironment(values)),
    configMap("ca-chain", namespace, "ca", { "chain.pem": values.chain }),
    deployment,
    cpuAutoscaler("ca", namespace, values.replicas),
    ...(values.replicas.min > 1 ? [disruptionBudget("ca", namespace)] : []),
    signetService("ca", namespace, port),
    backendConfig("ca", namespace, port),
    ...publicEndpoint({ endpoint: "ca", namespace, hostname: values.hostname, service: "ca", port }),
  ];
}
