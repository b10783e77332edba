import { type TimeRangeJson, timeRangeJson, type ValidityWindow } from "./trusted-root.ts";

/**
 * The services a signing client talks to: protobuf-specs `dev.sigstore.trustroot.v1.SigningConfig`
 * v0.2 in its JSON form (sigstore_trustroot.proto), the target public-good TUF calls
 * `signing_config.v0.2.json`.
 */
export const signingConfigMediaType = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

export interface ServiceJson {
  url: string;
  majorApiVersion: number;
  validFor: TimeRangeJson;
  operator: string;
}

export interface SigningConfigJson {
  mediaType: typeof signingConfigMediaType;
  caUrls: ServiceJson[];
  oidcUrls: ServiceJson[];
  rekorTlogUrls: ServiceJson[];
  rekorTlogConfig: { selector: "ANY" };
  tsaUrls: ServiceJson[];
  tsaConfig?: { selector: "ANY" };
}

export interface SigningServices {
  /** Scheme-less URI naming who runs the instance, e.g. `signet.example.com`. */
  operator: string;
  validFor: ValidityWindow;
  /** Base URL of the Fulcio-compatible CA. */
  ca: string;
  /** Base URL of the OIDC issuer clients get tokens from, when the instance names one. */
  oidc?: string;
  /** Base URL of the Rekor v1 log. */
  rekor: string;
  /** Full URL of the RFC 3161 endpoint (…/api/v1/timestamp), when the instance has a TSA. */
  tsa?: string;
}

// Major API versions the URLs speak: Fulcio's v2 gRPC/HTTP API and Rekor v1 are both "1" in the
// public-good signing_config.v0.2.json, as are OIDC and RFC 3161.
const apiVersion = { ca: 1, oidc: 1, rekor: 1, tsa: 1 } as const;

function service(url: string, majorApiVersion: number, services: SigningServices): ServiceJson {
  return {
    url,
    majorApiVersion,
    validFor: timeRangeJson(services.validFor),
    operator: services.operator,
  };
}

const optional = (url: string | undefined, version: number, services: SigningServices) =>
  url === undefined ? [] : [service(url, version, services)];

/**
 * A signing config naming one service of each kind. sigstore-js (sign/src/config.ts) requires
 * selector ANY, and asks a TSA for a timestamp whenever tsaConfig is present, so it is left out
 * for an instance without one.
 */
export function buildSigningConfig(services: SigningServices): SigningConfigJson {
  return {
    mediaType: signingConfigMediaType,
    caUrls: [service(services.ca, apiVersion.ca, services)],
    oidcUrls: optional(services.oidc, apiVersion.oidc, services),
    rekorTlogUrls: [service(services.rekor, apiVersion.rekor, services)],
    rekorTlogConfig: { selector: "ANY" },
    tsaUrls: optional(services.tsa, apiVersion.tsa, services),
    ...(services.tsa === undefined ? {} : { tsaConfig: { selector: "ANY" as const } }),
  };
}
