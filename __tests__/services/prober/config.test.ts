import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../services/common/config.ts";
import { loadProberConfig } from "../../../services/prober/config.ts";

const base = {
  SIGNET_PROBER_CA_URL: "https://ca.example.com/",
  SIGNET_PROBER_REKOR_URL: "https://rekor.example.com",
  SIGNET_PROBER_TRUSTED_ROOT: "/etc/signet/trusted_root.json",
  SIGNET_PROBER_IDENTITY: "https://kubernetes.io/namespaces/prober/serviceaccounts/prober",
  SIGNET_PROBER_ISSUER: "https://container.googleapis.com/v1/projects/p/locations/l/clusters/c",
};

function problem(env: Record<string, string>): string {
  try {
    loadProberConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("environment was accepted");
}

describe("prober configuration", () => {
  it("defaults to a cluster prober: projected token, 10 s rounds, writes on, metrics on :8080", () => {
    const config = loadProberConfig(base);
    expect(config.tokenSource).toEqual({ kind: "kubernetes", path: "/var/run/secrets/tokens/sigstore" });
    expect(config.intervalMs).toBe(10_000);
    expect(config.write).toBe(true);
    expect(config.port).toBe(8080);
    expect(config.urls.ca).toBe("https://ca.example.com");
    expect(config.trustRoot).toEqual({ kind: "file", path: base.SIGNET_PROBER_TRUSTED_ROOT });
    expect(config.identity).toEqual({
      subjectAlternativeName: base.SIGNET_PROBER_IDENTITY,
      issuer: base.SIGNET_PROBER_ISSUER,
    });
  });

  it("turns the write probe off with SIGNET_PROBER_WRITE=false", () => {
    expect(loadProberConfig({ ...base, SIGNET_PROBER_WRITE: "false" }).write).toBe(false);
  });

  it("takes the trusted root through TUF, from an initial root.json", () => {
    const { SIGNET_PROBER_TRUSTED_ROOT: _file, ...env } = base;
    const tuf = { SIGNET_PROBER_TUF_URL: "https://tuf.example.com", SIGNET_PROBER_TUF_ROOT: "/root.json" };
    expect(loadProberConfig({ ...env, ...tuf }).trustRoot).toMatchObject({
      kind: "tuf",
      mirrorUrl: "https://tuf.example.com",
      rootPath: "/root.json",
    });
    expect(problem({ ...env, SIGNET_PROBER_TUF_URL: tuf.SIGNET_PROBER_TUF_URL })).toMatch(
      /^SIGNET_PROBER_TUF_ROOT: required/,
    );
    expect(problem(env)).toMatch(/set exactly one/);
    expect(problem({ ...base, ...tuf })).toMatch(/set exactly one/);
  });

  it("defaults the dev identity to the email it asks the dev issuer for", () => {
    const { SIGNET_PROBER_IDENTITY: _san, SIGNET_PROBER_ISSUER: _issuer, ...env } = base;
    const config = loadProberConfig({
      ...env,
      SIGNET_PROBER_TOKEN_SOURCE: "dev",
      SIGNET_PROBER_OIDC_URL: "http://localhost:5556/",
    });
    expect(config.tokenSource).toMatchObject({ kind: "dev", issuerUrl: "http://localhost:5556" });
    expect(config.identity).toEqual({
      subjectAlternativeName: "prober@signet.localhost",
      issuer: "http://localhost:5556",
    });
  });

  it.each([
    [{ SIGNET_PROBER_TOKEN_SOURCE: "dev" }, /^SIGNET_PROBER_OIDC_URL: required/],
    [{ SIGNET_PROBER_TOKEN_SOURCE: "github" }, /^ACTIONS_ID_TOKEN_REQUEST_URL: required/],
    [{ SIGNET_PROBER_TOKEN_SOURCE: "vault" }, /^SIGNET_PROBER_TOKEN_SOURCE: expected one of/],
    [
      { SIGNET_PROBER_IDENTITY: "", SIGNET_PROBER_TOKEN_SOURCE: "kubernetes" },
      /^SIGNET_PROBER_IDENTITY: required/,
    ],
    [{ SIGNET_PROBER_INTERVAL_SECONDS: "0" }, /^SIGNET_PROBER_INTERVAL_SECONDS: must be greater than 0/],
    [{ SIGNET_PROBER_REKOR_URL: "rekor" }, /^SIGNET_PROBER_REKOR_URL: expected a URL/],
  ])("refuses %o with one line naming the variable", (change, message) => {
    expect(problem({ ...base, ...change })).toMatch(message);
  });

  it("reads the GitHub Actions token request from the variables GitHub sets", () => {
    const config = loadProberConfig({
      ...base,
      SIGNET_PROBER_TOKEN_SOURCE: "github",
      ACTIONS_ID_TOKEN_REQUEST_URL: "https://pipelines.actions.example/token?api-version=2.0",
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
    });
    expect(config.tokenSource).toMatchObject({ kind: "github", requestToken: "request-token" });
  });
});
