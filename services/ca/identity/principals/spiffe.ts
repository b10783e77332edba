import { ConfigError } from "../../../common/config.ts";
import { invalidIdentity } from "../refusals.ts";
import type { IssuerConfig, Principal } from "../types.ts";
import { challengeOf, tokenSubjectExtension, type VerifiedToken } from "./claims.ts";

/**
 * SPIFFE-ID standard §2: `spiffe://` + a trust domain of [a-z0-9._-] + an optional path whose
 * segments are [a-zA-Z0-9._-], neither empty nor `.` or `..`; no query, fragment, port or user.
 */
const trustDomainName = /^[a-z0-9._-]+$/;
const pathSegment = /^[a-zA-Z0-9._-]+$/;

/** The trust domain of a SPIFFE ID, or undefined when `id` is not one. */
export function spiffeTrustDomain(id: string): string | undefined {
  if (!id.startsWith("spiffe://")) return undefined;
  const [trustDomain = "", ...segments] = id.slice("spiffe://".length).split("/");
  if (!trustDomainName.test(trustDomain)) return undefined;
  const validPath = segments.every((s) => pathSegment.test(s) && s !== "." && s !== "..");
  return validPath ? trustDomain : undefined;
}

/** The configured trust domain, written bare (`example.org`) or as an ID (`spiffe://example.org`). */
function configuredTrustDomain(config: IssuerConfig): string | undefined {
  const domain = config.subjectDomain ?? "";
  return spiffeTrustDomain(domain.startsWith("spiffe://") ? domain : `spiffe://${domain}`);
}

export function checkSpiffeConfig(config: IssuerConfig, name: string): void {
  if (configuredTrustDomain(config) === undefined) {
    throw new ConfigError(`issuer ${name}: a spiffe issuer needs subjectDomain, a SPIFFE trust domain`);
  }
}

/** Fulcio pkg/identity/spiffe: `sub` is a SPIFFE ID in the configured trust domain; it is the SAN. */
export function spiffePrincipal(token: VerifiedToken, config: IssuerConfig): Principal {
  const trustDomain = spiffeTrustDomain(token.subject);
  if (trustDomain === undefined) throw invalidIdentity("The token's subject is not a SPIFFE ID");
  const expected = configuredTrustDomain(config);
  if (trustDomain !== expected) {
    throw invalidIdentity(`The token's SPIFFE ID is not in the trust domain ${expected}`);
  }
  return {
    issuer: token.issuer,
    issuerType: "spiffe",
    subject: token.subject,
    challenge: challengeOf(token),
    san: { kind: "uri", value: token.subject },
    extensions: [tokenSubjectExtension(token.subject)],
  };
}
