import { afterEach, describe, expect, it } from "vitest";
import { startOidcIssuer, type TestOidcIssuer } from "../../support/oidc.ts";
import { type RunningCa, startCa } from "./support.ts";

let oidc: TestOidcIssuer | undefined;
let ca: RunningCa | undefined;

afterEach(async () => {
  await Promise.all([ca?.close(), oidc?.stop()]);
});

const signingRequest = (url: string, forwardedFor: string) =>
  fetch(`${url}/api/v2/signingCert`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
    // Refused for its token after the rate limit is taken: 400 until the limit answers 429.
    body: JSON.stringify({
      credentials: { oidcIdentityToken: "not-a-token" },
      publicKeyRequest: { publicKey: { content: "not-a-key" }, proofOfPossession: "" },
    }),
  });

describe("the per-address rate limit behind a load balancer", () => {
  it("keys on the client address the trusted proxies forwarded", async () => {
    oidc = await startOidcIssuer();
    ca = await startCa([{ url: oidc.url, clientId: "sigstore", type: "email" }], {
      SIGNET_CA_RATE_PER_IP: "1",
      // The test's own connection stands in for the balancer's front end.
      SIGNET_CA_TRUSTED_PROXIES: "127.0.0.1, 130.211.0.0/22",
    });
    // Google's balancer appends the client's address and its own; the peer is its front end.
    expect((await signingRequest(ca.url, "203.0.113.7, 130.211.0.1")).status).toBe(400);
    expect((await signingRequest(ca.url, "203.0.113.7, 130.211.0.1")).status).toBe(429);
    expect((await signingRequest(ca.url, "198.51.100.9, 130.211.0.1")).status).toBe(400);
  });

  it("ignores X-Forwarded-For when no proxy is trusted", async () => {
    oidc = await startOidcIssuer();
    ca = await startCa([{ url: oidc.url, clientId: "sigstore", type: "email" }], {
      SIGNET_CA_RATE_PER_IP: "1",
    });
    expect((await signingRequest(ca.url, "203.0.113.7")).status).toBe(400);
    expect((await signingRequest(ca.url, "198.51.100.9")).status).toBe(429);
  });
});
