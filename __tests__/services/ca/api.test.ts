import { createHash, X509Certificate } from "node:crypto";
import { CAClient } from "@sigstore/sign/dist/signer/fulcio/ca.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOidcIssuer, type TestOidcIssuer } from "../../support/oidc.ts";
import { generateKey, type TestKeyType } from "../../support/pki.ts";
import type { RunningLog } from "../log/support.ts";
import {
  type Answer,
  certificatesOf,
  csrPem,
  get,
  metric,
  metrics,
  post,
  publicKeyRequest,
  refusals,
} from "./http.ts";
import { expectFulcioProfile, OID, readLeaf } from "./leaf.ts";
import { type RunningCa, startCa, startCaWithLog } from "./support.ts";

let oidc: TestOidcIssuer;
let ca: RunningCa;
let log: RunningLog;
/** The same issuers, no CT log. */
let detached: RunningCa;

const alice = { sub: "alice-id", email: "alice@signet.test", email_verified: true };

beforeAll(async () => {
  oidc = await startOidcIssuer();
  const issuers = [
    { url: oidc.url, clientId: "sigstore", type: "email" as const },
    { metaUrl: `${oidc.url}/clusters/*`, clientId: "sigstore", type: "kubernetes" as const },
    {
      url: `${oidc.url}/ci`,
      clientId: "sigstore",
      type: "uri" as const,
      subjectDomain: "https://ci.signet.test",
    },
    {
      url: `${oidc.url}/spire`,
      clientId: "workloads",
      type: "spiffe" as const,
      subjectDomain: "signet.test",
    },
  ];
  ({ ca, log } = await startCaWithLog(issuers));
  detached = await startCa(issuers);
});

afterAll(async () => {
  await Promise.all([ca?.close(), detached?.close(), log?.close(), oidc?.stop()]);
});

const signingCert = (base: RunningCa, body: unknown) => post(`${base.url}/api/v2/signingCert`, body);

/** The issuing certificate and root the CA serves, as DER. */
const chainOf = (base: RunningCa) => certificatesOf(base.chainPem);

function embeddedChain(answer: Answer): Buffer[] {
  expect(answer.status).toBe(201);
  expect(Object.keys(answer.body)).toEqual(["signedCertificateEmbeddedSct"]);
  const certificates: unknown = answer.body.signedCertificateEmbeddedSct.chain.certificates;
  expect(certificates).toHaveLength(3);
  for (const pem of certificates as string[])
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----\n$/);
  return certificatesOf(certificates as string[]);
}

/** RFC 6962 §3.3: the extension holds an OCTET STRING around the TLS list; each SCT names its log by the SHA-256 of the log's key. */
function sctLogIds(extensionValue: Buffer): Buffer[] {
  expect(extensionValue[0]).toBe(0x04);
  const headerLength = (extensionValue[1] ?? 0) < 0x80 ? 2 : 2 + ((extensionValue[1] ?? 0) & 0x7f);
  const list = extensionValue.subarray(headerLength);
  expect(list.readUInt16BE(0)).toBe(list.length - 2);
  const ids: Buffer[] = [];
  for (let offset = 2; offset < list.length; ) {
    const length = list.readUInt16BE(offset);
    const sct = list.subarray(offset + 2, offset + 2 + length);
    expect(sct[0]).toBe(0); // v1
    ids.push(Buffer.from(sct.subarray(1, 33)));
    offset += 2 + length;
  }
  return ids;
}

