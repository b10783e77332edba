import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IdentityVerifier, type IdentityVerifierOptions } from "../../../../services/ca/identity/verifier.ts";
import { startOidcIssuer, type TestOidcIssuer } from "../../../support/oidc.ts";
import { refusalOf } from "./support.ts";

let issuer: TestOidcIssuer;

beforeEach(async () => {
  issuer = await startOidcIssuer();
});

afterEach(() => issuer.stop());

function verifierFor(options: IdentityVerifierOptions = {}): IdentityVerifier {
  return new IdentityVerifier(
    [{ url: issuer.url, clientId: "sigstore", type: "uri", subjectDomain: "https://ci.example.com" }],
    options,
  );
}

const claims = { sub: "https://ci.example.com/pipelines/1" };
const fetches = (suffix: string) => issuer.requests.filter((path) => path.endsWith(suffix)).length;

describe("issuer keys", () => {
  it("are discovered once and shared by concurrent first uses", async () => {
    const verifier = verifierFor();
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => issuer.mint(claims)));
    await Promise.all(tokens.map((token) => verifier.verify(token)));
    await verifier.verify(await issuer.mint(claims));
    expect(fetches("/openid-configuration")).toBe(1);
    expect(fetches("/jwks")).toBe(1);
  });

  it("are refetched when a rotated key signs, and the new key is accepted", async () => {
    const verifier = verifierFor({ keyRefetchCooldownSeconds: 0 });
    await verifier.verify(await issuer.mint(claims));
    const rotated = await issuer.rotate("ES256");
    const token = await issuer.mint(claims);
    expect((await verifier.verify(token)).subject).toBe(claims.sub);
    expect(issuer.signingKey).toBe(rotated);
    expect(fetches("/jwks")).toBe(2);
  });

  it("are not refetched for an unknown key ID within the cooldown", async () => {
    const verifier = verifierFor();
    await verifier.verify(await issuer.mint(claims));
    await issuer.rotate();
    const token = await issuer.mint(claims);
    expect(await refusalOf(verifier.verify(token))).toEqual({ status: 401, code: "INVALID_TOKEN" });
    expect(fetches("/jwks")).toBe(1);
  });

  it("verify a token without kid against each key of its type", async () => {
    await issuer.rotate();
    const verifier = verifierFor();
    const first = await issuer.mint(claims, { key: await issuer.createKey(), kid: null });
    expect(await refusalOf(verifier.verify(first))).toEqual({ status: 401, code: "INVALID_TOKEN" });
    const token = await issuer.mint(claims, { kid: null });
    expect((await verifier.verify(token)).subject).toBe(claims.sub);
  });

  it("outlive a failed refresh of the discovery document", async () => {
    const verifier = verifierFor({ discoveryTtlSeconds: 0 });
    await verifier.verify(await issuer.mint(claims));
    const token = await issuer.mint(claims);
    issuer.failWith(500);
    expect((await verifier.verify(token)).subject).toBe(claims.sub);
    expect(fetches("/openid-configuration")).toBe(2);
  });
});
