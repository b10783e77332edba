import { invalidIdentity, unauthenticated } from "../refusals.ts";
import type { Principal } from "../types.ts";
import { challengeOf, stringClaim, tokenSubjectExtension, type VerifiedToken } from "./claims.ts";

/** One `@` between two non-empty runs of printable ASCII: an rfc822Name SAN is an IA5String. */
const emailAddress = /^[\x21-\x3f\x41-\x7e]+@[\x21-\x3f\x41-\x7e]+$/;

/**
 * Fulcio pkg/oauthflow EmailFromIDToken reads email_verified as a boolean or the string "true",
 * since some providers (AWS Cognito) send strings.
 */
function isVerified(claim: unknown): boolean {
  return claim === true || claim === "true" || claim === "True";
}

/** Fulcio pkg/identity/email: the SAN is the verified email address. */
export function emailPrincipal(token: VerifiedToken): Principal {
  const email = stringClaim(token.claims, "email");
  if (!isVerified(token.claims.email_verified)) {
    throw unauthenticated("EMAIL_NOT_VERIFIED", "The token's email address is not verified (email_verified)");
  }
  if (!emailAddress.test(email)) throw invalidIdentity("The token's email claim is not an email address");
  return {
    issuer: token.issuer,
    issuerType: "email",
    subject: token.subject,
    challenge: challengeOf(token),
    san: { kind: "email", value: email },
    extensions: [tokenSubjectExtension(token.subject)],
  };
}
