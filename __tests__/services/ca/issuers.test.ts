import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuerConfig } from "../../../services/ca/identity/types.ts";
import { type Claims, startOidcIssuer, type TestOidcIssuer } from "../../support/oidc.ts";
import { generateKey } from "../../support/pki.ts";
import { certificatesOf, metric, post, publicKeyRequest } from "./http.ts";
import { expectFulcioProfile, fulcioOid, type Leaf, utf8Der } from "./leaf.ts";
import { type RunningCa, startCa } from "./support.ts";

let oidc: TestOidcIssuer;
let ca: RunningCa;

// One test issuer serves every sub-path as an issuer of its own, so each type gets a URL.
const path = {
  email: "",
  kubernetes: "/clusters/*",
  github: "/github",
  uri: "/ci",
  spiffe: "/spire",
};

beforeAll(async () => {
  oidc = await startOidcIssuer({ alg: "ES256" });
  const issuers: IssuerConfig[] = [
    { url: oidc.url, clientId: "sigstore", type: "email" },
    { metaUrl: `${oidc.url}${path.kubernetes}`, clientId: "sigstore", type: "kubernetes" },
    { url: `${oidc.url}${path.github}`, clientId: "sigstore", type: "github-workflow" },
    {
      url: `${oidc.url}${path.uri}`,
      clientId: "sigstore",
      type: "uri",
      subjectDomain: "https://ci.signet.test",
    },
    { url: `${oidc.url}${path.spiffe}`, clientId: "sigstore", type: "spiffe", subjectDomain: "signet.test" },
  ];
  ca = await startCa(issuers);
});

afterAll(async () => {
  await Promise.all([ca?.close(), oidc?.stop()]);
});

/**
 * Mints a token with `claims`, asks the CA to certify a fresh key (signing `challenge`), checks
 * the profile every leaf shares and returns the leaf.
 */
async function issue(
  claims: Claims,
  challenge: string,
  expected: { san: { kind: "email" | "uri"; value: string }; issuer: string },
): Promise<Leaf> {
  const key = generateKey();
  const answer = await post(`${ca.url}/api/v2/signingCert`, {
    credentials: { oidcIdentityToken: await oidc.mint(claims) },
    publicKeyRequest: publicKeyRequest(key, challenge),
  });
  expect(answer.body?.code).toBeUndefined();
  expect(answer.status).toBe(201);
  const [leaf, issuing] = certificatesOf(answer.body.signedCertificateDetachedSct.chain.certificates);
  return expectFulcioProfile(leaf as Buffer, { ...expected, issuing: issuing as Buffer, spki: key.spki });
}

const text = (leaf: Leaf, arc: number) => leaf.extension(fulcioOid(arc))?.value.toString("utf8");
const utf8Value = (leaf: Leaf, arc: number) => leaf.extension(fulcioOid(arc))?.value;

