import { Namespace } from "kubernetes-models/v1/Namespace";
import { type KubernetesObject, toObject } from "../kubernetes.ts";

/**
 * A namespace that admits only pods meeting the Pod Security `restricted` level
 * (kubernetes.io/docs/concepts/security/pod-security-standards): non-root, no privilege
 * escalation, all capabilities dropped, a seccomp profile.
 */
export function restrictedNamespace(name: string): KubernetesObject {
  const level = "restricted";
  return toObject(
    new Namespace({
      metadata: {
        name,
        labels: {
          "app.kubernetes.io/part-of": "signet",
          "pod-security.kubernetes.io/enforce": level,
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/audit": level,
          "pod-security.kubernetes.io/warn": level,
        },
      },
    }),
  );
}
