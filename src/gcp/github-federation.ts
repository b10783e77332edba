import { IamWorkloadIdentityPool } from "@cdktf/provider-google/lib/iam-workload-identity-pool/index.js";
import { IamWorkloadIdentityPoolProvider } from "@cdktf/provider-google/lib/iam-workload-identity-pool-provider/index.js";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account/index.js";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member/index.js";
import { Construct } from "constructs";

export interface GithubFederationProps {
  project: string;
  /** `<owner>/<name>`: the only repository whose workflows may authenticate. */
  repository: string;
  /** Only workflow runs on this branch may impersonate the deployer. */
  deployBranch: string;
}

const githubIssuer = "https://token.actions.githubusercontent.com";

/**
 * Keyless access for GitHub Actions: a Workload Identity Federation pool trusting only this
 * repository's OIDC tokens, a read-only `planner` any of its workflows may use, and a `deployer`
 * reserved for runs on the deploy branch. No service-account key ever exists.
 */
export class GithubFederation extends Construct {
  readonly pool: IamWorkloadIdentityPool;
  readonly provider: IamWorkloadIdentityPoolProvider;
  readonly planner: ServiceAccount;
  readonly deployer: ServiceAccount;

  constructor(scope: Construct, id: string, props: GithubFederationProps) {
    super(scope, id);
    this.pool = new IamWorkloadIdentityPool(this, "pool", {
      project: props.project,
      workloadIdentityPoolId: "github-actions",
      displayName: "GitHub Actions",
      description: `Workflows of ${props.repository}`,
    });
    this.provider = new IamWorkloadIdentityPoolProvider(this, "provider", {
      project: props.project,
      workloadIdentityPoolId: this.pool.workloadIdentityPoolId,
      workloadIdentityPoolProviderId: "github",
      displayName: "GitHub OIDC",
      oidc: { issuerUri: githubIssuer },
      attributeMapping: {
        "google.subject": "assertion.sub",
        "attribute.repository": "assertion.repository",
        "attribute.ref": "assertion.ref",
        "attribute.repository_ref": 'assertion.repository + "@" + assertion.ref',
      },
      // Tokens from any other repository are refused at the federation itself, not only by IAM.
      attributeCondition: `assertion.repository == "${props.repository}"`,
    });

    const principalSet = (attribute: string, value: string) =>
      `principalSet://iam.googleapis.com/${this.pool.name}/attribute.${attribute}/${value}`;

    this.planner = this.serviceAccount("planner", props.project, "Terraform planner (read-only)");
    this.allowImpersonation("planner", this.planner, principalSet("repository", props.repository));

    this.deployer = this.serviceAccount("deployer", props.project, "Terraform deployer");
    this.allowImpersonation(
      "deployer",
      this.deployer,
      principalSet("repository_ref", `${props.repository}@refs/heads/${props.deployBranch}`),
    );
  }

  private serviceAccount(accountId: string, project: string, displayName: string): ServiceAccount {
    return new ServiceAccount(this, accountId, { project, accountId, displayName });
  }

  private allowImpersonation(id: string, account: ServiceAccount, member: string): void {
    new ServiceAccountIamMember(this, `${id}-federation`, {
      serviceAccountId: account.name,
      role: "roles/iam.workloadIdentityUser",
      member,
    });
  }
}