describe("POST /api/v2/signingCert", () => {
  it("certifies the P-256 key sigstore-js sends, in the response sigstore-js reads", async () => {
    const key = generateKey("ecdsa-p256");
    const client = new CAClient({ fulcioBaseURL: ca.url, retry: 0, timeout: 5000 });
    const token = await oidc.mint(alice);
    const proof = key.sign(Buffer.from(alice.email));
    const certificates = await client.createSigningCertificate(token, key.publicKeyPem, proof);
    const [leaf, ...chain] = certificatesOf(certificates);
    expect(chain).toEqual(chainOf(ca));
    expectFulcioProfile(leaf as Buffer, {
      san: { kind: "email", value: alice.email },
      issuer: oidc.url,
      issuing: chain[0] as Buffer,
      spki: key.spki,
    });
  });

  it.each<TestKeyType>(["ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-2048"])(
    "certifies a %s public key with an embedded SCT from the CT log",
    async (type) => {
      const key = generateKey(type);
      const answer = await signingCert(ca, {
        credentials: { oidcIdentityToken: await oidc.mint(alice) },
        publicKeyRequest: publicKeyRequest(key, alice.email),
      });
      const [leaf, ...chain] = embeddedChain(answer);
      expect(chain).toEqual(chainOf(ca));
      const parsed = expectFulcioProfile(leaf as Buffer, {
        san: { kind: "email", value: alice.email },
        issuer: oidc.url,
        issuing: chain[0] as Buffer,
        spki: key.spki,
      });
      const sctList = parsed.extension(OID.sctList);
      expect(sctList?.critical).toBe(false);
      const logId = createHash("sha256").update(log.service.ct.spki).digest();
      expect(sctLogIds(sctList?.value ?? Buffer.alloc(0))).toEqual([logId]);
    },
  );

  it.each([
    ["PEM", (pem: string) => pem],
    ["base64 of PEM, as grpc-gateway encodes bytes", (pem: string) => Buffer.from(pem).toString("base64")],
  ])("certifies the key of a certificate signing request sent as %s", async (_form, encode) => {
    const key = generateKey("ecdsa-p384");
    const answer = await signingCert(ca, {
      credentials: { oidcIdentityToken: await oidc.mint(alice) },
      certificateSigningRequest: encode(csrPem(key)),
    });
    const [leaf, issuing] = embeddedChain(answer);
    expectFulcioProfile(leaf as Buffer, {
      san: { kind: "email", value: alice.email },
      issuer: oidc.url,
      issuing: issuing as Buffer,
      spki: key.spki,
    });
  });

  it("takes the token from an Authorization: Bearer header when credentials are absent, as Fulcio's gateway does", async () => {
    const key = generateKey();
    const answer = await post(
      `${ca.url}/api/v2/signingCert`,
      { publicKeyRequest: publicKeyRequest(key, alice.email) },
      { authorization: `Bearer ${await oidc.mint(alice)}` },
    );
    const [leaf] = embeddedChain(answer);
    expect(readLeaf(leaf as Buffer).x509.subjectAltName).toBe(`email:${alice.email}`);
  });

  it("answers with the detached form and no SCT when no CT log is configured", async () => {
    const key = generateKey();
    const answer = await signingCert(detached, {
      credentials: { oidcIdentityToken: await oidc.mint(alice) },
      publicKeyRequest: publicKeyRequest(key, alice.email),
    });
    expect(answer.status).toBe(201);
    expect(Object.keys(answer.body)).toEqual(["signedCertificateDetachedSct"]);
    const [leaf, ...chain] = certificatesOf(answer.body.signedCertificateDetachedSct.chain.certificates);
    expect(chain).toEqual(chainOf(detached));
    const parsed = expectFulcioProfile(leaf as Buffer, {
      san: { kind: "email", value: alice.email },
      issuer: oidc.url,
      issuing: chain[0] as Buffer,
      spki: key.spki,
    });
    expect(parsed.extension(OID.sctList)).toBeUndefined();
  });
});

describe("POST /api/v1/signingCert (legacy)", () => {
  it("takes the token as a Bearer header and the key as base64 DER, and answers a PEM chain", async () => {
    const key = generateKey();
    const answer = await post(
      `${ca.url}/api/v1/signingCert`,
      {
        publicKey: { algorithm: "ecdsa", content: key.spki.toString("base64") },
        signedEmailAddress: key.sign(Buffer.from(alice.email)).toString("base64"),
      },
      { authorization: `Bearer ${await oidc.mint(alice)}` },
    );
    expect(answer.status).toBe(201);
    expect(answer.headers.get("content-type")).toMatch(/^application\/pem-certificate-chain/);
    const [leaf, ...chain] = certificatesOf(answer.text);
    expect(chain).toEqual(chainOf(ca));
    const parsed = expectFulcioProfile(leaf as Buffer, {
      san: { kind: "email", value: alice.email },
      issuer: oidc.url,
      issuing: chain[0] as Buffer,
      spki: key.spki,
    });
    expect(parsed.extension(OID.sctList)).toBeDefined();
  });

  it("takes a PEM key sent as base64 too", async () => {
    const key = generateKey("ed25519");
    const answer = await post(
      `${ca.url}/api/v1/signingCert`,
      {
        publicKey: { content: Buffer.from(key.publicKeyPem).toString("base64") },
        signedEmailAddress: key.sign(Buffer.from(alice.email)).toString("base64"),
      },
      { authorization: `Bearer ${await oidc.mint(alice)}` },
    );
    expect(answer.status).toBe(201);
    expect(
      readLeaf(certificatesOf(answer.text)[0] as Buffer).x509.publicKey.export({
        type: "spki",
        format: "der",
      }),
    ).toEqual(key.spki);
  });

  it("takes a certificate signing request, base64-encoded as fulcio_legacy.proto bytes", async () => {
    const key = generateKey("rsa-2048");
    const answer = await post(
      `${ca.url}/api/v1/signingCert`,
      { certificateSigningRequest: Buffer.from(csrPem(key)).toString("base64") },
      { authorization: `Bearer ${await oidc.mint(alice)}` },
    );
    expect(answer.status).toBe(201);
    const [leaf, issuing] = certificatesOf(answer.text);
    expectFulcioProfile(leaf as Buffer, {
      san: { kind: "email", value: alice.email },
      issuer: oidc.url,
      issuing: issuing as Buffer,
      spki: key.spki,
    });
  });

  it("refuses a request with neither a CSR nor a key and its proof", async () => {
    const key = generateKey();
    const answer = await post(
      `${ca.url}/api/v1/signingCert`,
      { publicKey: { content: key.spki.toString("base64") } },
      { authorization: `Bearer ${await oidc.mint(alice)}` },
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      code: "MALFORMED_REQUEST",
      message: expect.stringMatching(/signedEmailAddress/),
    });
  });

  it("refuses a request without a Bearer token", async () => {
    const key = generateKey();
    const before = await refusals(ca.url, "MISSING_TOKEN");
    const answer = await post(`${ca.url}/api/v1/signingCert`, {
      publicKey: { content: key.spki.toString("base64") },
      signedEmailAddress: key.sign(Buffer.from(alice.email)).toString("base64"),
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      code: "MISSING_TOKEN",
      message: expect.stringMatching(/Authorization: Bearer/),
    });
    expect(await refusals(ca.url, "MISSING_TOKEN")).toBe(before + 1);
  });
});

