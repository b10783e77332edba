import type { IssuerConfig, IssuerType, Principal } from "../types.ts";
import type { VerifiedToken } from "./claims.ts";
import { emailPrincipal } from "./email.ts";
import { githubWorkflowPrincipal } from "./github.ts";
import { kubernetesPrincipal } from "./kubernetes.ts";
import { checkSpiffeConfig, spiffePrincipal } from "./spiffe.ts";
import { checkUriConfig, uriPrincipal } from "./uri.ts";

export interface PrincipalRule {
  /** Throws a ConfigError when the issuer's configuration lacks what this type needs. */
  checkConfig(config: IssuerConfig, name: string): void;
  derive(token: VerifiedToken, config: IssuerConfig): Principal;
}

const needsNothing = (): void => {};

/** Fulcio pkg/identity/<type>/principal.go, one rule per issuer type. */
export const principalRules: Record<IssuerType, PrincipalRule> = {
  email: { checkConfig: needsNothing, derive: emailPrincipal },
  kubernetes: { checkConfig: needsNothing, derive: kubernetesPrincipal },
  "github-workflow": { checkConfig: needsNothing, derive: githubWorkflowPrincipal },
  uri: { checkConfig: checkUriConfig, derive: uriPrincipal },
  spiffe: { checkConfig: checkSpiffeConfig, derive: spiffePrincipal },
};
