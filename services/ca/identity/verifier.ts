import { errors, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, jwtVerify } from "jose";
import { IssuerKeys } from "./discovery.ts";
import { IssuerRegistry } from "./issuers.ts";
import { principalRules } from "./principals/rules.ts";
import { unauthenticated } from "./refusals.ts";
import { acceptedAlgorithms, checkIssuedAt, refusalFor, unverifiedIssuer } from "./token.ts";
import type { IssuerConfig, Principal } from "./types.ts";

export interface IdentityVerifierOptions {
  /** Leeway for exp, nbf and iat against this host's clock. Default 60 s. */
  clockSkewSeconds?: number;
  fetch?: typeof fetch;
  /** Default 1 h. */
  discoveryTtlSeconds?: number;
  /** The least time between two key-set fetches triggered by an unknown `kid`. Default 30 s. */
  keyRefetchCooldownSeconds?: number;
  /** Per request to an issuer. Default 5 s. */
  issuerTimeoutMs?: number;
}

/**
 * Turns an OIDC identity token into the principal a certificate is issued to, as Fulcio does:
 * the issuer is chosen by the token's `iss`, its signature checked against the issuer's
 * published keys, its audience and lifetime checked, and the identity read by the issuer's type.
 */
export class IdentityVerifier {
  readonly #issuers: IssuerRegistry;
  readonly #keys: IssuerKeys;
  readonly #clockSkewSeconds: number;

  constructor(issuers: IssuerConfig[], options: IdentityVerifierOptions = {}) {
    this.#issuers = new IssuerRegistry(issuers);
    this.#clockSkewSeconds = options.clockSkewSeconds ?? 60;
    this.#keys = new IssuerKeys({
      fetch: options.fetch ?? fetch,
      discoveryTtlSeconds: options.discoveryTtlSeconds ?? 3600,
      keyRefetchCooldownSeconds: options.keyRefetchCooldownSeconds ?? 30,
      timeoutMs: options.issuerTimeoutMs ?? 5000,
    });
  }

  /** Throws an ApiError: 401 or 400 for a token we refuse, 503 when its issuer cannot be reached. */
  async verify(token: string): Promise<Principal> {
    const issuer = unverifiedIssuer(token);
    const config = this.#issuers.find(issuer);
    const keys = await this.#keys.keysFor(issuer);
    const claims = await this.#verifiedClaims(token, keys, issuer, config.clientId);
    if (typeof claims.sub !== "string" || claims.sub === "") {
      throw unauthenticated("INVALID_TOKEN", "The token's sub claim is not a non-empty string");
    }
    return principalRules[config.type].derive({ issuer, subject: claims.sub, claims }, config);
  }

  async #verifiedClaims(
    token: string,
    keys: JWTVerifyGetKey,
    issuer: string,
    clientId: string,
  ): Promise<JWTPayload> {
    const options: JWTVerifyOptions = {
      algorithms: acceptedAlgorithms,
      issuer,
      audience: clientId,
      clockTolerance: this.#clockSkewSeconds,
      requiredClaims: ["exp", "sub"],
    };
    try {
      const { payload } = await verifyWithKeySet(token, keys, options);
      checkIssuedAt(payload, this.#clockSkewSeconds);
      return payload;
    } catch (error) {
      throw refusalFor(error, clientId);
    }
  }
}

/**
 * jose leaves it to the caller when a token without `kid` matches several keys of the set; any
 * one that verifies will do, as in go-oidc.
 */
async function verifyWithKeySet(token: string, keys: JWTVerifyGetKey, options: JWTVerifyOptions) {
  try {
    return await jwtVerify(token, keys, options);
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    for await (const key of error) {
      try {
        return await jwtVerify(token, key, options);
      } catch (attempt) {
        if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) throw attempt;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}
