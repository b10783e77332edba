import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuerConfig } from "../../../../services/ca/identity/types.ts";
import { IdentityVerifier } from "../../../../services/ca/identity/verifier.ts";
import { startOidcIssuer, type TestOidcIssuer } from "../../../support/oidc.ts";
import { fulcioOid, refusalOf, utf8Der } from "./support.ts";

let issuer: TestOidcIssuer;
let verifier: IdentityVerifier;

beforeAll(async () => {
  issuer = await startOidcIssuer();
  const configs: IssuerConfig[] = [
    { url: `${issuer.url}/accounts`, clientId: "sigstore", type: "email" },
    { url: `${issuer.url}/cluster`, clientId: "sigstore", type: "kubernetes" },
    { url: `${issuer.url}/actions`, clientId: "sigstore", type: "github-workflow" },
    { url: `${issuer.url}/ci`, clientId: "sigstore", type: "uri", subjectDomain: "https://ci.example.com" },
    { url: `${issuer.url}/spire`, clientId: "sigstore", type: "spiffe", subjectDomain: "example.org" },
  ];
  verifier = new IdentityVerifier(configs);
});

afterAll(() => issuer.stop());

describe("email issuers", () => {
  it("certify the verified email address and sign over it", async () => {
    const iss = `${issuer.url}/accounts`;
    const token = await issuer.mint({
      iss,
      sub: "110248495921238986420",
      email: "alice@example.com",
      email_verified: true,
    });
    expect(await verifier.verify(token)).toEqual({
      issuer: iss,
      issuerType: "email",
      subject: "110248495921238986420",
      challenge: "alice@example.com",
      san: { kind: "email", value: "alice@example.com" },
      extensions: [{ oid: fulcioOid(24), value: utf8Der("110248495921238986420") }],
    });
  });

  it("accept email_verified sent as the string true, as Fulcio does", async () => {
    const token = await issuer.mint({
      iss: `${issuer.url}/accounts`,
      email: "bob@example.com",
      email_verified: "true",
    });
    expect((await verifier.verify(token)).san).toEqual({ kind: "email", value: "bob@example.com" });
  });

  it("refuse a token without an email claim, and an email claim that is no address", async () => {
    const iss = `${issuer.url}/accounts`;
    const noEmail = await issuer.mint({ iss, email_verified: true });
    expect(await refusalOf(verifier.verify(noEmail))).toEqual({ status: 401, code: "INVALID_IDENTITY" });
    const notAddress = await issuer.mint({ iss, email: "alice at example.com", email_verified: true });
    expect(await refusalOf(verifier.verify(notAddress))).toEqual({ status: 401, code: "INVALID_IDENTITY" });
  });
});

describe("kubernetes issuers", () => {
  const projectedClaims = {
    sub: "system:serviceaccount:build:signer",
    "kubernetes.io": {
      namespace: "build",
      pod: { name: "release-7d9f", uid: "49ad3572-b3dd-43a6-8d77-5858d3660275" },
      serviceaccount: { name: "signer", uid: "f5720c1d-e152-4356-a897-11b07aff165d" },
    },
  };

  it("certify the service account from the kubernetes.io claim and sign over sub", async () => {
    const iss = `${issuer.url}/cluster`;
    const token = await issuer.mint({ iss, ...projectedClaims });
    expect(await verifier.verify(token)).toEqual({
      issuer: iss,
      issuerType: "kubernetes",
      subject: "system:serviceaccount:build:signer",
      challenge: "system:serviceaccount:build:signer",
      san: { kind: "uri", value: "https://kubernetes.io/namespaces/build/serviceaccounts/signer" },
      extensions: [{ oid: fulcioOid(24), value: utf8Der("system:serviceaccount:build:signer") }],
    });
  });

  it("refuse a token whose kubernetes.io claim is missing or would bend the SAN path", async () => {
    const iss = `${issuer.url}/cluster`;
    const missing = await issuer.mint({ iss, sub: "system:serviceaccount:build:signer" });
    expect(await refusalOf(verifier.verify(missing))).toEqual({ status: 401, code: "INVALID_IDENTITY" });
    const traversal = await issuer.mint({
      iss,
      "kubernetes.io": { namespace: "../../evil", serviceaccount: { name: "signer" } },
    });
    expect(await refusalOf(verifier.verify(traversal))).toEqual({ status: 401, code: "INVALID_IDENTITY" });
  });
});

