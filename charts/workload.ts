import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IProbe } from "kubernetes-models/v1/Probe";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import { Service } from "kubernetes-models/v1/Service";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { IVolumeMount } from "kubernetes-models/v1/VolumeMount";
import { type KubernetesObject, labelsFor, selectorFor, toObject } from "./kubernetes.ts";

/** The distroless images' `nonroot` user and group (Dockerfile `USER 65532:65532`). */
export const nonRootId = 65532;

/** What the Pod Security `restricted` level asks of every container, and read-only root besides. */
export const hardenedContainer: ISecurityContext = {
  runAsNonRoot: true,
  runAsUser: nonRootId,
  runAsGroup: nonRootId,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

/** The reloader restarts a Deployment when a ConfigMap or Secret it references changes. */
export const reloaderAnnotations = { "reloader.stakater.com/auto": "true" };

export interface ProbeTimings {
  /** How long a start may take before the kubelet restarts the container (migrations, KMS). */
  startupSeconds: number;
}

/**
 * Startup and liveness on /healthz (the process answers), readiness on /readyz (it can serve:
 * storage and signers reachable), so a database outage takes pods out of the load balancer
 * without restarting them.
 */
export function healthProbes(
  port: string,
  timings: ProbeTimings,
): Pick<IContainer, "startupProbe" | "livenessProbe" | "readinessProbe"> {
  const get = (path: string): IProbe["httpGet"] => ({ path, port });
  return {
    startupProbe: {
      httpGet: get("/healthz"),
      periodSeconds: 2,
      timeoutSeconds: 2,
      failureThreshold: Math.ceil(timings.startupSeconds / 2),
    },
    livenessProbe: { httpGet: get("/healthz"), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    readinessProbe: { httpGet: get("/readyz"), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
  };
}

export interface ServiceContainerProps {
  /** The service, its container and the `<name>-env` ConfigMap it reads. */
  name: string;
  image: string;
  port: number;
  resources: IContainer["resources"];
  startupSeconds: number;
  volumeMounts: IVolumeMount[];
}

/**
 * A Signet service's container: the image by digest, its HTTP port, configuration from its
 * ConfigMap, the hardened security context and the health probes every service answers.
 */
export function serviceContainer(props: ServiceContainerProps): IContainer {
  return {
    name: props.name,
    image: props.image,
    ports: [{ name: "http", containerPort: props.port, protocol: "TCP" }],
    envFrom: [{ configMapRef: { name: `${props.name}-env` } }],
    resources: props.resources,
    securityContext: hardenedContainer,
    ...healthProbes("http", { startupSeconds: props.startupSeconds }),
    volumeMounts: props.volumeMounts,
  };
}

/** A writable /tmp and the service's data directory, on a read-only root filesystem. */
export function scratchVolumes(service: string, data: IVolume = { name: "data", emptyDir: {} }) {
  const volumes: IVolume[] = [
    { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
    { ...data, name: "data" },
  ];
  const mounts: IVolumeMount[] = [
    { name: "tmp", mountPath: "/tmp" },
    { name: "data", mountPath: dataDir(service) },
  ];
  return { volumes, mounts };
}

export function dataDir(service: string): string {
  return `/var/lib/signet/${service}`;
}

export interface DeploymentProps {
  name: string;
  namespace: string;
  /** Absent when an HPA owns the count: Argo CD would otherwise fight the autoscaler. */
  replicas?: number;
  containers: IContainer[];
  initContainers?: IContainer[];
  volumes: IVolume[];
  /** `Recreate` for a single pod holding a ReadWriteOnce volume. */
  strategy?: "RollingUpdate" | "Recreate";
}

/**
 * A Signet Deployment: non-root with the images' user, spread across zones, restarted by the
 * reloader when its configuration changes.
 */
export function signetDeployment(props: DeploymentProps): KubernetesObject {
  const labels = labelsFor(props.name);
  return toObject(
    new Deployment({
      metadata: { name: props.name, namespace: props.namespace, labels, annotations: reloaderAnnotations },
      spec: {
        ...(props.replicas === undefined ? {} : { replicas: props.replicas }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: selectorFor(props.name) },
        strategy:
          props.strategy === "Recreate"
            ? { type: "Recreate" }
            : { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: props.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 30,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: nonRootId,
              runAsGroup: nonRootId,
              fsGroup: nonRootId,
              seccompProfile: { type: "RuntimeDefault" },
            },
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: "topology.kubernetes.io/zone",
                whenUnsatisfiable: "DoNotSchedule",
                labelSelector: { matchLabels: selectorFor(props.name) },
              },
              {
                maxSkew: 1,
                topologyKey: "kubernetes.io/hostname",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: selectorFor(props.name) },
              },
            ],
            ...(props.initContainers ? { initContainers: props.initContainers } : {}),
            containers: props.containers,
            volumes: props.volumes,
          },
        },
      },
    }),
  );
}

/**
 * The Service in front of a Deployment. Container-native load balancing (NEGs) sends the load
 * balancer straight to pod IPs; the BackendConfig of the same name sets its health check.
 */
export function signetService(name: string, namespace: string, port: number): KubernetesObject {
  return toObject(
    new Service({
      metadata: {
        name,
        namespace,
        labels: labelsFor(name),
        annotations: {
          "cloud.google.com/neg": JSON.stringify({ ingress: true }),
          "cloud.google.com/backend-config": JSON.stringify({ default: name }),
        },
      },
      spec: {
        type: "ClusterIP",
        selector: selectorFor(name),
        ports: [{ name: "http", port, targetPort: "http", protocol: "TCP" }],
      },
    }),
  );
}

/** Voluntary disruptions (node upgrades, drains) take at most one pod at a time. */
export function disruptionBudget(name: string, namespace: string): KubernetesObject {
  return toObject(
    new PodDisruptionBudget({
      metadata: { name, namespace, labels: labelsFor(name) },
      spec: { maxUnavailable: 1, selector: { matchLabels: selectorFor(name) } },
    }),
  );
}

export function cpuAutoscaler(
  name: string,
  namespace: string,
  replicas: { min: number; max: number },
): KubernetesObject {
  return toObject(
    new HorizontalPodAutoscaler({
      metadata: { name, namespace, labels: labelsFor(name) },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
        minReplicas: replicas.min,
        maxReplicas: replicas.max,
        metrics: [
          {
            type: "Resource",
            resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
          },
        ],
        // Scale down slowly: a burst of signing (a release train) comes in waves.
        behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
      },
    }),
  );
}
