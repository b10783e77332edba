import * as asn1js from "asn1js";
import { describe, expect, it } from "vitest";
import { utf8StringDer } from "../../../../services/ca/identity/extensions.ts";
import { metaIssuerPattern } from "../../../../services/ca/identity/issuers.ts";
import type { IssuerConfig } from "../../../../services/ca/identity/types.ts";
import { IdentityVerifier } from "../../../../services/ca/identity/verifier.ts";
import { ConfigError } from "../../../../services/common/config.ts";
import { utf8Der } from "./support.ts";

describe("meta-issuer patterns", () => {
  const gke = metaIssuerPattern("https://container.googleapis.com/v1/projects/*/locations/*/clusters/*");
  const eks = metaIssuerPattern("https://oidc.eks.*.amazonaws.com/id/*");

  it("match one path segment or host label per star", () => {
    expect(
      gke.test("https://container.googleapis.com/v1/projects/acme/locations/us-east1/clusters/prod_1"),
    ).toBe(true);
    expect(eks.test("https://oidc.eks.eu-west-1.amazonaws.com/id/B71AA2B9C3D4")).toBe(true);
  });

  it("match nothing wider than a segment or label", () => {
    expect(gke.test("https://container.googleapis.com/v1/projects/a/b/locations/x/clusters/y")).toBe(false);
    expect(eks.test("https://oidc.eks.evil.com.amazonaws.com/id/x")).toBe(false);
    expect(eks.test("https://oidc.eks.eu-west-1.amazonaws.com/id/")).toBe(false);
  });

  it("take dots literally and anchor both ends (GHSA-59jp-pj84-45mr)", () => {
    expect(eks.test("https://oidcXeks.eu-west-1.amazonaws.com/id/x")).toBe(false);
    expect(eks.test("http://localhost:3000?https://oidc.eks.eu-west-1.amazonaws.com/id/x")).toBe(false);
    expect(eks.test("https://oidc.eks.eu-west-1.amazonaws.com/id/x/extra")).toBe(false);
  });
});

describe("issuer configuration", () => {
  const refused = (configs: IssuerConfig[]) => () => new IdentityVerifier(configs);

  it("is refused when incomplete or ambiguous", () => {
    const url = "https://issuer.example.com";
    expect(refused([{ clientId: "sigstore", type: "email" }])).toThrow(ConfigError);
    expect(refused([{ url, metaUrl: `${url}/*`, clientId: "sigstore", type: "email" }])).toThrow(ConfigError);
    expect(refused([{ url: "issuer.example.com", clientId: "sigstore", type: "email" }])).toThrow(
      ConfigError,
    );
    expect(refused([{ url, clientId: "", type: "email" }])).toThrow(ConfigError);
    expect(refused([{ url, clientId: "sigstore", type: "uri" }])).toThrow(ConfigError);
    expect(refused([{ url, clientId: "sigstore", type: "spiffe", subjectDomain: "Example.org/" }])).toThrow(
      ConfigError,
    );
    const twice: IssuerConfig = { url, clientId: "sigstore", type: "email" };
    expect(refused([twice, twice])).toThrow(ConfigError);
  });

  it("accepts a spiffe trust domain written bare or as an ID", () => {
    const spiffe = (subjectDomain: string): IssuerConfig => ({
      url: `https://${subjectDomain.length}.example.com`,
      clientId: "sigstore",
      type: "spiffe",
      subjectDomain,
    });
    expect(() => new IdentityVerifier([spiffe("example.org"), spiffe("spiffe://example.org")])).not.toThrow();
  });
});

describe("utf8StringDer", () => {
  it("encodes as asn1js does, in short and long length forms", () => {
    for (const value of [
      "",
      "push",
      "ü→✓",
      "x".repeat(127),
      "x".repeat(128),
      "x".repeat(300),
      "y".repeat(70000),
    ]) {
      expect(utf8StringDer(value)).toEqual(utf8Der(value));
    }
    expect(utf8StringDer("x".repeat(300)).subarray(0, 4).toString("hex")).toBe("0c82012c");
    const decoded = asn1js.fromBER(utf8StringDer("ü→✓"));
    expect((decoded.result as asn1js.Utf8String).getValue()).toBe("ü→✓");
  });
});
