import type { Environment } from "./schema.ts";

/** The public services of an environment, each at `https://<name>.<dns.domain>` (src/gcp/dns.ts). */
export interface EndpointUrls {
  ca: string;
  rekor: string;
  tsa: string;
  /** The CT log serves RFC 6962 at the root of its host (the uptime check asks `/ct/v1/get-sth`). */
  ctlog: string;
  tuf: string;
}

/**
 * Where clients reach an environment, as the platform stack names its DNS records. Workflows that
 * sign with an instance or probe it from outside read their URLs here, so they cannot drift from
 * the records Terraform creates.
 */
export function endpointUrls(environment: Pick<Environment, "dns">): EndpointUrls {
  const url = (name: keyof EndpointUrls) => `https://${name}.${environment.dns.domain}`;
  return { ca: url("ca"), rekor: url("rekor"), tsa: url("tsa"), ctlog: url("ctlog"), tuf: url("tuf") };
}

/** The Artifact Registry repository the platform stack creates for the service images. */
export const imageRepositoryId = "signet";

/** `<region>-docker.pkg.dev/<project>/signet`: the prefix of every image the environment may run. */
export function imageRepository(environment: Pick<Environment, "region" | "project">): string {
  return `${environment.region}-docker.pkg.dev/${environment.project.id}/${imageRepositoryId}`;
}
