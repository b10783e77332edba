import { decodeJwt, decodeProtectedHeader, errors, type JWTPayload } from "jose";
import { ApiError } from "../../common/errors.ts";
import { malformedToken, unauthenticated } from "./refusals.ts";

/** Asymmetric JWS algorithms only (RFC 7518 §3.1, RFC 8037): never `none`, never an HMAC. */
export const acceptedAlgorithms = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
];

/**
 * What may be read from a token before its signature is checked: its issuer, to choose the keys,
 * and its algorithm, refused here when not allowed so no key is ever looked up for `none` or HS*.
 */
export function unverifiedIssuer(token: string): string {
  let alg: unknown;
  let payload: JWTPayload;
  try {
    alg = decodeProtectedHeader(token).alg;
    payload = decodeJwt(token);
  } catch {
    throw malformedToken("The identity token is not a JWT");
  }
  if (typeof alg !== "string" || !acceptedAlgorithms.includes(alg)) {
    throw unauthenticated(
      "UNSUPPORTED_TOKEN_ALGORITHM",
      `The token's algorithm ${JSON.stringify(alg)?.slice(0, 40)} is not one of ${acceptedAlgorithms.join(", ")}`,
    );
  }
  if (typeof payload.iss !== "string" || payload.iss === "") {
    throw unauthenticated("UNKNOWN_ISSUER", "The token names no issuer (iss)");
  }
  return payload.iss;
}

/** jose checks `iat` only against a maximum age; a token issued in the future is refused here. */
export function checkIssuedAt(payload: JWTPayload, clockSkewSeconds: number): void {
  const now = Math.floor(Date.now() / 1000);
  if (payload.iat !== undefined && payload.iat > now + clockSkewSeconds) {
    throw unauthenticated(
      "TOKEN_NOT_YET_VALID",
      `The token was issued in the future (iat ${isoTime(payload.iat)})`,
    );
  }
}

/** Maps jose's verification errors to our refusal codes, one by one. */
export function refusalFor(error: unknown, clientId: string): unknown {
  if (error instanceof ApiError) return error;
  if (error instanceof errors.JWTExpired) {
    return unauthenticated("TOKEN_EXPIRED", `The token expired (exp ${isoTime(error.payload.exp)})`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) return claimRefusal(error, clientId);
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return unauthenticated("UNSUPPORTED_TOKEN_ALGORITHM", "The token's algorithm is not accepted");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return unauthenticated("INVALID_TOKEN", "The token's signature does not verify with the issuer's key");
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return unauthenticated("INVALID_TOKEN", "No key of the issuer matches the token's key ID and algorithm");
  }
  if (error instanceof errors.JOSEError)
    return unauthenticated("INVALID_TOKEN", `The token is invalid: ${error.message}`);
  return error;
}

function claimRefusal(error: errors.JWTClaimValidationFailed, clientId: string): ApiError {
  if (error.reason === "missing")
    return unauthenticated("INVALID_TOKEN", `The token has no ${error.claim} claim`);
  switch (error.claim) {
    case "aud":
      return unauthenticated("WRONG_AUDIENCE", `The token's audience does not include ${clientId}`);
    case "nbf":
      return unauthenticated(
        "TOKEN_NOT_YET_VALID",
        `The token is not valid before ${isoTime(error.payload.nbf)}`,
      );
    default:
      return unauthenticated("INVALID_TOKEN", `The token's ${error.claim} claim is invalid`);
  }
}

/** ECMA-262 §21.4.1.1: the largest time a Date holds, in seconds. */
const maxDateSeconds = 8.64e12;

function isoTime(seconds: unknown): string {
  const valid = typeof seconds === "number" && Math.abs(seconds) <= maxDateSeconds;
  return valid ? new Date(seconds * 1000).toISOString() : String(seconds);
}
