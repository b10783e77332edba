import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOidcIssuer, type TestOidcIssuer } from "../../support/oidc.ts";
import { generateKey, toPem } from "../../support/pki.ts";
import { csrPem, derOf, post, publicKeyRequest } from "./http.ts";
import { type RunningCa, startCa } from "./support.ts";

let oidc: TestOidcIssuer;
let ca: RunningCa;

const alice = { sub: "alice-id", email: "alice@signet.test", email_verified: true };

beforeAll(async () => {
  oidc = await startOidcIssuer();
  // Limits off: the properties send hundreds of requests.
  ca = await startCa([{ url: oidc.url, clientId: "sigstore", type: "email" }], {
    SIGNET_CA_RATE_PER_IP: "0",
    SIGNET_CA_RATE_PER_IDENTITY: "0",
  });
});

afterAll(async () => {
  await Promise.all([ca?.close(), oidc?.stop()]);
});

const signingCert = (body: unknown) => post(`${ca.url}/api/v2/signingCert`, body);

describe("client input never causes a 5xx", () => {
  it("holds for random bodies around the request's shape", async () => {
    const token = await oidc.mint(alice);
    const key = generateKey();
    const good = publicKeyRequest(key, alice.email);
    const text = fc.oneof(
      fc.string(),
      fc.base64String(),
      fc.constantFrom(token, key.publicKeyPem, csrPem(key)),
    );
    const value = fc.oneof(text, fc.jsonValue({ maxDepth: 2 }));
    const body = fc.record(
      {
        credentials: fc.oneof(fc.record({ oidcIdentityToken: fc.oneof(text, fc.constant(token)) }), value),
        publicKeyRequest: fc.oneof(
          fc.record(
            {
              publicKey: fc.oneof(
                fc.record(
                  { algorithm: value, content: fc.oneof(text, fc.constant(good.publicKey.content)) },
                  {
                    requiredKeys: ["content"],
                  },
                ),
                value,
              ),
              proofOfPossession: fc.oneof(text, fc.constant(good.proofOfPossession)),
            },
            { requiredKeys: [] },
          ),
          value,
        ),
        certificateSigningRequest: text,
      },
      { requiredKeys: [] },
    );
    const raw = fc.oneof(
      body.map((b) => JSON.stringify(b)),
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(
        raw,
        fc.constantFrom("/api/v2/signingCert", "/api/v1/signingCert"),
        async (payload, path) => {
          const answer = await post(`${ca.url}${path}`, payload, { authorization: `Bearer ${token}` });
          expect(answer.status).toBeLessThan(500);
          if (answer.status >= 400) expect(typeof answer.body?.code).toBe("string");
        },
      ),
      { numRuns: 150 },
    );
  });

  it("holds for keys and CSRs with any one byte changed", async () => {
    const token = await oidc.mint(alice);
    const key = generateKey();
    const csr = derOf(csrPem(key));
    const spki = key.spki;
    const flipped = (der: Buffer) =>
      fc.tuple(fc.nat({ max: der.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([offset, mask]) => {
        const copy = Buffer.from(der);
        copy[offset] = (copy[offset] ?? 0) ^ mask;
        return copy;
      });
    const body = fc.oneof(
      flipped(csr).map((der) => ({ certificateSigningRequest: toPem("CERTIFICATE REQUEST", der) })),
      flipped(spki).map((der) => ({
        publicKeyRequest: {
          ...publicKeyRequest(key, alice.email),
          publicKey: { content: toPem("PUBLIC KEY", der) },
        },
      })),
    );
    await fc.assert(
      fc.asyncProperty(body, async (fields) => {
        const answer = await signingCert({ credentials: { oidcIdentityToken: token }, ...fields });
        expect(answer.status).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });
});
