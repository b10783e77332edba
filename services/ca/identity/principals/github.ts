import { type ExtensionValue, FulcioOid, rawExtension, utf8Extension } from "../extensions.ts";
import type { Principal } from "../types.ts";
import { challengeOf, stringClaim, tokenSubjectExtension, type VerifiedToken } from "./claims.ts";

/** The claims Fulcio's GitHub principal requires, each a non-empty string (pkg/identity/github/principal.go). */
interface WorkflowClaims {
  jobWorkflowRef: string;
  sha: string;
  eventName: string;
  repository: string;
  workflow: string;
  ref: string;
  jobWorkflowSha: string;
  runnerEnvironment: string;
  repositoryId: string;
  repositoryOwner: string;
  repositoryOwnerId: string;
  repositoryVisibility: string;
  workflowRef: string;
  workflowSha: string;
  runId: string;
  runAttempt: string;
}

function workflowClaims(token: VerifiedToken): WorkflowClaims {
  const claim = (name: string) => stringClaim(token.claims, name);
  return {
    jobWorkflowRef: claim("job_workflow_ref"),
    sha: claim("sha"),
    eventName: claim("event_name"),
    repository: claim("repository"),
    workflow: claim("workflow"),
    ref: claim("ref"),
    jobWorkflowSha: claim("job_workflow_sha"),
    runnerEnvironment: claim("runner_environment"),
    repositoryId: claim("repository_id"),
    repositoryOwner: claim("repository_owner"),
    repositoryOwnerId: claim("repository_owner_id"),
    repositoryVisibility: claim("repository_visibility"),
    workflowRef: claim("workflow_ref"),
    workflowSha: claim("workflow_sha"),
    runId: claim("run_id"),
    runAttempt: claim("run_attempt"),
  };
}

/**
 * `https://github.com/` joined with a path, as Go's url.JoinPath renders it: characters a URI
 * path allows stay as they are (so do valid %XX escapes), anything else is percent-encoded.
 */
export function githubUrl(...segments: string[]): string {
  const path = segments.join("/");
  return `https://github.com/${path.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu, encodeURIComponent)}`;
}

/** Fulcio's GitHub principal extensions: the legacy raw .1.2–.1.6 and the CI extensions .1.9–.1.22. */
function workflowExtensions(c: WorkflowClaims, subject: string): ExtensionValue[] {
  return [
    rawExtension(FulcioOid.githubWorkflowTrigger, c.eventName),
    rawExtension(FulcioOid.githubWorkflowSha, c.sha),
    rawExtension(FulcioOid.githubWorkflowName, c.workflow),
    rawExtension(FulcioOid.githubWorkflowRepository, c.repository),
    rawExtension(FulcioOid.githubWorkflowRef, c.ref),
    utf8Extension(FulcioOid.buildSignerUri, githubUrl(c.jobWorkflowRef)),
    utf8Extension(FulcioOid.buildSignerDigest, c.jobWorkflowSha),
    utf8Extension(FulcioOid.runnerEnvironment, c.runnerEnvironment),
    utf8Extension(FulcioOid.sourceRepositoryUri, githubUrl(c.repository)),
    utf8Extension(FulcioOid.sourceRepositoryDigest, c.sha),
    utf8Extension(FulcioOid.sourceRepositoryRef, c.ref),
    utf8Extension(FulcioOid.sourceRepositoryIdentifier, c.repositoryId),
    utf8Extension(FulcioOid.sourceRepositoryOwnerUri, githubUrl(c.repositoryOwner)),
    utf8Extension(FulcioOid.sourceRepositoryOwnerIdentifier, c.repositoryOwnerId),
    utf8Extension(FulcioOid.buildConfigUri, githubUrl(c.workflowRef)),
    utf8Extension(FulcioOid.buildConfigDigest, c.workflowSha),
    utf8Extension(FulcioOid.buildTrigger, c.eventName),
    utf8Extension(
      FulcioOid.runInvocationUri,
      githubUrl(c.repository, "actions/runs", c.runId, "attempts", c.runAttempt),
    ),
    utf8Extension(FulcioOid.sourceRepositoryVisibilityAtSigning, c.repositoryVisibility),
    tokenSubjectExtension(subject),
  ];
}

/** Fulcio pkg/identity/github: the SAN is the reusable workflow that runs, `https://github.com/<job_workflow_ref>`. */
export function githubWorkflowPrincipal(token: VerifiedToken): Principal {
  const claims = workflowClaims(token);
  return {
    issuer: token.issuer,
    issuerType: "github-workflow",
    subject: token.subject,
    challenge: challengeOf(token),
    san: { kind: "uri", value: githubUrl(claims.jobWorkflowRef) },
    extensions: workflowExtensions(claims, token.subject),
  };
}
