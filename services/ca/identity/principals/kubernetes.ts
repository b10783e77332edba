import { invalidIdentity } from "../refusals.ts";
import type { Principal } from "../types.ts";
import { challengeOf, tokenSubjectExtension, type VerifiedToken } from "./claims.ts";

/** Namespaces and service account names are DNS-1123 names; nothing else may enter the SAN path. */
const kubernetesName = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function member(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function kubernetesNameOf(value: unknown): string | undefined {
  return typeof value === "string" && kubernetesName.test(value) ? value : undefined;
}

/**
 * Fulcio pkg/identity/kubernetes: the SAN comes from the projected token's `kubernetes.io` claim
 * (`namespace`, `serviceaccount.name`), not from `sub` (system:serviceaccount:<ns>:<sa>).
 */
export function kubernetesPrincipal(token: VerifiedToken): Principal {
  const claim = token.claims["kubernetes.io"];
  const namespace = kubernetesNameOf(member(claim, "namespace"));
  const serviceAccount = kubernetesNameOf(member(member(claim, "serviceaccount"), "name"));
  if (namespace === undefined || serviceAccount === undefined) {
    throw invalidIdentity("The token's kubernetes.io claim names no valid namespace and service account");
  }
  return {
    issuer: token.issuer,
    issuerType: "kubernetes",
    subject: token.subject,
    challenge: challengeOf(token),
    san: {
      kind: "uri",
      value: `https://kubernetes.io/namespaces/${namespace}/serviceaccounts/${serviceAccount}`,
    },
    extensions: [tokenSubjectExtension(token.subject)],
  };
}
