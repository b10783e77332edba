import { generateKeyPairSync, sign } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuerConfig } from "../../../services/ca/identity/types.ts";
import { startOidcIssuer, type TestOidcIssuer } from "../../support/oidc.ts";
import { generateKey, type TestKey, toPem } from "../../support/pki.ts";
import { type Answer, closedPort, csrPem, derOf, post, publicKeyRequest, refusals } from "./http.ts";
import { type RunningCa, startCa } from "./support.ts";

let oidc: TestOidcIssuer;
let ca: RunningCa;
const running: RunningCa[] = [];

const alice = { sub: "alice-id", email: "alice@signet.test", email_verified: true };
const now = () => Math.floor(Date.now() / 1000);
const emailIssuer = (url: string): IssuerConfig => ({ url, clientId: "sigstore", type: "email" });

async function startEmailCa(
  env: Record<string, string> = {},
  extra: IssuerConfig[] = [],
): Promise<RunningCa> {
  const started = await startCa([emailIssuer(oidc.url), ...extra], env);
  running.push(started);
  return started;
}

beforeAll(async () => {
  oidc = await startOidcIssuer();
  // Limits off here; the limits have their own instances.
  ca = await startEmailCa({
    SIGNET_CA_BODY_LIMIT: String(16 * 1024),
    SIGNET_CA_RATE_PER_IP: "0",
    SIGNET_CA_RATE_PER_IDENTITY: "0",
  });
});

afterAll(async () => {
  await Promise.all([...running.map((started) => started.close()), oidc?.stop()]);
});

const signingCert = (base: RunningCa, body: unknown, headers: Record<string, string> = {}) =>
  post(`${base.url}/api/v2/signingCert`, body, headers);

/** A well-formed request for `token`, proving possession of a fresh P-256 key over alice's email. */
function requestFor(token: string, key: TestKey = generateKey(), challenge = alice.email) {
  return { credentials: { oidcIdentityToken: token }, publicKeyRequest: publicKeyRequest(key, challenge) };
}

interface Expected {
  status: number;
  code: string;
  /** What the message must say about the check that failed. */
  message: RegExp;
}

/** Sends the request, checks the refusal and that signet_ca_refusals_total{reason=code} moved by one. */
async function expectRefusal(send: () => Promise<Answer>, expected: Expected, base: RunningCa = ca) {
  const before = await refusals(base.url, expected.code);
  const answer = await send();
  expect({ status: answer.status, code: answer.body?.code }).toEqual({
    status: expected.status,
    code: expected.code,
  });
  expect(Object.keys(answer.body).sort()).toEqual(["code", "message"]);
  expect(answer.body.message).toMatch(expected.message);
  expect(await refusals(base.url, expected.code)).toBe(before + 1);
  return answer;
}

const refusedToken = async (token: string, expected: Expected) =>
  expectRefusal(() => signingCert(ca, requestFor(token)), expected);

describe("tokens are refused, each by the check that failed", () => {
  it("an issuer that is not configured: UNKNOWN_ISSUER", async () => {
    const token = await oidc.mint({ ...alice, iss: "https://accounts.example.com" });
    await refusedToken(token, {
      status: 401,
      code: "UNKNOWN_ISSUER",
      message: /accounts\.example\.com.*not accepted/,
    });
  });

  it("a signature that does not verify: INVALID_TOKEN", async () => {
    const [header, , signature] = (await oidc.mint(alice)).split(".");
    const payload = Buffer.from(
      JSON.stringify({
        ...alice,
        email: "mallory@signet.test",
        iss: oidc.url,
        aud: "sigstore",
        exp: now() + 60,
      }),
    ).toString("base64url");
    await refusedToken(`${header}.${payload}.${signature}`, {
      status: 401,
      code: "INVALID_TOKEN",
      message: /signature does not verify/,
    });
  });

  it("text that is not a JWT: INVALID_TOKEN, as a bad request", async () => {
    await refusedToken("not-a-jwt", { status: 400, code: "INVALID_TOKEN", message: /not a JWT/ });
  });

  it("an unsecured token (alg none): UNSUPPORTED_TOKEN_ALGORITHM", async () => {
    await refusedToken(oidc.mintUnsigned(alice), {
      status: 401,
      code: "UNSUPPORTED_TOKEN_ALGORITHM",
      message: /"none" is not one of/,
    });
  });

  it("an HMAC token keyed with the issuer's public key PEM: UNSUPPORTED_TOKEN_ALGORITHM", async () => {
    const key = oidc.signingKey;
    await refusedToken(oidc.mintHmac(alice, key.publicKeyPem, key.kid), {
      status: 401,
      code: "UNSUPPORTED_TOKEN_ALGORITHM",
      message: /"HS256" is not one of/,
    });
  });

  it("a token for another audience: WRONG_AUDIENCE", async () => {
    await refusedToken(await oidc.mint({ ...alice, aud: "another-service" }), {
      status: 401,
      code: "WRONG_AUDIENCE",
      message: /audience does not include sigstore/,
    });
  });

  it("an expired token: TOKEN_EXPIRED", async () => {
    await refusedToken(await oidc.mint({ ...alice, iat: now() - 7200, exp: now() - 3600 }), {
      status: 401,
      code: "TOKEN_EXPIRED",
      message: /expired/,
    });
  });

  it("a token not yet valid: TOKEN_NOT_YET_VALID", async () => {
    await refusedToken(await oidc.mint({ ...alice, nbf: now() + 3600 }), {
      status: 401,
      code: "TOKEN_NOT_YET_VALID",
      message: /not valid before/,
    });
  });

  it("a token signed by another key under a published key's ID: INVALID_TOKEN", async () => {
    const attacker = await oidc.createKey();
    const token = await oidc.mint(alice, { key: attacker, kid: oidc.signingKey.kid });
    await refusedToken(token, { status: 401, code: "INVALID_TOKEN", message: /signature does not verify/ });
  });

  it("an unverified email address: EMAIL_NOT_VERIFIED", async () => {
    await refusedToken(await oidc.mint({ ...alice, email_verified: false }), {
      status: 401,
      code: "EMAIL_NOT_VERIFIED",
      message: /not verified/,
    });
  });

  it("no token at all: MISSING_TOKEN", async () => {
    const { publicKeyRequest: keyRequest } = requestFor("unused");
    await expectRefusal(() => signingCert(ca, { publicKeyRequest: keyRequest }), {
      status: 401,
      code: "MISSING_TOKEN",
      message: /oidcIdentityToken/,
    });
  });
});

