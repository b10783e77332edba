import type { JWTPayload } from "jose";
import { type ExtensionValue, FulcioOid, utf8Extension } from "../extensions.ts";
import { invalidIdentity } from "../refusals.ts";

/** A token whose signature, issuer, audience and lifetime have been checked. */
export interface VerifiedToken {
  issuer: string;
  subject: string;
  claims: JWTPayload;
}

export function optionalStringClaim(claims: JWTPayload, name: string): string | undefined {
  const value = claims[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function stringClaim(claims: JWTPayload, name: string): string {
  const value = optionalStringClaim(claims, name);
  if (value === undefined) throw invalidIdentity(`The token has no ${name} claim`);
  return value;
}

/**
 * What the client signed for proof of possession. sigstore-js signs the `email` claim whenever
 * the token carries one and `sub` otherwise (sigstore-wire.md §5), whatever the issuer type.
 */
export function challengeOf(token: VerifiedToken): string {
  return optionalStringClaim(token.claims, "email") ?? token.subject;
}

/** Fulcio renders the raw token subject in .1.24 for every principal (pkg/certificate/extensions.go). */
export function tokenSubjectExtension(subject: string): ExtensionValue {
  return utf8Extension(FulcioOid.tokenSubject, subject);
}

/**
 * SAN values are IA5Strings (RFC 5280 §4.2.1.6); a URI SAN must also be an RFC 3986 URI, so
 * every verifier's URL parser reads the same host as ours did.
 */
export function isUriText(value: string): boolean {
  return /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/.test(value);
}
