import { randomBytes } from "node:crypto";
import { ServiceSelector, SigningConfig, TrustedRoot } from "@sigstore/protobuf-specs";
import { bundleBuilderFromSigningConfig } from "@sigstore/sign";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSigningConfig, type SigningConfigJson } from "../../../services/trust/signing-config.ts";
import { buildTrustedRoot, type TrustedRootJson } from "../../../services/trust/trusted-root.ts";
import { startOidcIssuer, type TestOidcIssuer } from "../../support/oidc.ts";
import { type RunningCa, startCaWithLog } from "../ca/support.ts";
import type { RunningLog } from "../log/support.ts";

let oidc: TestOidcIssuer;
let ca: RunningCa;
let log: RunningLog;
let trustedRoot: TrustedRootJson;
let signingConfig: SigningConfigJson;

const derOf = (pem: string) =>
  [...pem.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)].map((m) =>
    Buffer.from((m[1] ?? "").replace(/\s/g, ""), "base64"),
  );
const validFor = { start: new Date("2020-01-01T00:00:00Z") };
const subject = { organization: "Signet", commonName: "signet-test" };
const email = "alice@signet.test";

beforeAll(async () => {
  oidc = await startOidcIssuer();
  ({ ca, log } = await startCaWithLog([{ url: oidc.url, clientId: "sigstore", type: "email" }]));
  const tsa = `${log.url}/api/v1/timestamp`;
  trustedRoot = buildTrustedRoot({
    tlogs: [{ baseUrl: log.url, spki: log.service.identity.signer.spki, validFor }],
    ctlogs: [{ baseUrl: log.url, spki: log.service.ct.spki, validFor }],
    certificateAuthorities: [{ uri: ca.url, subject, chain: derOf(ca.chainPem), validFor }],
    timestampAuthorities: [{ uri: tsa, subject, chain: log.service.tsaChain, validFor }],
  });
  signingConfig = buildSigningConfig({
    operator: "signet.test",
    validFor,
    ca: ca.url,
    oidc: oidc.url,
    rekor: log.url,
    tsa,
  });
});

afterAll(async () => {
  await Promise.all([ca?.close(), log?.close(), oidc?.stop()]);
});

describe("the trusted root and signing config of a running instance", () => {
  it("parse as protobuf-specs SigningConfig v0.2 with selector ANY", () => {
    const parsed = SigningConfig.fromJSON(signingConfig);

    expect(parsed.mediaType).toBe("application/vnd.dev.sigstore.signingconfig.v0.2+json");
    expect(parsed.caUrls[0]).toEqual({ url: ca.url, majorApiVersion: 1, validFor, operator: "signet.test" });
    expect(parsed.tsaUrls[0]?.url).toBe(`${log.url}/api/v1/timestamp`);
    expect(parsed.rekorTlogConfig?.selector).toBe(ServiceSelector.ANY);
    expect(parsed.tsaConfig?.selector).toBe(ServiceSelector.ANY);
  });

  it("let sigstore-js sign from the signing config and verify against the trusted root, every check on", async () => {
    const artifact = randomBytes(64);
    const builder = bundleBuilderFromSigningConfig({
      signingConfig: SigningConfig.fromJSON(signingConfig),
      identityProvider: { getToken: () => oidc.mint({ sub: "alice", email, email_verified: true }) },
      bundleType: "messageSignature",
    });
    const bundle = await builder.create({ data: artifact });
    const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(trustedRoot)), {
      tlogThreshold: 1,
      ctlogThreshold: 1,
      timestampThreshold: 1,
    });

    const signer = verifier.verify(toSignedEntity(bundle, artifact), { subjectAlternativeName: email });

    expect(signer.identity?.subjectAlternativeName).toBe(email);
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1);
    expect(() => verifier.verify(toSignedEntity(bundle, randomBytes(64)))).toThrow();
  });

  it("leaves out the TSA selector for an instance without a TSA, so clients do not ask one", () => {
    const withoutTsa = buildSigningConfig({ operator: "signet.test", validFor, ca: ca.url, rekor: log.url });

    expect(withoutTsa.tsaUrls).toEqual([]);
    expect(SigningConfig.fromJSON(withoutTsa).tsaConfig).toBeUndefined();
  });
});