describe("the trust endpoints", () => {
  it("GET /api/v2/trustBundle serves the chain, issuing certificate first", async () => {
    const answer = await get(`${ca.url}/api/v2/trustBundle`);
    expect(answer.status).toBe(200);
    expect(answer.body.chains).toHaveLength(1);
    const chain = certificatesOf(answer.body.chains[0].certificates);
    expect(chain).toEqual(chainOf(ca));
    const [issuing, root] = chain.map((der) => new X509Certificate(der));
    expect(issuing?.ca && root?.ca).toBe(true);
    expect(issuing?.checkIssued(root as X509Certificate)).toBe(true);
  });

  it("GET /api/v1/rootCert serves the same chain as PEM", async () => {
    const answer = await get(`${ca.url}/api/v1/rootCert`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^application\/pem-certificate-chain/);
    expect(certificatesOf(answer.text)).toEqual(chainOf(ca));
  });

  it("GET /api/v2/configuration lists the issuers as fulcio.proto's OIDCIssuer", async () => {
    const answer = await get(`${ca.url}/api/v2/configuration`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      issuers: [
        { issuerUrl: oidc.url, audience: "sigstore", challengeClaim: "email", issuerType: "email" },
        {
          wildcardIssuerUrl: `${oidc.url}/clusters/*`,
          audience: "sigstore",
          challengeClaim: "sub",
          issuerType: "kubernetes",
        },
        {
          issuerUrl: `${oidc.url}/ci`,
          audience: "sigstore",
          challengeClaim: "sub",
          issuerType: "uri",
          subjectDomain: "https://ci.signet.test",
        },
        {
          issuerUrl: `${oidc.url}/spire`,
          audience: "workloads",
          challengeClaim: "sub",
          issuerType: "spiffe",
          spiffeTrustDomain: "signet.test",
        },
      ],
    });
  });
});

describe("operations endpoints", () => {
  it("/healthz and /readyz answer ok", async () => {
    expect(await get(`${ca.url}/healthz`)).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await get(`${ca.url}/readyz`)).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  it("/metrics counts certificates by issuer type, refusals by reason, and request latency", async () => {
    const issuedBefore = await metric(ca.url, "signet_ca_certificates_issued_total", {
      issuer_type: "kubernetes",
    });
    const refusedBefore = await refusals(ca.url, "INVALID_PROOF_OF_POSSESSION");
    const key = generateKey();
    const sub = "system:serviceaccount:build:signer";
    const token = await oidc.mint({
      iss: `${oidc.url}/clusters/prod`,
      sub,
      "kubernetes.io": { namespace: "build", serviceaccount: { name: "signer" } },
    });
    const good = await signingCert(ca, {
      credentials: { oidcIdentityToken: token },
      publicKeyRequest: publicKeyRequest(key, sub),
    });
    expect(good.status).toBe(201);
    const forged = await signingCert(ca, {
      credentials: { oidcIdentityToken: token },
      publicKeyRequest: publicKeyRequest(key, "someone else"),
    });
    expect(forged.status).toBe(400);

    expect(await metric(ca.url, "signet_ca_certificates_issued_total", { issuer_type: "kubernetes" })).toBe(
      issuedBefore + 1,
    );
    expect(await refusals(ca.url, "INVALID_PROOF_OF_POSSESSION")).toBe(refusedBefore + 1);
    const latency = (await metrics(ca.url)).filter(
      (sample) =>
        sample.name === "http_request_duration_seconds_count" &&
        sample.labels.route === "/api/v2/signingCert" &&
        sample.labels.method === "POST",
    );
    expect(latency.map((sample) => sample.labels.status_code).sort()).toEqual(
      expect.arrayContaining(["201", "400"]),
    );
    expect(latency.every((sample) => sample.value >= 1)).toBe(true);
    const { text } = await get(`${ca.url}/metrics`);
    expect(text).toContain("# TYPE http_request_duration_seconds histogram");
    expect(text).toContain("# TYPE signet_ca_certificates_issued_total counter");
  });
});
