import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuerConfig } from "../../../../services/ca/identity/types.ts";
import { IdentityVerifier } from "../../../../services/ca/identity/verifier.ts";
import { startOidcIssuer, type TestOidcIssuer } from "../../../support/oidc.ts";
import { refusalOf } from "./support.ts";

let issuer: TestOidcIssuer;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  issuer = await startOidcIssuer();
});

afterAll(() => issuer.stop());

function verifierFor(config: Partial<IssuerConfig> = {}, options = {}): IdentityVerifier {
  return new IdentityVerifier([{ url: issuer.url, clientId: "sigstore", type: "uri", ...config }], options);
}

const uriIssuer = { type: "uri", subjectDomain: "https://ci.example.com" } as const;
const validSubject = { sub: "https://ci.example.com/pipelines/1" };

describe("the issuer", () => {
  it("must be configured", async () => {
    const token = await issuer.mint({ iss: "https://accounts.example.com", ...validSubject });
    expect(await refusalOf(verifierFor(uriIssuer).verify(token))).toEqual({
      status: 401,
      code: "UNKNOWN_ISSUER",
    });
  });

  it("must match a meta-issuer pattern segment for segment", async () => {
    const verifier = new IdentityVerifier([
      { metaUrl: `${issuer.url}/clusters/*`, clientId: "sigstore", ...uriIssuer },
    ]);
    const inside = await issuer.mint({ iss: `${issuer.url}/clusters/prod-1`, ...validSubject });
    expect((await verifier.verify(inside)).issuer).toBe(`${issuer.url}/clusters/prod-1`);
    const deeper = await issuer.mint({ iss: `${issuer.url}/clusters/prod-1/nested`, ...validSubject });
    expect(await refusalOf(verifier.verify(deeper))).toEqual({ status: 401, code: "UNKNOWN_ISSUER" });
  });

  it("must publish a discovery document naming itself", async () => {
    // The document served for `${url}/` names `${url}`: OpenID Connect Discovery §4.3 wants them identical.
    const verifier = new IdentityVerifier([{ url: `${issuer.url}/`, clientId: "sigstore", ...uriIssuer }]);
    const token = await issuer.mint({ iss: `${issuer.url}/`, ...validSubject });
    expect(await refusalOf(verifier.verify(token))).toEqual({ status: 401, code: "UNKNOWN_ISSUER" });
  });

  it("that cannot be reached is our outage, not the client's fault", async () => {
    const gone = await startOidcIssuer();
    const token = await gone.mint(validSubject);
    await gone.stop();
    const verifier = new IdentityVerifier([{ url: gone.url, clientId: "sigstore", ...uriIssuer }]);
    expect(await refusalOf(verifier.verify(token))).toEqual({ status: 503, code: "ISSUER_UNAVAILABLE" });
  });

  it("that fails is our outage, and one without a discovery document is unknown", async () => {
    const token = await issuer.mint(validSubject);
    try {
      issuer.failWith(502);
      expect(await refusalOf(verifierFor(uriIssuer).verify(token))).toEqual({
        status: 503,
        code: "ISSUER_UNAVAILABLE",
      });
      issuer.failWith(404);
      expect(await refusalOf(verifierFor(uriIssuer).verify(token))).toEqual({
        status: 401,
        code: "UNKNOWN_ISSUER",
      });
    } finally {
      issuer.failWith(undefined);
    }
  });
});

