import { ConfigError } from "../../../common/config.ts";
import { invalidIdentity } from "../refusals.ts";
import type { IssuerConfig, Principal } from "../types.ts";
import { challengeOf, isUriText, tokenSubjectExtension, type VerifiedToken } from "./claims.ts";

function parseUri(value: string): URL | undefined {
  return isUriText(value) && URL.canParse(value) ? new URL(value) : undefined;
}

export function checkUriConfig(config: IssuerConfig, name: string): void {
  const domain = config.subjectDomain === undefined ? undefined : parseUri(config.subjectDomain);
  if (domain === undefined || domain.hostname === "") {
    throw new ConfigError(`issuer ${name}: a uri issuer needs subjectDomain, a scheme://host URI`);
  }
}

/** Fulcio pkg/identity/uri: `sub` is a URI whose scheme and host are the configured domain's; it is the SAN. */
export function uriPrincipal(token: VerifiedToken, config: IssuerConfig): Principal {
  const subject = parseUri(token.subject);
  const domain = new URL(config.subjectDomain ?? "");
  if (subject === undefined) throw invalidIdentity("The token's subject is not a URI");
  if (subject.protocol !== domain.protocol || subject.hostname !== domain.hostname) {
    throw invalidIdentity(`The token's subject is not under ${domain.protocol}//${domain.hostname}`);
  }
  return {
    issuer: token.issuer,
    issuerType: "uri",
    subject: token.subject,
    challenge: challengeOf(token),
    san: { kind: "uri", value: token.subject },
    extensions: [tokenSubjectExtension(token.subject)],
  };
}