describe("github-workflow issuers", () => {
  // The example token of GitHub's OIDC documentation, with a reusable workflow.
  const workflowClaims = {
    sub: "repo:octo-org/octo-repo:environment:prod",
    job_workflow_ref: "octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
    job_workflow_sha: "d6c1f2a9e1b0c8e7f6a5b4c3d2e1f0a9b8c7d6e5",
    sha: "a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0",
    event_name: "workflow_dispatch",
    repository: "octo-org/octo-repo",
    workflow: "example-workflow",
    ref: "refs/heads/main",
    runner_environment: "github-hosted",
    repository_id: "74",
    repository_owner: "octo-org",
    repository_owner_id: "65",
    repository_visibility: "private",
    workflow_ref: "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
    workflow_sha: "a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0",
    run_id: "1536140711",
    run_attempt: "2",
  };

  it("certify the workflow that runs and fill Fulcio's GitHub extensions", async () => {
    const iss = `${issuer.url}/actions`;
    const principal = await verifier.verify(await issuer.mint({ iss, ...workflowClaims }));
    const signerUri =
      "https://github.com/octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main";
    expect(principal).toMatchObject({
      issuer: iss,
      issuerType: "github-workflow",
      subject: workflowClaims.sub,
      challenge: workflowClaims.sub,
      san: { kind: "uri", value: signerUri },
    });
    const raw = (value: string) => Buffer.from(value);
    expect(principal.extensions).toEqual([
      { oid: fulcioOid(2), value: raw("workflow_dispatch") },
      { oid: fulcioOid(3), value: raw("a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0") },
      { oid: fulcioOid(4), value: raw("example-workflow") },
      { oid: fulcioOid(5), value: raw("octo-org/octo-repo") },
      { oid: fulcioOid(6), value: raw("refs/heads/main") },
      { oid: fulcioOid(9), value: utf8Der(signerUri) },
      { oid: fulcioOid(10), value: utf8Der("d6c1f2a9e1b0c8e7f6a5b4c3d2e1f0a9b8c7d6e5") },
      { oid: fulcioOid(11), value: utf8Der("github-hosted") },
      { oid: fulcioOid(12), value: utf8Der("https://github.com/octo-org/octo-repo") },
      { oid: fulcioOid(13), value: utf8Der("a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0") },
      { oid: fulcioOid(14), value: utf8Der("refs/heads/main") },
      { oid: fulcioOid(15), value: utf8Der("74") },
      { oid: fulcioOid(16), value: utf8Der("https://github.com/octo-org") },
      { oid: fulcioOid(17), value: utf8Der("65") },
      {
        oid: fulcioOid(18),
        value: utf8Der("https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main"),
      },
      { oid: fulcioOid(19), value: utf8Der("a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0") },
      { oid: fulcioOid(20), value: utf8Der("workflow_dispatch") },
      {
        oid: fulcioOid(21),
        value: utf8Der("https://github.com/octo-org/octo-repo/actions/runs/1536140711/attempts/2"),
      },
      { oid: fulcioOid(22), value: utf8Der("private") },
      { oid: fulcioOid(24), value: utf8Der(workflowClaims.sub) },
    ]);
    // UTF8String, tag 0x0C, short-form length: the bytes sigstore-js reads back.
    expect(principal.extensions.find((e) => e.oid === fulcioOid(22))?.value.toString("hex")).toBe(
      "0c0770726976617465",
    );
  });

  it("refuse a token missing any claim Fulcio requires", async () => {
    const { run_attempt: _, ...withoutAttempt } = workflowClaims;
    const token = await issuer.mint({ iss: `${issuer.url}/actions`, ...withoutAttempt });
    expect(await refusalOf(verifier.verify(token))).toEqual({ status: 401, code: "INVALID_IDENTITY" });
  });
});

describe("uri issuers", () => {
  it("certify the subject URI, and sign over the email claim when the token has one", async () => {
    const iss = `${issuer.url}/ci`;
    const sub = "https://ci.example.com/pipelines/42";
    const principal = await verifier.verify(await issuer.mint({ iss, sub, email: "ci@example.com" }));
    expect(principal).toEqual({
      issuer: iss,
      issuerType: "uri",
      subject: sub,
      challenge: "ci@example.com",
      san: { kind: "uri", value: sub },
      extensions: [{ oid: fulcioOid(24), value: utf8Der(sub) }],
    });
  });
});

describe("spiffe issuers", () => {
  it("certify the SPIFFE ID in the configured trust domain", async () => {
    const iss = `${issuer.url}/spire`;
    const sub = "spiffe://example.org/ns/release/sa/signer";
    expect(await verifier.verify(await issuer.mint({ iss, sub }))).toEqual({
      issuer: iss,
      issuerType: "spiffe",
      subject: sub,
      challenge: sub,
      san: { kind: "uri", value: sub },
      extensions: [{ oid: fulcioOid(24), value: utf8Der(sub) }],
    });
  });

  it("refuse a subject that is not a SPIFFE ID", async () => {
    const token = await issuer.mint({ iss: `${issuer.url}/spire`, sub: "spiffe://example.org/ns/../admin" });
    expect(await refusalOf(verifier.verify(token))).toEqual({ status: 401, code: "INVALID_IDENTITY" });
  });
});
