import { randomBytes } from "node:crypto";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import * as sigstore from "sigstore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOidcIssuer, type TestOidcIssuer } from "../../support/oidc.ts";
import { trustedRootJson } from "../../support/trusted-root.ts";
import type { RunningLog } from "../log/support.ts";
import { type RunningCa, startCaWithLog } from "./support.ts";

let oidc: TestOidcIssuer;
let ca: RunningCa;
let log: RunningLog;
let verifier: Verifier;

const derOf = (pem: string) =>
  [...pem.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)].map((m) =>
    Buffer.from((m[1] ?? "").replace(/\s/g, ""), "base64"),
  );

beforeAll(async () => {
  oidc = await startOidcIssuer();
  ({ ca, log } = await startCaWithLog([{ url: oidc.url, clientId: "sigstore", type: "email" }]));
  const root = trustedRootJson({
    rekorUrl: log.url,
    logSpki: log.service.identity.signer.spki,
    caChain: derOf(ca.chainPem),
    caUrl: ca.url,
    tsaChain: log.service.tsaChain,
    tsaUrl: `${log.url}/api/v1/timestamp`,
    ctlog: { url: log.url, spki: log.service.ct.spki },
  });
  // Every check on, SCTs included: what a verifier of the public good instance requires.
  verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(root)), {
    tlogThreshold: 1,
    ctlogThreshold: 1,
    timestampThreshold: 1,
  });
});

afterAll(async () => {
  await Promise.all([ca?.close(), log?.close(), oidc?.stop()]);
});

const identity = { email: "alice@signet.test", email_verified: true };
const options = () => ({
  fulcioURL: ca.url,
  rekorURL: log.url,
  tsaServerURL: log.url,
});

describe("the sigstore client against the CA, log and TSA", () => {
  it("signs with a keyless certificate carrying an embedded SCT, and the bundle verifies", async () => {
    const artifact = randomBytes(128);
    const token = await oidc.mint({ sub: "alice", ...identity });
    const json = await sigstore.sign(artifact, { ...options(), identityToken: token });
    const bundle = bundleFromJSON(json);
    const signer = verifier.verify(toSignedEntity(bundle, artifact), {
      subjectAlternativeName: identity.email,
      extensions: { issuer: oidc.url },
    });
    expect(signer.identity?.subjectAlternativeName).toBe(identity.email);
  });

  it("attests (DSSE) and the bundle verifies", async () => {
    const token = await oidc.mint({ sub: "alice", ...identity });
    const payload = Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [] }));
    const json = await sigstore.attest(payload, "application/vnd.in-toto+json", {
      ...options(),
      identityToken: token,
    });
    expect(() =>
      verifier.verify(toSignedEntity(bundleFromJSON(json)), { subjectAlternativeName: identity.email }),
    ).not.toThrow();
  });

  it("refuses to verify for another identity", async () => {
    const artifact = randomBytes(16);
    const token = await oidc.mint({ sub: "alice", ...identity });
    const bundle = bundleFromJSON(await sigstore.sign(artifact, { ...options(), identityToken: token }));
    expect(() =>
      verifier.verify(toSignedEntity(bundle, artifact), { subjectAlternativeName: "mallory@signet.test" }),
    ).toThrow();
  });
});