describe("keys are refused", () => {
  it("a proof of possession over another challenge: INVALID_PROOF_OF_POSSESSION", async () => {
    const request = requestFor(await oidc.mint(alice), generateKey(), "mallory@signet.test");
    await expectRefusal(() => signingCert(ca, request), {
      status: 400,
      code: "INVALID_PROOF_OF_POSSESSION",
      message: /proof of possession/,
    });
  });

  it.each([
    ["RSA-1024", () => generateKeyPairSync("rsa", { modulusLength: 1024 }), /RSA keys of 1024 bits/],
    ["P-192", () => generateKeyPairSync("ec", { namedCurve: "prime192v1" }), /prime192v1/],
  ])("a %s key: UNSUPPORTED_KEY", async (_name, generate, message) => {
    const { publicKey, privateKey } = generate();
    const request = {
      credentials: { oidcIdentityToken: await oidc.mint(alice) },
      publicKeyRequest: {
        publicKey: { content: publicKey.export({ type: "spki", format: "pem" }).toString() },
        proofOfPossession: sign("sha256", Buffer.from(alice.email), privateKey).toString("base64"),
      },
    };
    await expectRefusal(() => signingCert(ca, request), { status: 400, code: "UNSUPPORTED_KEY", message });
  });
});

describe("malformed requests are refused", () => {
  const key = generateKey();
  const keyRequest = publicKeyRequest(key, alice.email);

  // The uncompressed-point marker 0x04 of the CSR's P-256 key turned into 0x05 (SEC 1 §2.3.3).
  const csr = derOf(csrPem(key));
  const point = csr.indexOf(key.spki) + key.spki.length - 65;
  const unreadableKeyCsr = toPem(
    "CERTIFICATE REQUEST",
    Buffer.concat([csr.subarray(0, point), Buffer.of(5), csr.subarray(point + 1)]),
  );

  it.each<[string, unknown, RegExp]>([
    ["a public key request without a key", { publicKeyRequest: { proofOfPossession: "AAAA" } }, /publicKey/],
    [
      "both key forms",
      { publicKeyRequest: keyRequest, certificateSigningRequest: csrPem(key) },
      /exactly one/,
    ],
    ["neither key form", {}, /exactly one/],
    ["a key that is not PEM", { publicKeyRequest: { ...keyRequest, publicKey: { content: "MFkw" } } }, /PEM/],
    [
      "a CSR that is not one",
      { certificateSigningRequest: "-----BEGIN CERTIFICATE REQUEST-----" },
      /CERTIFICATE REQUEST/,
    ],
    [
      "a CSR whose key cannot be read",
      { certificateSigningRequest: unreadableKeyCsr },
      /readable public key/,
    ],
  ])("%s: MALFORMED_REQUEST", async (_case, fields, message) => {
    const body = { credentials: { oidcIdentityToken: await oidc.mint(alice) }, ...(fields as object) };
    await expectRefusal(() => signingCert(ca, body), { status: 400, code: "MALFORMED_REQUEST", message });
  });

  it("a body that is not JSON: MALFORMED_REQUEST", async () => {
    await expectRefusal(() => signingCert(ca, '{"credentials": {'), {
      status: 400,
      code: "MALFORMED_REQUEST",
      message: /JSON/,
    });
  });

  it("a body that is not an object: MALFORMED_REQUEST", async () => {
    await expectRefusal(() => signingCert(ca, "[1, 2]"), {
      status: 400,
      code: "MALFORMED_REQUEST",
      message: /object/,
    });
  });

  it("another content type: UNSUPPORTED_MEDIA_TYPE", async () => {
    const send = () => signingCert(ca, "token=abc", { "content-type": "application/x-www-form-urlencoded" });
    await expectRefusal(send, {
      status: 415,
      code: "UNSUPPORTED_MEDIA_TYPE",
      message: /Unsupported Media Type/,
    });
  });

  it("a body over the configured limit: PAYLOAD_TOO_LARGE", async () => {
    const body = { ...requestFor("x"), padding: "x".repeat(17 * 1024) };
    await expectRefusal(() => signingCert(ca, body), {
      status: 413,
      code: "PAYLOAD_TOO_LARGE",
      message: /body/i,
    });
  });
});

