import { ApiError, unavailable } from "../../common/errors.ts";

/**
 * The identity refusals. A token that fails a check is the client's problem (401, or 400 when it
 * is not a JWT at all); an issuer we cannot reach is ours (503).
 */
export type IdentityRefusal =
  | "UNKNOWN_ISSUER"
  | "INVALID_TOKEN"
  | "UNSUPPORTED_TOKEN_ALGORITHM"
  | "TOKEN_EXPIRED"
  | "TOKEN_NOT_YET_VALID"
  | "WRONG_AUDIENCE"
  | "EMAIL_NOT_VERIFIED"
  | "INVALID_IDENTITY";

export function unauthenticated(code: IdentityRefusal, message: string): ApiError {
  return new ApiError(401, code, message);
}

export function malformedToken(message: string): ApiError {
  return new ApiError(400, "INVALID_TOKEN", message);
}

export function invalidIdentity(message: string): ApiError {
  return unauthenticated("INVALID_IDENTITY", message);
}

export function issuerUnavailable(issuer: string, reason: string): ApiError {
  return unavailable("ISSUER_UNAVAILABLE", `The OIDC issuer ${issuer} could not be reached: ${reason}`);
}