describe("the signature", () => {
  it("must verify", async () => {
    const [header, , signature] = (await issuer.mint(validSubject)).split(".");
    const forged = Buffer.from(
      JSON.stringify({ ...validSubject, iss: issuer.url, aud: "sigstore", exp: now() + 60 }),
    );
    const token = `${header}.${forged.toString("base64url")}.${signature}`;
    expect(await refusalOf(verifierFor(uriIssuer).verify(token))).toEqual({
      status: 401,
      code: "INVALID_TOKEN",
    });
  });

  it("must not be alg none, refused before any key is fetched", async () => {
    const seen = issuer.requests.length;
    const token = issuer.mintUnsigned(validSubject);
    expect(await refusalOf(verifierFor(uriIssuer).verify(token))).toEqual({
      status: 401,
      code: "UNSUPPORTED_TOKEN_ALGORITHM",
    });
    expect(issuer.requests.length).toBe(seen);
  });

  it("must not be an HMAC keyed with the issuer's public key, refused before any key is fetched", async () => {
    const seen = issuer.requests.length;
    const key = issuer.signingKey;
    const token = issuer.mintHmac(validSubject, key.publicKeyPem, key.kid);
    expect(await refusalOf(verifierFor(uriIssuer).verify(token))).toEqual({
      status: 401,
      code: "UNSUPPORTED_TOKEN_ALGORITHM",
    });
    expect(issuer.requests.length).toBe(seen);
  });

  it("must be made by the key its kid names", async () => {
    const other = await issuer.createKey();
    issuer.publish(other);
    const swapped = await issuer.mint(validSubject, { key: other, kid: issuer.signingKey.kid });
    expect(await refusalOf(verifierFor(uriIssuer).verify(swapped))).toEqual({
      status: 401,
      code: "INVALID_TOKEN",
    });
  });

  it("must be made by a key the issuer publishes", async () => {
    const stranger = await issuer.createKey();
    const token = await issuer.mint(validSubject, { key: stranger });
    expect(await refusalOf(verifierFor(uriIssuer).verify(token))).toEqual({
      status: 401,
      code: "INVALID_TOKEN",
    });
  });

  it("must be a JWT at all", async () => {
    expect(await refusalOf(verifierFor(uriIssuer).verify("not.a-jwt"))).toEqual({
      status: 400,
      code: "INVALID_TOKEN",
    });
  });
});

describe("the claims", () => {
  it("must name our client ID in aud", async () => {
    const token = await issuer.mint({ ...validSubject, aud: ["another-client"] });
    expect(await refusalOf(verifierFor(uriIssuer).verify(token))).toEqual({
      status: 401,
      code: "WRONG_AUDIENCE",
    });
  });

  it("must not have expired beyond the clock skew", async () => {
    const expired = await issuer.mint({ ...validSubject, iat: now() - 3600, exp: now() - 120 });
    expect(await refusalOf(verifierFor(uriIssuer).verify(expired))).toEqual({
      status: 401,
      code: "TOKEN_EXPIRED",
    });
    const withinSkew = await issuer.mint({ ...validSubject, iat: now() - 3600, exp: now() - 20 });
    expect((await verifierFor(uriIssuer).verify(withinSkew)).subject).toBe(validSubject.sub);
  });

  it("must carry an expiry", async () => {
    const token = await issuer.mint({ ...validSubject, exp: undefined });
    expect(await refusalOf(verifierFor(uriIssuer).verify(token))).toEqual({
      status: 401,
      code: "INVALID_TOKEN",
    });
  });

  it("must already be valid (nbf)", async () => {
    const token = await issuer.mint({ ...validSubject, nbf: now() + 300 });
    expect(await refusalOf(verifierFor(uriIssuer).verify(token))).toEqual({
      status: 401,
      code: "TOKEN_NOT_YET_VALID",
    });
  });

  it("must not be issued in the future (iat)", async () => {
    const token = await issuer.mint({ ...validSubject, iat: now() + 300, exp: now() + 900 });
    expect(await refusalOf(verifierFor(uriIssuer).verify(token))).toEqual({
      status: 401,
      code: "TOKEN_NOT_YET_VALID",
    });
  });
});

describe("the identity", () => {
  it("of an email issuer must be verified", async () => {
    const verifier = verifierFor({ type: "email" });
    const unverified = await issuer.mint({ email: "alice@example.com", email_verified: false });
    expect(await refusalOf(verifier.verify(unverified))).toEqual({ status: 401, code: "EMAIL_NOT_VERIFIED" });
    const unsaid = await issuer.mint({ email: "alice@example.com" });
    expect(await refusalOf(verifier.verify(unsaid))).toEqual({ status: 401, code: "EMAIL_NOT_VERIFIED" });
  });

  it("of a uri issuer must sit under its scheme and host", async () => {
    const verifier = verifierFor(uriIssuer);
    for (const sub of [
      "https://evil.example.com/pipelines/1",
      "http://ci.example.com/pipelines/1",
      "https://ci.example.com\\@evil.example.com/",
      "alice@ci.example.com",
    ]) {
      expect(await refusalOf(verifier.verify(await issuer.mint({ sub })))).toEqual({
        status: 401,
        code: "INVALID_IDENTITY",
      });
    }
  });

  it("of a spiffe issuer must be in its trust domain", async () => {
    const verifier = verifierFor({ type: "spiffe", subjectDomain: "example.org" });
    const token = await issuer.mint({ sub: "spiffe://evil.org/ns/release/sa/signer" });
    expect(await refusalOf(verifier.verify(token))).toEqual({ status: 401, code: "INVALID_IDENTITY" });
  });
});