describe("outages are the CA's, and say so", () => {
  it("a CT log that cannot be reached: 503 CT_LOG_UNAVAILABLE", async () => {
    const broken = await startEmailCa({ SIGNET_CA_CT_URL: `http://127.0.0.1:${await closedPort()}` });
    const request = requestFor(await oidc.mint(alice));
    await expectRefusal(
      () => signingCert(broken, request),
      { status: 503, code: "CT_LOG_UNAVAILABLE", message: /CT log .* unreachable/ },
      broken,
    );
  });

  /** A CA submitting to a CT log that answers with `handler`, refusing alice's request as `message` says. */
  async function expectCtOutage(
    handler: (response: ServerResponse) => void,
    timeoutMs: number,
    message: RegExp,
  ): Promise<void> {
    const log = createServer((_request, response) => handler(response));
    await new Promise<void>((resolve) => log.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = log.address() as AddressInfo;
      const ca = await startEmailCa({
        SIGNET_CA_CT_URL: `http://127.0.0.1:${port}`,
        SIGNET_CA_CT_TIMEOUT_MS: String(timeoutMs),
      });
      const request = requestFor(await oidc.mint(alice));
      await expectRefusal(
        () => signingCert(ca, request),
        { status: 503, code: "CT_LOG_UNAVAILABLE", message },
        ca,
      );
    } finally {
      log.closeAllConnections();
      log.close();
    }
  }

  it("a CT log that does not answer in time: 503 CT_LOG_UNAVAILABLE", async () => {
    await expectCtOutage(() => {}, 200, /CT log .* unreachable .*timeout/i);
  });

  it("a CT log that answers headers, then trickles its body forever: 503 within the timeout", async () => {
    const trickles: NodeJS.Timeout[] = [];
    try {
      // A per-chunk body timeout would wait for ever here: the one deadline must end it.
      await expectCtOutage(
        (response) => {
          response.writeHead(200, { "content-type": "application/json" });
          response.write("{");
          trickles.push(setInterval(() => response.write(" "), 50));
        },
        300,
        /CT log .* unreachable .*300 ms timeout/i,
      );
    } finally {
      for (const trickle of trickles) clearInterval(trickle);
    }
  });

  it("an issuer that cannot be reached: 503 ISSUER_UNAVAILABLE", async () => {
    const gone = await startOidcIssuer();
    const token = await gone.mint(alice);
    await gone.stop();
    const base = await startEmailCa({}, [emailIssuer(gone.url)]);
    await expectRefusal(
      () => signingCert(base, requestFor(token)),
      { status: 503, code: "ISSUER_UNAVAILABLE", message: new RegExp(`${gone.url}.*could not be reached`) },
      base,
    );
  });
});

describe("rate limits", () => {
  it("per client address: 429 RATE_LIMITED with Retry-After", async () => {
    const limited = await startEmailCa({ SIGNET_CA_RATE_PER_IP: "2", SIGNET_CA_RATE_PER_IDENTITY: "0" });
    for (let i = 0; i < 2; i++)
      expect((await signingCert(limited, requestFor(await oidc.mint(alice)))).status).toBe(201);
    const answer = await expectRefusal(
      () => signingCert(limited, requestFor("not-even-a-token")),
      { status: 429, code: "RATE_LIMITED", message: /client address; retry in \d+ s/ },
      limited,
    );
    expect(Number(answer.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(answer.headers.get("retry-after"))).toBeLessThanOrEqual(30);
  });

  it("per identity: 429 RATE_LIMITED for that identity only", async () => {
    const limited = await startEmailCa({ SIGNET_CA_RATE_PER_IP: "0", SIGNET_CA_RATE_PER_IDENTITY: "2" });
    for (let i = 0; i < 2; i++)
      expect((await signingCert(limited, requestFor(await oidc.mint(alice)))).status).toBe(201);
    const answer = await expectRefusal(
      async () => signingCert(limited, requestFor(await oidc.mint(alice))),
      { status: 429, code: "RATE_LIMITED", message: /identity; retry in \d+ s/ },
      limited,
    );
    expect(Number(answer.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const bob = { sub: "bob-id", email: "bob@signet.test", email_verified: true };
    const other = await signingCert(limited, requestFor(await oidc.mint(bob), generateKey(), bob.email));
    expect(other.status).toBe(201);
  });
});
