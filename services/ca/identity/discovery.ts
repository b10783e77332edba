import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from "jose";
import { ApiError } from "../../common/errors.ts";
import { issuerUnavailable, unauthenticated } from "./refusals.ts";

export interface DiscoveryOptions {
  fetch: typeof fetch;
  /** How long a discovery document is trusted before it is fetched again. */
  discoveryTtlSeconds: number;
  /** The least time between two key-set fetches an unknown `kid` may trigger (jose's cooldown). */
  keyRefetchCooldownSeconds: number;
  timeoutMs: number;
}

interface Provider {
  jwksUri: string;
  keys: JWTVerifyGetKey;
}

interface CachedProvider {
  provider: Promise<Provider>;
  expiresAt: number;
}

/**
 * The signing keys of the issuers tokens name: each issuer's OpenID discovery document
 * (OpenID Connect Discovery 1.0 §4), fetched on first use and cached, and one jose remote key set
 * per issuer, which caches keys and refetches them when a token names an unknown `kid`.
 * Failures are not cached; concurrent first uses share one fetch.
 */
export class IssuerKeys {
  readonly #options: DiscoveryOptions;
  readonly #providers = new Map<string, CachedProvider>();

  constructor(options: DiscoveryOptions) {
    this.#options = options;
  }

  async keysFor(issuer: string): Promise<JWTVerifyGetKey> {
    const now = Date.now();
    const cached = this.#providers.get(issuer);
    if (cached !== undefined && cached.expiresAt > now) return (await cached.provider).keys;
    const entry: CachedProvider = {
      provider: this.#discover(issuer, cached?.provider),
      expiresAt: now + this.#options.discoveryTtlSeconds * 1000,
    };
    this.#providers.set(issuer, entry);
    try {
      return (await entry.provider).keys;
    } catch (error) {
      if (this.#providers.get(issuer) === entry) this.#providers.delete(issuer);
      throw error;
    }
  }

  /**
   * A refreshed document that names the same key set keeps the existing one, and with it its
   * cached keys; an issuer that cannot be reached to refresh it keeps the one it had.
   */
  async #discover(issuer: string, previous: Promise<Provider> | undefined): Promise<Provider> {
    const prior = await previous?.catch(() => undefined);
    let jwksUri: string;
    try {
      jwksUri = await this.#fetchJwksUri(issuer);
    } catch (error) {
      if (prior !== undefined && error instanceof ApiError && error.status === 503) return prior;
      throw error;
    }
    if (prior?.jwksUri === jwksUri) return prior;
    return { jwksUri, keys: this.#keySet(issuer, jwksUri) };
  }

  async #fetchJwksUri(issuer: string): Promise<string> {
    // Discovery §4: a trailing "/" on the issuer is removed before appending the well-known path.
    const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
    const response = await this.#options
      .fetch(url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      })
      .catch((error: unknown) => {
        throw issuerUnavailable(issuer, `fetching ${url} failed (${describe(error)})`);
      });
    // A 4xx means no OpenID provider lives at this URL, which a meta-issuer token can claim.
    if (response.status >= 400 && response.status < 500) {
      throw unauthenticated(
        "UNKNOWN_ISSUER",
        `${issuer} has no OpenID discovery document (HTTP ${response.status})`,
      );
    }
    if (response.status !== 200) throw issuerUnavailable(issuer, `${url} answered HTTP ${response.status}`);
    const document: unknown = await response.json().catch(() => undefined);
    return jwksUriOf(document, issuer, url);
  }

  /** jose's remote set, with failures to fetch the keys told apart from tokens that match no key. */
  #keySet(issuer: string, jwksUri: string): JWTVerifyGetKey {
    const remote = createRemoteJWKSet(new URL(jwksUri), {
      cooldownDuration: this.#options.keyRefetchCooldownSeconds * 1000,
      timeoutDuration: this.#options.timeoutMs,
      [customFetch]: this.#options.fetch,
    });
    return async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
          throw error;
        }
        throw issuerUnavailable(issuer, `its key set ${jwksUri} is unusable (${describe(error)})`);
      }
    };
  }
}

function jwksUriOf(document: unknown, issuer: string, url: string): string {
  if (typeof document !== "object" || document === null) {
    throw issuerUnavailable(issuer, `${url} is not a JSON discovery document`);
  }
  const { issuer: named, jwks_uri: jwksUri } = document as Record<string, unknown>;
  // Discovery §4.3: the document's issuer must be identical to the one the token names.
  if (named !== issuer) {
    throw unauthenticated("UNKNOWN_ISSUER", `The discovery document at ${url} is for another issuer`);
  }
  if (typeof jwksUri !== "string" || !URL.canParse(jwksUri)) {
    throw issuerUnavailable(issuer, `${url} names no valid jwks_uri`);
  }
  return jwksUri;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
