import { ConfigError } from "../../common/config.ts";
import { principalRules } from "./principals/rules.ts";
import { unauthenticated } from "./refusals.ts";
import type { IssuerConfig } from "./types.ts";

/**
 * Fulcio's meta-issuers (pkg/config/config.go MetaRegex): everything is literal except `*`, which
 * matches one path segment or host label; the pattern is anchored at both ends so an issuer URL
 * cannot smuggle the pattern into its query or path (GHSA-59jp-pj84-45mr).
 */
export function metaIssuerPattern(metaUrl: string): RegExp {
  const literal = metaUrl.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${literal.join("[-_a-zA-Z0-9]+")}$`);
}

/** The configured issuers, looked up by a token's `iss`: exact URLs first, then meta-issuers in order. */
export class IssuerRegistry {
  readonly #exact = new Map<string, IssuerConfig>();
  readonly #meta: Array<{ pattern: RegExp; config: IssuerConfig }> = [];

  constructor(issuers: IssuerConfig[]) {
    for (const config of issuers) {
      checkIssuerConfig(config);
      if (config.url !== undefined) {
        if (this.#exact.has(config.url)) throw new ConfigError(`issuer ${config.url} is configured twice`);
        this.#exact.set(config.url, config);
      } else if (config.metaUrl !== undefined) {
        this.#meta.push({ pattern: metaIssuerPattern(config.metaUrl), config });
      }
    }
  }

  find(issuer: string): IssuerConfig {
    const config = this.#exact.get(issuer) ?? this.#meta.find(({ pattern }) => pattern.test(issuer))?.config;
    if (config === undefined) {
      throw unauthenticated(
        "UNKNOWN_ISSUER",
        `The token's issuer ${JSON.stringify(issuer.slice(0, 200))} is not accepted here`,
      );
    }
    return config;
  }
}

function checkIssuerConfig(config: IssuerConfig): void {
  const name = config.url ?? config.metaUrl;
  if ((config.url === undefined) === (config.metaUrl === undefined) || name === undefined) {
    throw new ConfigError("each issuer needs exactly one of url and metaUrl");
  }
  if (!/^https?:\/\/[^/]/.test(name)) throw new ConfigError(`issuer ${name}: expected an http(s) URL`);
  if (config.url !== undefined && !URL.canParse(config.url)) {
    throw new ConfigError(`issuer ${name}: expected an http(s) URL`);
  }
  if (config.clientId === "") throw new ConfigError(`issuer ${name}: the client ID must not be empty`);
  const rule = principalRules[config.type];
  if (rule === undefined)
    throw new ConfigError(`issuer ${name}: unknown type ${JSON.stringify(config.type)}`);
  rule.checkConfig(config, name);
}