describe("certificates through the HTTP API, by issuer type", () => {
  it("email: the verified email address is an rfc822Name SAN", async () => {
    const claims = { sub: "1234567890", email: "alice@signet.test", email_verified: true };
    const leaf = await issue(claims, claims.email, {
      san: { kind: "email", value: claims.email },
      issuer: oidc.url,
    });
    expect(utf8Value(leaf, 24)).toEqual(utf8Der(claims.sub));
  });

  it("kubernetes, through a meta-issuer: the service account is a URI SAN", async () => {
    const issuer = `${oidc.url}/clusters/prod-eu_1`;
    const sub = "system:serviceaccount:release:signer";
    const claims = {
      iss: issuer,
      sub,
      "kubernetes.io": { namespace: "release", serviceaccount: { name: "signer", uid: "0f3c" } },
    };
    const leaf = await issue(claims, sub, {
      san: { kind: "uri", value: "https://kubernetes.io/namespaces/release/serviceaccounts/signer" },
      issuer,
    });
    expect(utf8Value(leaf, 24)).toEqual(utf8Der(sub));
    expect(await metric(ca.url, "signet_ca_certificates_issued_total", { issuer_type: "kubernetes" })).toBe(
      1,
    );
  });

  it("github-workflow: the job workflow is the SAN and the claims fill the GitHub extensions", async () => {
    const issuer = `${oidc.url}${path.github}`;
    const claims = {
      iss: issuer,
      sub: "repo:acme/widget:ref:refs/heads/main",
      job_workflow_ref: "acme/shared/.github/workflows/release.yml@refs/tags/v2",
      job_workflow_sha: "1111111111111111111111111111111111111111",
      sha: "2222222222222222222222222222222222222222",
      event_name: "push",
      repository: "acme/widget",
      workflow: "Release",
      ref: "refs/heads/main",
      runner_environment: "github-hosted",
      repository_id: "123456",
      repository_owner: "acme",
      repository_owner_id: "7890",
      repository_visibility: "public",
      workflow_ref: "acme/widget/.github/workflows/ci.yml@refs/heads/main",
      workflow_sha: "3333333333333333333333333333333333333333",
      run_id: "42",
      run_attempt: "3",
    };
    const leaf = await issue(claims, claims.sub, {
      san: { kind: "uri", value: `https://github.com/${claims.job_workflow_ref}` },
      issuer,
    });
    // Fulcio docs/oid-info.md: .1.2–.1.6 raw bytes (deprecated), .1.9 onwards DER UTF8String.
    expect([2, 3, 4, 5, 6].map((arc) => text(leaf, arc))).toEqual([
      claims.event_name,
      claims.sha,
      claims.workflow,
      claims.repository,
      claims.ref,
    ]);
    const utf8Extensions: Array<[number, string]> = [
      [9, `https://github.com/${claims.job_workflow_ref}`],
      [10, claims.job_workflow_sha],
      [11, claims.runner_environment],
      [12, "https://github.com/acme/widget"],
      [13, claims.sha],
      [14, claims.ref],
      [15, claims.repository_id],
      [16, "https://github.com/acme"],
      [17, claims.repository_owner_id],
      [18, `https://github.com/${claims.workflow_ref}`],
      [19, claims.workflow_sha],
      [20, claims.event_name],
      [21, "https://github.com/acme/widget/actions/runs/42/attempts/3"],
      [22, claims.repository_visibility],
      [24, claims.sub],
    ];
    for (const [arc, value] of utf8Extensions) {
      expect({ arc, value: utf8Value(leaf, arc) }).toEqual({ arc, value: utf8Der(value) });
      expect(leaf.extension(fulcioOid(arc))?.critical).toBe(false);
    }
  });

  it("uri: a subject under the configured domain is the URI SAN", async () => {
    const sub = "https://ci.signet.test/pipelines/17/jobs/3";
    const leaf = await issue({ iss: `${oidc.url}${path.uri}`, sub }, sub, {
      san: { kind: "uri", value: sub },
      issuer: `${oidc.url}${path.uri}`,
    });
    expect(utf8Value(leaf, 24)).toEqual(utf8Der(sub));
  });

  it("spiffe: a SPIFFE ID in the trust domain is the URI SAN", async () => {
    const sub = "spiffe://signet.test/ns/build/sa/signer";
    const leaf = await issue({ iss: `${oidc.url}${path.spiffe}`, sub }, sub, {
      san: { kind: "uri", value: sub },
      issuer: `${oidc.url}${path.spiffe}`,
    });
    expect(utf8Value(leaf, 24)).toEqual(utf8Der(sub));
  });

  it("signs the challenge sigstore-js signs: email when the token has one, whatever the type", async () => {
    const sub = "https://ci.signet.test/pipelines/18";
    await issue({ iss: `${oidc.url}${path.uri}`, sub, email: "ci@signet.test" }, "ci@signet.test", {
      san: { kind: "uri", value: sub },
      issuer: `${oidc.url}${path.uri}`,
    });
  });
});

describe("identities outside an issuer's rules are refused through HTTP", () => {
  const refusal = async (claims: Claims, challenge: string) => {
    const answer = await post(`${ca.url}/api/v2/signingCert`, {
      credentials: { oidcIdentityToken: await oidc.mint(claims) },
      publicKeyRequest: publicKeyRequest(generateKey(), challenge),
    });
    return { status: answer.status, code: answer.body?.code, message: answer.body?.message as string };
  };

  it.each<[string, string, Claims]>([
    ["a uri subject under another host", path.uri, { sub: "https://ci.evil.test/p/1" }],
    ["a SPIFFE ID in another trust domain", path.spiffe, { sub: "spiffe://evil.test/x" }],
    ["a kubernetes token without its kubernetes.io claim", "/clusters/a", { sub: "system:x" }],
    ["a GitHub token missing workflow claims", path.github, { sub: "repo:a/b" }],
  ])("%s as INVALID_IDENTITY", async (_case, issuerPath, claims) => {
    const answer = await refusal({ ...claims, iss: `${oidc.url}${issuerPath}` }, String(claims.sub));
    expect(answer).toMatchObject({ status: 401, code: "INVALID_IDENTITY" });
    expect(answer.message.length).toBeGreaterThan(10);
  });
});
